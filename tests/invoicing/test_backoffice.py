"""The back office as an accountant, a reviewer and an administrator use it (Django test client)."""

import re
from decimal import Decimal

import pytest
from django import forms
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.db import connection
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from invoicing.models import Document, DocumentType, Kind, Payment, PaymentKind, Status
from tests import factories
from tests.corrections.support import correct

D = Decimal


def card_url(document):
    return document.get_absolute_url()


def action_url(document, name, *args):
    return reverse(f"admin:invoicing_{document.kind}_{name}", args=[document.pk, *args])


def count_get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(queries)


# ----------------------------------------------------------------------------- navigation and lists
def test_navigation_groups_operations_reports_settings_and_users(client):
    client.force_login(factories.UserFactory(username="root", is_superuser=True))
    html = client.get("/").content.decode()
    for section in ["Operations", "Settings", "Users", "Bills", "Invoices", "Payments", "Bill types", "Invoice types"]:
        assert section in html
    assert html.index("Operations") < html.index("Settings") < html.index("Users")


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:invoicing_invoice_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def make_invoices(count):
    company, partner, tax = factories.CompanyFactory(), factories.PartnerFactory(), factories.TaxFactory()
    for n in range(count):
        invoice = factories.invoice(company=company, partner=partner, lines=[factories.line(taxes=[tax])])
        if n % 2:
            factories.posted(invoice)
            factories.pay(invoice, "5.00")


@pytest.mark.parametrize("model", ["invoice", "payment"])
def test_lists_keep_a_constant_number_of_queries_at_5_and_50_rows(accountant_client, model):
    url = reverse(f"admin:invoicing_{model}_changelist")
    make_invoices(10)
    small = count_get(accountant_client, url)
    make_invoices(90)
    large = count_get(accountant_client, url)
    assert small == large <= 10


def test_invoice_list_shows_number_status_totals_and_balance(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5)]))
    html = accountant_client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert invoice.number in html and "To pay" in html and "60.00 USD" in html


def returned(source):
    """A posted return of a posted source (the source's type gets a Return type of the opposite kind)."""
    from returns.services import return_create

    return_kind = Kind.BILL if source.kind == Kind.INVOICE else Kind.INVOICE
    return_type = factories.DocumentTypeFactory(kind=return_kind, is_return=True)
    DocumentType.objects.filter(pk=source.type_id).update(return_type=return_type)
    return factories.posted(return_create(document=source, user=factories.accountant()))


def test_list_filters_return_documents_and_search_by_number(accountant_client):
    plain = factories.posted(factories.invoice())
    refund = returned(factories.posted(factories.bill()))
    url = reverse("admin:invoicing_invoice_changelist")
    html = accountant_client.get(url, {"returns": "only"}).content.decode()
    assert refund.number in html and plain.number not in html
    html = accountant_client.get(url, {"q": plain.number}).content.decode()
    assert plain.number in html and refund.number not in html


def test_the_partner_filter_is_one_select_that_keeps_the_search_and_all_clears_it(accountant_client):
    first, second = factories.posted(factories.invoice()), factories.posted(factories.invoice())
    url = reverse("admin:invoicing_invoice_changelist")
    response = accountant_client.get(url, {"q": "INV", "partner__id__exact": first.partner_id})
    html = response.content.decode()
    assert first.number in html and second.number not in html
    form = html[html.index('class="filter-select"') : html.index("</form>", html.index('class="filter-select"'))]
    assert '<input type="hidden" name="q" value="INV">' in form
    assert f'<option value="{first.partner_id}" selected>' in form and f'<option value="{second.partner_id}">' in form
    response = accountant_client.get(url, {"q": "INV", "partner__id__exact": ""})  # "All" submitted by the form
    html = response.content.decode()
    assert response.status_code == 200 and first.number in html and second.number in html


def test_bills_list_shows_bills_only(accountant_client):
    bill, invoice = factories.posted(factories.bill()), factories.posted(factories.invoice())
    html = accountant_client.get(reverse("admin:invoicing_bill_changelist")).content.decode()
    assert bill.number in html and invoice.number not in html


