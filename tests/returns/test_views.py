"""The Return button, its page, the Returns and Source tabs, the Lines columns and the print view."""

from decimal import Decimal

from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing import registry, services
from invoicing.models import Document, Kind, Status
from returns.services import return_create
from tests import factories
from tests.returns.helpers import bill_of_60, invoice_of_60, sales_type, set_quantity

D = Decimal


def return_url(document):
    return reverse("returns:create", args=[document.pk])


def return_action(document, user=None):
    ctx = registry.HookContext(user=user or factories.accountant())
    return next((action for action in registry.collect("card_actions", document, ctx) if action.name == "return"), None)


def card_html(client, document):
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def count_get(client, url):
    client.get(url)  # warm the per-process caches (content types), as in a running server
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def make_return(document, quantity=None):
    created = return_create(document=document, user=factories.accountant())
    return set_quantity(created, quantity) if quantity is not None else created


# ----------------------------------------------------------------------------- worked example 8 (returns half)
def test_worked_example_8_return_button_absent_on_draft_present_on_to_pay_and_paid_absent_on_canceled(
    accountant_client,
):
    user = factories.accountant()
    draft = factories.invoice(type=sales_type())
    assert return_action(draft, user) is None
    assert return_url(draft) not in card_html(accountant_client, draft)

    to_pay = factories.posted(factories.invoice(type=sales_type()))
    assert return_action(to_pay, user).hint is None
    assert f'href="{return_url(to_pay)}"' in card_html(accountant_client, to_pay)

    factories.pay(to_pay, to_pay.balance_due)
    assert to_pay.status == Status.PAID and return_action(to_pay, user) is not None
    assert f'href="{return_url(to_pay)}"' in card_html(accountant_client, to_pay)

    canceled = factories.invoice(type=sales_type())
    services.document_cancel(document=canceled, user=user)
    assert return_action(canceled, user) is None
    assert return_url(canceled) not in card_html(accountant_client, canceled)


def test_return_button_is_never_on_a_return_nor_for_a_reviewer_nor_a_list_action(accountant_client):
    invoice = invoice_of_60()
    credit_note = factories.posted(make_return(invoice, 1))
    assert return_action(credit_note, factories.accountant()) is None
    assert return_action(invoice, factories.reviewer()) is None
    changelist = accountant_client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert "/returns/" not in changelist


def test_return_button_is_disabled_with_a_hint_naming_the_type_to_configure(accountant_client):
    invoice = factories.posted(factories.invoice(type=factories.invoice_type(name="Export invoice", series="EXP")))
    hint = return_action(invoice).hint
    assert "configure a Return type on the type “Export invoice”" in hint
    html = card_html(accountant_client, invoice)
    assert f'href="{return_url(invoice)}"' not in html
    assert 'aria-disabled="true">Return</span>' in html and "configure a Return type on the type" in html


# ----------------------------------------------------------------------------- the Return page
def test_return_page_asks_for_confirmation_and_changes_nothing_on_get(accountant_client):
    invoice = invoice_of_60()
    response = accountant_client.get(return_url(invoice))
    html = response.content.decode()
    assert response.status_code == 200 and "Yes, create the credit note" in html and 'id="confirm-return"' in html
    assert "csrfmiddlewaretoken" in html
    assert not Document.objects.filter(type__is_return=True).exists()


def test_posting_the_return_page_creates_the_draft_and_opens_it(accountant_client):
    invoice = invoice_of_60()
    response = accountant_client.post(return_url(invoice))
    credit_note = Document.objects.get(type__is_return=True)
    assert response.status_code == 302 and response["Location"] == credit_note.get_absolute_url()
    assert credit_note.kind == Kind.BILL and credit_note.status == Status.DRAFT
    assert any("Draft credit note created from Invoice INV/" in m for m in messages_of(response))


