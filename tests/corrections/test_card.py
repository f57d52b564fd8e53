"""The corrections app on the card, the lists and the print view; the Create Correction views."""

import re
from decimal import Decimal

from django.urls import reverse

from corrections.card import can_create_correction
from invoicing import services as core
from invoicing.debt import document_debt
from invoicing.models import Document, Status
from tests import factories
from tests.corrections.support import correct, fresh

D = Decimal


def bill_of_120():
    return factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))


def create_url(document):
    return reverse("corrections:create", args=[document.pk])


def card(client, document):
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def badge(html):
    return re.search(r'href="#tab-corrections"[^>]*>Corrections <span class="badge">(\d+)</span>', html).group(1)


# ----------------------------------------------------------------------------- worked example 8
def test_worked_example_8_create_correction_is_absent_on_draft_and_canceled_present_on_to_pay_and_paid():
    user = factories.accountant()
    draft = factories.invoice()
    assert not can_create_correction(draft, user)
    posted = factories.posted(factories.invoice())
    assert posted.status == Status.TO_PAY and can_create_correction(posted, user)
    factories.pay(posted, posted.balance_due)
    assert posted.status == Status.PAID and can_create_correction(posted, user)
    core.document_cancel(document=draft, user=user)
    assert draft.status == Status.CANCELED and not can_create_correction(draft, user)


def test_worked_example_8_on_the_card_page(accountant_client):
    user = factories.accountant()
    draft, to_pay, paid = factories.bill(), bill_of_120(), bill_of_120()
    factories.pay(paid, paid.balance_due)
    canceled = core.document_cancel(document=factories.bill(), user=user)
    for document, shown in [(draft, False), (to_pay, True), (paid, True), (canceled, False)]:
        html = card(accountant_client, fresh(document))
        button = f'<a class="button" href="{create_url(document)}">Create Correction</a>'
        assert (button in html) is shown, document.status


def test_the_button_is_hidden_from_a_reviewer(reviewer_client):
    bill = bill_of_120()
    assert not can_create_correction(bill, factories.reviewer())
    assert create_url(bill) not in card(reviewer_client, bill)


# ----------------------------------------------------------------------------- views
def test_get_asks_for_the_mode_on_a_bill(accountant_client):
    html = accountant_client.get(create_url(bill_of_120())).content.decode()
    assert 'name="mode" value="replacement" checked' in html and 'value="reversal"' in html


def test_get_offers_no_reversal_on_an_invoice(accountant_client):
    html = accountant_client.get(create_url(factories.posted(factories.invoice()))).content.decode()
    assert 'name="mode"' not in html and "Create Correction" in html


def test_post_creates_a_draft_and_opens_its_card(accountant_client):
    bill = bill_of_120()
    response = accountant_client.post(create_url(bill), {"mode": "replacement"}, follow=True)
    correction = Document.objects.get(original=bill)
    assert response.redirect_chain[0][0] == correction.get_absolute_url()
    assert correction.status == Status.DRAFT and not correction.is_reversal
    assert f"Correction of {bill.number} created as a draft" in response.content.decode()


def test_post_reversal_creates_a_reversal(accountant_client):
    bill = bill_of_120()
    accountant_client.post(create_url(bill), {"mode": "reversal"})
    reversal = Document.objects.get(original=bill)
    assert reversal.is_reversal and reversal.amount_total == D("-120.00")