def test_csv_export_follows_the_list_filters(accountant_client):
    paid = factories.posted(factories.invoice())
    factories.pay(paid, paid.balance_due)
    unpaid = factories.posted(factories.invoice())
    response = accountant_client.get(reverse("admin:invoicing_invoice_export"), {"status__exact": "paid"})
    body = response.content.decode()
    assert response["Content-Type"] == "text/csv"
    assert paid.number in body and unpaid.number not in body
    assert body.splitlines()[0].startswith("Number,Date,Partner")


# ----------------------------------------------------------------------------- the card
def test_card_shows_exactly_the_transitions_of_a_draft(accountant_client):
    html = accountant_client.get(card_url(factories.invoice())).content.decode()
    assert ">Post<" in html and ">Cancel<" in html and "Reset to draft" not in html
    assert "Register payment" not in html


def test_card_of_a_posted_invoice_is_read_only_and_says_why(accountant_client):
    invoice = factories.posted(factories.invoice())
    html = accountant_client.get(card_url(invoice)).content.decode()
    assert "is posted: its lines, partner and amounts are frozen" in html
    assert "Reset to draft" in html and "Register payment / refund" in html
    assert 'name="lines-TOTAL_FORMS"' not in html
    response = accountant_client.post(card_url(invoice), {"note": "changed"}, follow=True)
    assert "changed by someone else" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.note == ""


def _compact(html):
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def admin_fieldsets_html(adminform):
    """The fieldsets as the admin's change_form.html renders them, each with `admin/includes/fieldset.html`."""
    return "".join(
        render_to_string(
            "admin/includes/fieldset.html",
            {"fieldset": fieldset, "heading_level": 2, "prefix": "fieldset", "id_prefix": 0, "id_suffix": index},
        )
        for index, fieldset in enumerate(adminform)
    )


@pytest.mark.parametrize("which", ["posted bill with a note", "posted correction", "draft a reviewer reads"])
def test_a_read_only_card_header_is_the_admins_own_fieldset_markup(client, which):
    """`readonly_fieldsets` renders a read-only card's header in one pass: the HTML of the admin's
    `admin/includes/fieldset.html`, fieldset for fieldset (links, help texts, the collapsed Note, a Reason)."""
    user = factories.reviewer() if which.endswith("reads") else factories.accountant()
    client.force_login(user)
    bill = factories.bill(note="Call <Anna> first\nthen pay")
    if which.startswith("posted"):
        bill = factories.posted(bill)
    if which == "posted correction":
        bill = correct(bill, "1.00", user=factories.accountant())

    response = client.get(card_url(bill))

    admins = admin_fieldsets_html(response.context["adminform"])
    page = _compact(response.content.decode())
    assert _compact(admins) in page
    assert "Call &lt;Anna&gt; first<br>then pay" in page
    assert ('id="fieldset-0-1-heading" class="fieldset-heading">Reason<' in page) == (which == "posted correction")


def test_read_only_fieldsets_of_other_shapes_keep_the_admins_markup(accountant_client):
    """Lines of several fields, a description, odd classes, a hidden field with a help text: built in one pass or
    left to the admin's template, the HTML is the admin's."""
    shown = accountant_client.get(card_url(factories.bill())).context["adminform"]  # a draft's: every field
    shown.form.fields["due_date"].widget = forms.HiddenInput()
    fieldsets = [
        (None, {"fields": [("date", "currency"), "type"], "description": "<em>When</em>", "classes": ['x"y']}),
        ("Terms", {"fields": ["due_date", "note"], "classes": ["collapse"]}),
    ]
    readonly = ["date", "currency", "type", "due_date", "note"]
    adminform = helpers.AdminForm(shown.form, fieldsets, {}, readonly_fields=readonly, model_admin=shown.model_admin)

    ours = Template("{% load backoffice %}{% readonly_fieldsets adminform %}").render(Context({"adminform": adminform}))

    admins = admin_fieldsets_html(adminform)
    assert _compact(ours) == _compact(admins)
    assert 'class="help hidden"' in ours and "form-multiline" in ours


def test_the_add_page_of_a_user_who_may_add_but_not_change_is_the_editable_form(client):
    user = factories.UserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_bill", "view_bill"]))
    client.force_login(user)

    response = client.get(reverse("admin:invoicing_bill_add"))

    assert response.status_code == 200
    assert 'name="partner"' in response.content.decode()