def test_a_refused_return_becomes_an_error_message_on_the_source_card(accountant_client):
    invoice = invoice_of_60()
    factories.posted(make_return(invoice))  # everything returned
    response = accountant_client.post(return_url(invoice), follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == invoice.get_absolute_url()
    assert "No credit note was created: Everything on INV/" in response.content.decode()


def test_the_return_page_explains_a_refusal_instead_of_offering_the_button(accountant_client):
    invoice = factories.posted(factories.invoice(type=factories.invoice_type(name="Export invoice", series="EXP")))
    html = accountant_client.get(return_url(invoice)).content.decode()
    assert 'class="errornote"' in html and "configure a Return type on the type “Export invoice”" in html
    assert 'id="confirm-return"' not in html


def test_a_reviewer_gets_403_and_nothing_is_created(client):
    client.force_login(factories.reviewer())
    invoice = invoice_of_60()
    assert client.get(return_url(invoice)).status_code == 403
    assert client.post(return_url(invoice)).status_code == 403
    assert not Document.objects.filter(type__is_return=True).exists()


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(return_url(invoice_of_60()))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_return_page_requires_csrf(client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(factories.accountant())
    assert csrf_client.post(return_url(invoice_of_60())).status_code == 403
    assert not Document.objects.filter(type__is_return=True).exists()


# ----------------------------------------------------------------------------- tabs and columns
def test_source_card_shows_sold_returned_remaining_and_the_returns_tab(accountant_client):
    invoice = invoice_of_60()
    credit_note = factories.posted(make_return(invoice, 2))
    draft = make_return(invoice)
    html = card_html(accountant_client, invoice)
    assert '<th class="num">Sold</th><th class="num">Returned</th><th class="num">Remaining</th>' in html
    assert '<td class="num">5</td><td class="num">2</td><td class="num">3</td>' in html
    assert 'Returns <span class="badge">2</span>' in html
    assert f'href="{credit_note.get_absolute_url()}">Credit note {credit_note.number}</a>' in html
    assert f'href="{draft.get_absolute_url()}">Credit note Draft</a>' in html
    assert "24.00 USD" in html  # the credit applied


def test_return_card_links_to_its_source_document_and_lines(accountant_client):
    invoice = invoice_of_60()
    credit_note = factories.posted(make_return(invoice, 2))
    html = card_html(accountant_client, credit_note)
    assert (
        f'Returns goods of <a href="{invoice.get_absolute_url()}" class="return-source-link">invoice {invoice.number}'
        in html
    )
    assert f'<a href="{invoice.get_absolute_url()}">{invoice.number}</a> line 1 “Chair”' in html
    assert f'<a href="{invoice.get_absolute_url()}">Invoice {invoice.number}</a> line 1' in html  # Lines tab column
    assert "Source" in html and "Returns <span" not in html


def test_print_view_is_titled_credit_note_or_refund_and_names_the_source(accountant_client):
    invoice = invoice_of_60()
    credit_note = factories.posted(make_return(invoice, 2))
    html = accountant_client.get(reverse("admin:invoicing_bill_print", args=[credit_note.pk])).content.decode()
    assert f"<title>Credit note {credit_note.number} — return of invoice {invoice.number}</title>" in html
    assert f"Credit note for invoice <strong>{invoice.number}</strong>" in html

    bill = bill_of_60()
    refund = factories.posted(make_return(bill, 1))
    html = accountant_client.get(reverse("admin:invoicing_invoice_print", args=[refund.pk])).content.decode()
    assert f"<h1>Refund {refund.number} — return of bill {bill.number}</h1>" in html


# ----------------------------------------------------------------------------- query counts
def test_returns_tab_keeps_a_constant_number_of_queries_at_1_and_20_returns(accountant_client):
    few, many = invoice_of_60(), factories.posted(factories.invoice(type=sales_type(), lines=[factories.line(50)]))
    factories.posted(make_return(few, 1))
    for _ in range(20):
        factories.posted(make_return(many, 1))
    counts = count_get(accountant_client, few.get_absolute_url()), count_get(accountant_client, many.get_absolute_url())
    assert 'Returns <span class="badge">20</span>' in card_html(accountant_client, many)
    assert counts[0] == counts[1] <= 15, counts


def test_lines_columns_keep_a_constant_number_of_queries_at_1_and_100_returned_lines(accountant_client):
    tax = factories.TaxFactory()
    small = factories.posted(factories.invoice(type=sales_type(), lines=[factories.line(2, taxes=[tax])]))
    large = factories.posted(
        factories.invoice(type=sales_type(), lines=[factories.line(2, taxes=[tax]) for _ in range(100)])
    )
    for document in (small, large):
        factories.posted(make_return(document))
    counts = (
        count_get(accountant_client, small.get_absolute_url()),
        count_get(accountant_client, large.get_absolute_url()),
    )
    assert (
        card_html(accountant_client, large).count('<td class="num">2</td><td class="num">2</td><td class="num">0</td>')
        == 100
    )
    assert counts[0] == counts[1] <= 15, counts


def test_return_card_keeps_a_constant_number_of_queries_at_1_and_100_lines(accountant_client):
    tax = factories.TaxFactory()
    small = factories.posted(factories.invoice(type=sales_type(), lines=[factories.line(2, taxes=[tax])]))
    large = factories.posted(
        factories.invoice(type=sales_type(), lines=[factories.line(2, taxes=[tax]) for _ in range(100)])
    )
    small_return, large_return = factories.posted(make_return(small)), factories.posted(make_return(large))
    counts = (
        count_get(accountant_client, small_return.get_absolute_url()),
        count_get(accountant_client, large_return.get_absolute_url()),
    )
    assert counts[0] == counts[1] <= 15, counts