def test_a_refused_creation_is_a_message_on_the_card_not_an_error_page(accountant_client):
    draft = factories.bill()
    response = accountant_client.post(create_url(draft), {"mode": "replacement"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[0][0] == draft.get_absolute_url()
    assert "Only a posted bill can be corrected" in response.content.decode()
    assert not Document.objects.filter(original=draft).exists()


def test_reversal_posted_for_an_invoice_is_refused_with_a_message(accountant_client):
    invoice = factories.posted(factories.invoice())
    response = accountant_client.post(create_url(invoice), {"mode": "reversal"}, follow=True)
    assert "Reversal exists on bill corrections only" in response.content.decode()
    assert not Document.objects.filter(original=invoice).exists()


def test_a_reviewer_gets_403(reviewer_client):
    bill = bill_of_120()
    assert reviewer_client.post(create_url(bill), {"mode": "replacement"}).status_code == 403
    assert reviewer_client.get(create_url(bill)).status_code == 403
    assert not Document.objects.filter(original=bill).exists()


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.post(create_url(bill_of_120()))
    assert response.status_code == 302 and "login" in response["Location"]


# ----------------------------------------------------------------------------- tab, footer, lists, print
def test_corrections_tab_and_footer_on_the_original(accountant_client):
    bill = bill_of_120()
    c1 = correct(bill, "80.00")
    c2 = correct(c1, "90.00")
    correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="50.00")])
    html = card(accountant_client, fresh(bill))
    assert badge(html) == "3"
    for correction in (c1, c2):
        assert correction.get_absolute_url() in html
    footer = dict(re.findall(r'<tr class="footer-extra"><th>(.*?)</th><td class="num">(.*?)</td>', html))
    assert footer["Latest correction no. 2 total"] == "108.00 USD"
    assert footer["Reversal corrections total"] == "-60.00 USD"
    assert footer["Effective total"] == "48.00 USD"
    assert footer["Effective untaxed"] == "40.00 USD"
    assert "48.00 USD" in html  # balance due


def test_a_corrections_card_links_its_original_and_shows_its_amount_correction(accountant_client):
    bill = bill_of_120()
    c1 = correct(bill, "80.00")
    html = card(accountant_client, fresh(c1))
    footer = dict(re.findall(r'<tr class="footer-extra"><th>(.*?)</th><td class="num">(.*?)</td>', html))
    assert footer["Amount correction total"] == "-24.00 USD"
    assert footer["Amount correction VAT 20%"] == "-4.00 USD"
    link = f'<a href="{bill.get_absolute_url()}">{bill.number}</a>'
    assert footer[f"Original bill {link}, effective total"] == "96.00 USD"
    assert f"Settled against {link}" in footer
    assert badge(html) == "1"


def test_a_draft_corrections_card_shows_the_prospective_amount_correction(accountant_client):
    bill = bill_of_120()
    draft = correct(bill, "80.00", post=False)
    html = card(accountant_client, fresh(draft))
    assert 'Prospective amount correction total</th><td class="num">-24.00 USD' in html
    assert "(prospective)" in html


def test_invoice_list_shows_the_original_and_the_correction_count(accountant_client):
    invoice = factories.posted(factories.invoice())
    c1 = correct(invoice, "8.00")
    correct(invoice, "9.00")
    html = accountant_client.get(reverse("admin:invoicing_invoice_changelist")).content.decode()
    assert f'<a href="{invoice.get_absolute_url()}">{invoice.number}</a>' in html
    row = re.search(rf"<tr>.*?{re.escape(fresh(c1).number)}.*?</tr>", html, re.S)
    assert row and invoice.number in row.group(0)
    assert re.search(r'<td class="field-column_correction_count">2</td>', html)


def test_print_view_of_a_correction(accountant_client):
    bill = bill_of_120()
    correct(bill, "80.00")
    c2 = correct(bill, "90.00")
    html = accountant_client.get(reverse("admin:invoicing_bill_print", args=[c2.pk])).content.decode()
    assert f"<title>Correction no. 2 of {bill.number}</title>" in html
    assert re.search(r"Previous state</th><td class=\"num\">80.00</td>", html)
    assert re.search(r"New state</th><td class=\"num\">90.00</td>", html)
    assert re.search(r"Difference</th><td class=\"num\">10.00</td><td class=\"num\">2.00</td>", html)


def test_debt_tab_itemises_the_correction_debt_on_the_original_and_on_the_correction():
    bill = bill_of_120()
    c1 = correct(bill, "80.00")
    correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="50.00")])
    factories.pay(fresh(bill), "10.00")
    debt = document_debt(document=fresh(bill))
    assert [row.amount for row in debt.rows] == [D("120.00"), D("-24.00"), D("-60.00"), D("-10.00")]
    assert debt.not_itemised == 0 and debt.balance_due == D("26.00")
    own = document_debt(document=fresh(c1))
    assert [row.amount for row in own.rows] == [D("96.00"), D("-96.00")]
    assert own.rows[1].label == f"Settled against original bill {bill.number}" and own.not_itemised == 0