def test_a_document_opened_through_the_other_kinds_pages_is_not_found(accountant_client):
    invoice = factories.posted(factories.invoice())

    response = accountant_client.get(reverse("admin:invoicing_bill_change", args=[invoice.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert invoice.number not in accountant_client.get(response["Location"]).content.decode()


def test_post_is_one_click_on_the_card_and_a_get_changes_nothing(accountant_client):
    invoice = factories.invoice()
    card = accountant_client.get(card_url(invoice)).content.decode()
    assert f'<form method="post" action="{action_url(invoice, "transition", "post")}">' in card
    assert accountant_client.get(action_url(invoice, "transition", "post")).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT  # GET changes nothing
    response = accountant_client.post(action_url(invoice, "transition", "post"), {"status": "draft"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == Status.TO_PAY
    assert f"{invoice.number} is now To pay." in response.content.decode()


def test_a_refused_post_shows_the_guard_message_on_the_card(accountant_client):
    invoice = factories.invoice(lines=[])
    html = accountant_client.get(card_url(invoice)).content.decode()
    assert "Add at least one line before posting." in html
    response = accountant_client.post(action_url(invoice, "transition", "post"), follow=True)
    assert "Cannot post: Add at least one line before posting." in response.content.decode()


def test_a_transition_from_a_stale_card_says_reload(accountant_client):
    invoice = factories.posted(factories.invoice())
    response = accountant_client.post(action_url(invoice, "transition", "cancel"), {"status": "draft"}, follow=True)
    assert "changed by someone else" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.TO_PAY


def test_cancel_and_reset_from_the_card(accountant_client):
    invoice = factories.posted(factories.invoice())
    accountant_client.post(action_url(invoice, "transition", "reset_to_draft"), {"status": "to_pay"})
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT and invoice.number
    accountant_client.post(action_url(invoice, "transition", "cancel"), {"status": "draft"})
    invoice.refresh_from_db()
    assert invoice.status == Status.CANCELED


def test_get_never_changes_state(accountant_client):
    invoice = factories.invoice()
    accountant_client.get(action_url(invoice, "transition", "cancel"))
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT


def test_register_payment_with_the_balance_suggested_makes_it_paid(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5)]))
    method = factories.PaymentMethodFactory(name="Cash")
    form = accountant_client.get(action_url(invoice, "payment")).content.decode()
    assert 'data-balance-due="60.00"' in form and "Fill in the whole balance due" in form
    response = accountant_client.post(
        action_url(invoice, "payment"),
        {"kind": "payment", "method": method.pk, "amount": "60.00", "date": "2026-11-20", "reference": "R1"},
        follow=True,
    )
    invoice.refresh_from_db()
    assert invoice.status == Status.PAID
    assert "Payment of 60.00 USD registered." in response.content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [("70.00", "exceeds the balance due of 60.00 USD"), ("abc", "Enter a number"), ("0", "greater than zero")],
)
def test_bad_payment_input_is_shown_on_the_form_and_nothing_is_saved(accountant_client, amount, message):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5)]))
    method = factories.PaymentMethodFactory()
    response = accountant_client.post(
        action_url(invoice, "payment"), {"kind": "payment", "method": method.pk, "amount": amount, "date": "2026-11-20"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_refund_form_suggests_the_open_credit(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5)]))  # 60.00
    factories.pay(invoice, "60.00")
    correct(invoice, "40.00")  # corrected to 48.00: 12.00 of open credit
    form = accountant_client.get(action_url(invoice, "payment")).content.decode()
    assert 'data-open-credit="12.00"' in form and "Fill in the whole open credit" in form


def test_card_tabs_show_payment_count_and_history(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5)]))
    factories.pay(invoice, "10.00")
    factories.pay(invoice, "5.00")
    html = accountant_client.get(card_url(invoice)).content.decode()
    assert 'Payments <span class="badge">2</span>' in html
    assert "History" in html and "accountant" in html


def test_settled_without_payment_is_marked_settled_by_credit(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=0)]))
    assert invoice.status == Status.PAID
    html = accountant_client.get(card_url(invoice)).content.decode()
    assert "Settled by credit" in html


def lines(count):
    tax = factories.TaxFactory()
    return [factories.line(quantity=1, unit_price="1.00", taxes=[tax]) for _ in range(count)]


@pytest.mark.parametrize("posted", [False, True], ids=["draft", "posted"])
def test_card_keeps_a_constant_number_of_queries_at_1_and_500_lines(accountant_client, posted):
    small, large = factories.invoice(lines=lines(1)), factories.invoice(lines=lines(500))
    if posted:
        factories.posted(small)
        factories.posted(large)
    counts = count_get(accountant_client, card_url(small)), count_get(accountant_client, card_url(large))
    assert counts[0] == counts[1] <= 15, counts


def test_card_keeps_a_constant_number_of_queries_at_1_and_100_payments(accountant_client):
    few = factories.posted(factories.invoice(lines=[factories.line(quantity=1, unit_price="10000.00")]))
    many = factories.posted(factories.invoice(lines=[factories.line(quantity=1, unit_price="10000.00")]))
    method = factories.PaymentMethodFactory()
    factories.pay(few, "1.00", method=method)
    for _ in range(100):
        factories.pay(many, "1.00", method=method)
    counts = count_get(accountant_client, card_url(few)), count_get(accountant_client, card_url(many))
    assert counts[0] == counts[1] <= 15, counts


# ----------------------------------------------------------------------------- drafts edited in the form
def draft_post_data(invoice_type, partner, company, lines):
    data = {
        "type": invoice_type.pk, "partner": partner.pk, "company": company.pk, "date": "2026-11-20",
        "due_date": "", "currency": "USD", "note": "",
        "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000", "_save": "Save",
    }  # fmt: skip
    for n, line in enumerate(lines):
        data.update({f"lines-{n}-{key}": value for key, value in line.items()})
    return data


def test_an_accountant_creates_an_invoice_with_two_lines_in_the_form(accountant_client):
    tax = factories.TaxFactory()
    invoice_type, partner, company = factories.invoice_type(), factories.PartnerFactory(), factories.CompanyFactory()
    data = draft_post_data(invoice_type, partner, company, [
        {"description": "Desk", "quantity": "3", "unit_price": "10.00", "discount": "10", "taxes": [tax.pk]},
        {"description": "Chair", "quantity": "1", "unit_price": "5.00", "discount": "0", "taxes": [tax.pk]},
    ])  # fmt: skip
    response = accountant_client.post(reverse("admin:invoicing_invoice_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    invoice = Document.objects.get()
    assert invoice.kind == Kind.INVOICE and invoice.status == Status.DRAFT
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (D("32.00"), D("6.40"), D("38.40"))
    assert list(invoice.lines.values_list("position", flat=True)) == [1, 2]
    assert invoice.created_by.username == "accountant"


def test_two_taxes_of_one_group_on_a_line_are_refused_on_the_form(accountant_client):
    vat20 = factories.TaxFactory()
    vat10 = factories.TaxFactory(name="VAT 10%", rate=D("10"), group="VAT")
    data = draft_post_data(factories.invoice_type(), factories.PartnerFactory(), factories.CompanyFactory(), [
        {"description": "Desk", "quantity": "1", "unit_price": "10.00", "discount": "0", "taxes": [vat20.pk, vat10.pk]},
    ])  # fmt: skip
    response = accountant_client.post(reverse("admin:invoicing_invoice_add"), data)
    assert response.status_code == 200
    assert "one tax of the group" in response.content.decode()
    assert not Document.objects.exists()


def test_a_vendor_only_partner_is_refused_on_an_invoice_form(accountant_client):
    vendor = factories.PartnerFactory(is_customer=False)
    data = draft_post_data(factories.invoice_type(), vendor, factories.CompanyFactory(), [])
    response = accountant_client.post(reverse("admin:invoicing_invoice_add"), data)
    assert response.status_code == 200 and "is not a customer" in response.content.decode()


def test_saving_a_draft_that_someone_else_posted_meanwhile_says_so(accountant_client):
    invoice = factories.invoice()
    form_data = draft_post_data(invoice.type, invoice.partner, invoice.company, [])
    factories.posted(invoice)
    response = accountant_client.post(card_url(invoice), form_data, follow=True)
    assert "changed by someone else" in response.content.decode() and "is To pay" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.TO_PAY


# ----------------------------------------------------------------------------- reviewer
def test_a_reviewer_sees_the_card_without_any_action_button(reviewer_client):
    invoice = factories.posted(factories.invoice())
    html = reviewer_client.get(card_url(invoice)).content.decode()
    actions = html[html.index('class="object-tools card-actions"') :]
    actions = actions[: actions.index("</ul>")]
    # Downloads change nothing: a reviewer may read the PDF and the e-invoice, and print.
    assert re.findall(r">([^<>]+)</(?:a|button|span)>", actions) == ["PDF", "XML (Peppol)", "Print"]
    assert invoice.number in html


def test_a_reviewer_gets_403_on_every_action(reviewer_client):
    invoice = factories.posted(factories.invoice())
    for name in ["post", "cancel", "reset_to_draft"]:
        assert reviewer_client.post(action_url(invoice, "transition", name)).status_code == 403
    method = factories.PaymentMethodFactory()
    response = reviewer_client.post(
        action_url(invoice, "payment"), {"kind": "payment", "method": method.pk, "amount": "1.00", "date": "2026-11-20"}
    )
    assert response.status_code == 403
    assert reviewer_client.post(reverse("admin:invoicing_invoice_add"), {}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Status.TO_PAY and not Payment.objects.exists()


# ----------------------------------------------------------------------------- print
@pytest.mark.parametrize(
    ("kind", "is_return", "title"),
    [(Kind.INVOICE, False, "Invoice"), (Kind.BILL, False, "Bill"), (Kind.BILL, True, "Credit note"),
     (Kind.INVOICE, True, "Refund")],
)  # fmt: skip
def test_print_view_is_titled_by_what_the_document_is(accountant_client, kind, is_return, title):
    if is_return:
        document = returned(
            factories.posted(factories.document(kind=Kind.BILL if kind == Kind.INVOICE else Kind.INVOICE))
        )
    else:
        document = factories.posted(factories.document(kind=kind))
    html = accountant_client.get(action_url(document, "print")).content.decode()
    assert f"<title>{title} {document.number}" in html
    assert "VAT 20%" in html and "Balance due" in html


def test_print_view_labels_payments_on_a_credit_note_as_refund_to_customer(accountant_client):
    source = factories.posted(factories.invoice())
    factories.pay(source, source.balance_due)
    credit_note = returned(source)
    factories.pay(credit_note, credit_note.balance_due, method=factories.PaymentMethodFactory(name="Cash"))
    html = accountant_client.get(action_url(credit_note, "print")).content.decode()
    assert "Refund to customer" in html and "Cash" in html
    assert credit_note.payments.get().kind == PaymentKind.PAYMENT


# ----------------------------------------------------------------------------- type settings
def test_type_form_refuses_a_return_type_without_the_return_flag(client):
    client.force_login(factories.administrator())
    plain_bill_type = factories.bill_type()
    response = client.post(reverse("admin:invoicing_invoicetype_add"), {
        "name": "Invoice", "series": "INV", "return_type": plain_bill_type.pk, "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # only return bill types are offered
    assert not DocumentType.objects.filter(kind=Kind.INVOICE).exists()


def test_type_form_offers_only_return_types_of_the_opposite_kind(client):
    client.force_login(factories.administrator())
    credit_note = factories.bill_type(name="Credit note", series="CN", is_return=True)
    factories.bill_type()
    factories.invoice_type(name="Refund", series="RF", is_return=True)
    html = client.get(reverse("admin:invoicing_invoicetype_add")).content.decode()
    assert f'<option value="{credit_note.pk}">Credit note</option>' in html
    assert ">Bill</option>" not in html and ">Refund</option>" not in html
    response = client.post(reverse("admin:invoicing_invoicetype_add"), {
        "name": "Invoice", "series": "INV", "return_type": credit_note.pk, "is_active": "on",
        "check_returned_quantity": "on",
    })  # fmt: skip
    assert response.status_code == 302
    assert DocumentType.objects.get(series="INV").return_type == credit_note


def test_a_draft_saved_by_someone_else_meanwhile_is_not_overwritten_silently(accountant_client):
    invoice = factories.invoice()
    page = accountant_client.get(card_url(invoice)).content.decode()
    loaded = re.search(r'name="loaded_version" value="([^"]+)"', page).group(1)
    factories.save_draft(Document.objects.get(pk=invoice.pk), note="theirs")  # someone else saves the draft
    data = draft_post_data(invoice.type, invoice.partner, invoice.company, [])
    data.update({"loaded_version": loaded, "note": "mine", "lines-INITIAL_FORMS": "0"})
    lines = invoice.lines.all()
    data.update({"lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": str(len(lines))})
    for n, line in enumerate(lines):
        data.update({f"lines-{n}-id": line.pk, f"lines-{n}-document": invoice.pk, f"lines-{n}-position": line.position,
                     f"lines-{n}-description": line.description, f"lines-{n}-quantity": line.quantity,
                     f"lines-{n}-unit_price": line.unit_price, f"lines-{n}-discount": line.discount})  # fmt: skip
    response = accountant_client.post(card_url(invoice), data)
    assert response.status_code == 200 and "Someone else changed this draft" in response.content.decode()
    assert "mine</textarea>" in response.content.decode()  # the refused input stays on the form
    invoice.refresh_from_db()
    assert invoice.note == "theirs"
    fresh_version = re.search(r'name="loaded_version" value="([^"]+)"', response.content.decode()).group(1)
    response = accountant_client.post(card_url(invoice), {**data, "loaded_version": fresh_version})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.note == "mine"


def test_lines_editor_inputs_are_the_widgets_own_html_built_without_a_template(accountant_client):
    """The editor builds its inputs in Python (speed): the same plain <input>s Django's widgets render, so
    the form posts the same without JavaScript."""
    from django.test.html import parse_html

    from invoicing.forms import LineFormSet
    from invoicing.templatetags.backoffice import _input_html

    taxes = [factories.TaxFactory(), factories.TaxFactory()]
    data = {"lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "1", "lines-0-id": "7", "lines-0-position": "1",
            "lines-0-description": 'A "quoted" <b>', "lines-0-quantity": "2,5", "lines-0-unit_price": "",
            "lines-0-taxes": [str(taxes[1].pk)], "lines-0-DELETE": "on"}  # fmt: skip
    for formset in (LineFormSet(prefix="lines"), LineFormSet(data, prefix="lines")):
        for form in formset.forms:
            for name in ("id", "position", "description", "quantity", "unit_price", "discount", "DELETE"):
                assert parse_html(_input_html(form[name])) == parse_html(str(form[name])), name
            inputs = re.compile(r"<input[^>]*>")
            ours = [parse_html(tag) for tag in inputs.findall(_input_html(form["taxes"]))]
            assert ours == [parse_html(tag) for tag in inputs.findall(str(form["taxes"]))]
    response = accountant_client.get(card_url(factories.invoice(lines=lines(3))))
    html = response.content.decode()
    assert html.count('class="line-row"') == 3 + 1 + 1  # the lines, one empty line, the new row's template
    assert html.count('name="lines-0-taxes"') == 1 and 'name="lines-0-DELETE"' in html


def test_navigation_follows_the_users_permissions_as_they_change(client):
    user = factories.UserFactory(username="clerk", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(user)
    nav = client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert "Invoices" in nav and "Bill types" not in nav

    user.user_permissions.add(Permission.objects.get(codename="view_billtype"))
    nav = client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert "Bill types" in nav

    user.user_permissions.remove(Permission.objects.get(codename="view_billtype"))
    nav = client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert "Bill types" not in nav


@pytest.mark.parametrize("role", ["accountant", "reviewer", "superuser"])
def test_the_sidebar_is_the_admins_app_list_with_the_page_marked_current(client, role):
    """The sidebar is rendered once per set of sections, current page and language (`navigation_sections`):
    each page still gets the admin's own `app_list.html` for it, with its own list marked current."""
    user = (
        factories.UserFactory(username="root", is_superuser=True) if role == "superuser" else getattr(factories, role)()
    )
    client.force_login(user)
    invoices, bills = reverse("admin:invoicing_invoice_changelist"), reverse("admin:invoicing_bill_changelist")
    card = factories.posted(factories.invoice()).get_absolute_url()
    balances = reverse("admin:report_partner_balances")
    # (page, the row of the navigation marked current), back and forth so that no page gets another's sidebar
    pages = [(invoices, "invoice"), (bills, "bill"), (balances, "report_partner_balances"), (card, "invoice"),
             (bills, "bill"), (invoices, "invoice")]  # fmt: skip
    for url, current in pages:
        response = client.get(url)
        html = response.content.decode()
        context = {"app_list": response.context["available_apps"], "show_changelinks": False,
                   "request": response.wsgi_request}  # fmt: skip

        assert render_to_string("admin/app_list.html", context) in html
        assert re.findall(r'class="model-(\w+) current-model"', html) == [current]
