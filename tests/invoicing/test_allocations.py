"""Allocations (SPEC 10) and payment reversal (SPEC 6): worked examples 11, 12 and 13, the rules, the card."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corrections.services import correction_create
from invoicing import selectors, services
from invoicing.debt import document_debt
from invoicing.models import Allocation, Document, Kind, Payment, PaymentKind, Side, Status
from returns.services import return_create
from tests import factories
from tests.returns.helpers import invoice_of_60, sales_type, set_quantity

D = Decimal


def fresh(document):
    return Document.objects.select_related("type", "partner").get(pk=document.pk)


def customer():
    return factories.PartnerFactory(name="Customer C", is_customer=True, is_vendor=False)


def invoice_of(amount, partner, **kwargs):
    kwargs.setdefault("type", sales_type())
    return factories.posted(
        factories.invoice(partner=partner, lines=[factories.line(unit_price=amount, taxes=[])], **kwargs)
    )


def credit_note_of_24(partner):
    """A return of 2 of 5 units of an invoice that was already paid: nothing to credit, so 24.00 is owed back."""
    sold = invoice_of_60(partner=partner)
    factories.pay(sold, "60.00")
    credit_note = factories.posted(set_quantity(return_create(document=sold, user=factories.accountant()), 2))
    assert credit_note.balance_due == D("24.00") and credit_note.status == Status.TO_PAY
    return credit_note


def allocate(document, counterpart, amount, user=None):
    return services.allocation_create(
        document=document, counterpart=counterpart, amount=amount, user=user or factories.accountant()
    )


def apply_url(document):
    return reverse(f"admin:invoicing_{document.kind}_allocate", args=[document.pk])


def remove_url(document, allocation):
    return reverse(f"admin:invoicing_{document.kind}_allocation_remove", args=[document.pk, allocation.pk])


def reverse_url(payment):
    return reverse(f"admin:invoicing_{payment.document.kind}_payment_reverse", args=[payment.document_id, payment.pk])


# ----------------------------------------------------------------------------- worked examples
def test_worked_example_11_a_credit_note_applied_to_another_invoice_and_removed_again():
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)

    [offer] = selectors.document_open_counterparts(document=invoice)
    assert offer.document.pk == credit_note.pk and offer.most == D("24.00")  # filled in as 24.00

    allocation = allocate(invoice, credit_note, offer.most)
    credit_note, invoice = fresh(credit_note), fresh(invoice)
    assert credit_note.status == Status.PAID and credit_note.balance_due == 0
    assert selectors.status_words(document=credit_note) == "Settled by credit"
    assert invoice.balance_due == D("76.00") and invoice.status == Status.TO_PAY
    assert (allocation.receivable_id, allocation.payable_id) == (invoice.pk, credit_note.pk)

    services.allocation_reverse(allocation=allocation, user=factories.accountant())
    credit_note, invoice = fresh(credit_note), fresh(invoice)
    assert credit_note.status == Status.TO_PAY and credit_note.balance_due == D("24.00")
    assert invoice.status == Status.TO_PAY and invoice.balance_due == D("100.00")
    allocation.refresh_from_db()
    assert allocation.is_reversed and Allocation.objects.filter(pk=allocation.pk).exists()  # the row stays

    with pytest.raises(ValidationError, match="at most 24.00"):
        allocate(invoice, credit_note, "30.00")
    other_customer = invoice_of("100.00", customer())
    other_company = invoice_of("100.00", partner, company=factories.CompanyFactory(name="Other Co"))
    other_currency = invoice_of("100.00", partner, currency="EUR")
    for other, message in [
        (other_customer, "same partner"),
        (other_company, "another company"),
        (other_currency, "never mix currencies"),
    ]:
        with pytest.raises(ValidationError, match=message):
            allocate(other, credit_note, "10.00")
    assert Allocation.objects.count() == 1
    assert selectors.balance_audit() == []


def test_worked_example_12_open_credit_moved_to_another_invoice_keeps_its_direction_after_a_correction():
    partner = customer()
    invoice_i = invoice_of("100.00", partner)
    factories.pay(invoice_i, "100.00")
    correction = correction_create(document=invoice_i, user=factories.accountant())
    factories.posted(factories.edit_lines(correction, **{"1": {"unit_price": D("80.00")}}))
    invoice_i = fresh(invoice_i)
    assert invoice_i.balance_due == D("-20.00")

    invoice_j = invoice_of("50.00", partner)
    allocation = allocate(invoice_i, invoice_j, "20.00")
    assert (allocation.receivable_id, allocation.payable_id) == (invoice_j.pk, invoice_i.pk)
    invoice_i, invoice_j = fresh(invoice_i), fresh(invoice_j)
    assert invoice_i.status == Status.PAID and invoice_i.balance_due == 0
    assert invoice_j.balance_due == D("30.00")

    back = correction_create(document=invoice_i, user=factories.accountant())
    factories.posted(factories.edit_lines(back, **{"1": {"unit_price": D("100.00")}}))
    invoice_i, invoice_j = fresh(invoice_i), fresh(invoice_j)
    assert invoice_i.balance_due == D("20.00") and invoice_i.status == Status.TO_PAY  # the credit it gave is gone
    assert invoice_j.balance_due == D("30.00")
    assert selectors.balance_audit() == []


def test_worked_example_13_reverse_a_payment_then_cancel_and_reversing_twice_is_refused():
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5, unit_price="10.00")]))
    payment = factories.pay(invoice, "60.00")
    assert invoice.status == Status.PAID
    user = factories.accountant()

    services.payment_reverse(payment=payment, user=user, reason="Typed on the wrong invoice")
    invoice = fresh(invoice)
    payment.refresh_from_db()
    assert invoice.balance_due == D("60.00") and invoice.status == Status.TO_PAY and invoice.net_paid == 0
    assert (
        payment.is_reversed and payment.reversed_by == user and payment.reversal_reason == "Typed on the wrong invoice"
    )
    assert payment.reversed_at is not None

    with pytest.raises(ValidationError, match="cannot be reversed again"):
        services.payment_reverse(payment=payment, user=user, reason="Again")

    services.document_cancel(document=invoice, user=user)
    assert fresh(invoice).status == Status.CANCELED
    assert Payment.objects.filter(pk=payment.pk).exists()
    assert selectors.balance_audit() == []


# ----------------------------------------------------------------------------- rules
def test_allocation_refuses_a_draft_a_canceled_document_and_the_same_side():
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    draft = factories.invoice(partner=partner, type=sales_type())
    with pytest.raises(ValidationError, match="Draft: only posted documents"):
        allocate(credit_note, draft, "5.00")
    canceled = invoice_of("10.00", partner)
    services.document_cancel(document=canceled, user=factories.accountant())
    with pytest.raises(ValidationError, match="Canceled: only posted documents"):
        allocate(credit_note, canceled, "5.00")
    with pytest.raises(ValidationError, match="same side"):
        allocate(invoice, invoice_of("10.00", partner), "5.00")
    with pytest.raises(ValidationError, match="greater than zero"):
        allocate(invoice, credit_note, "0")
    with pytest.raises(ValidationError, match="cannot settle itself"):
        allocate(invoice, invoice, "1.00")
    assert not Allocation.objects.filter(is_automatic=False).exists()


def test_a_second_allocation_of_a_spent_credit_is_refused_and_writes_nothing():
    partner = customer()
    first, second = invoice_of("100.00", partner), invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    allocate(first, credit_note, "24.00")
    with pytest.raises(ValidationError, match="Nothing is open on Credit note"):
        allocate(second, credit_note, "24.00")
    assert fresh(second).balance_due == D("100.00") and Allocation.objects.filter(is_automatic=False).count() == 1


def test_set_off_between_a_customers_invoice_and_the_same_partners_bill():
    partner = factories.PartnerFactory(is_customer=True, is_vendor=True)
    invoice = invoice_of("100.00", partner)
    bill = factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="30.00", taxes=[])]))
    credit_note = credit_note_of_24(partner)
    offers = selectors.document_open_counterparts(document=invoice)
    assert [(o.document.pk, o.is_set_off) for o in offers] == [(credit_note.pk, False), (bill.pk, True)]
    allocation = allocate(bill, invoice, "30.00")
    assert fresh(bill).status == Status.PAID and fresh(invoice).balance_due == D("70.00")
    assert allocation.label_for(fresh(invoice)) == f"Set off against {fresh(bill)}"


def test_reset_and_cancel_are_refused_while_a_manual_allocation_stands_naming_the_other_document():
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    allocation = allocate(invoice, credit_note, "10.00")
    user = factories.accountant()
    for action in (services.document_reset_to_draft, services.document_cancel):
        with pytest.raises(ValidationError, match=f"allocated against {fresh(credit_note)}: remove the allocation"):
            action(document=fresh(invoice), user=user)
    with pytest.raises(ValidationError, match=f"allocated against {fresh(invoice)}"):
        services.document_cancel(document=fresh(credit_note), user=user)
    services.allocation_reverse(allocation=allocation, user=user)
    services.document_cancel(document=fresh(invoice), user=user)
    assert fresh(invoice).status == Status.CANCELED


def test_a_return_credit_is_an_automatic_allocation_reversed_when_the_return_is_canceled():
    invoice = invoice_of_60()
    credit_note = factories.posted(set_quantity(return_create(document=invoice, user=factories.accountant()), 2))
    [allocation] = Allocation.objects.all()
    assert allocation.is_automatic and allocation.amount == D("24.00")
    assert (allocation.receivable_id, allocation.payable_id) == (invoice.pk, credit_note.pk)
    with pytest.raises(ValidationError, match="goes when the return is canceled"):
        services.allocation_reverse(allocation=allocation, user=factories.accountant())
    services.document_cancel(document=credit_note, user=factories.accountant())
    allocation.refresh_from_db()
    assert allocation.is_reversed and fresh(invoice).balance_due == D("60.00")
    assert selectors.balance_audit() == []


def test_allocation_effects_follow_the_side_each_document_stood_on():
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    allocation = allocate(credit_note, invoice, "4.00")
    assert allocation.side_of(invoice) == Side.RECEIVABLE and allocation.effect(invoice) == D("4.00")
    assert allocation.side_of(credit_note) == Side.PAYABLE and allocation.effect(credit_note) == D("4.00")
    assert fresh(invoice).allocated == D("4.00") and fresh(credit_note).allocated == D("4.00")


def test_a_reversed_refund_brings_the_open_credit_back():
    invoice = invoice_of("100.00", customer())
    factories.pay(invoice, "100.00")
    correction = correction_create(document=invoice, user=factories.accountant())
    factories.posted(factories.edit_lines(correction, **{"1": {"unit_price": D("80.00")}}))
    refund = factories.pay(fresh(invoice), "20.00", kind=PaymentKind.REFUND)
    assert fresh(invoice).status == Status.PAID
    services.payment_reverse(payment=refund, user=factories.accountant(), reason="Refund bounced")
    assert fresh(invoice).balance_due == D("-20.00") and fresh(invoice).status == Status.TO_PAY


def test_payment_reversal_needs_a_reason_and_the_permission():
    invoice = factories.posted(factories.invoice())
    payment = factories.pay(invoice, "12.00")
    with pytest.raises(ValidationError, match="Say why"):
        services.payment_reverse(payment=payment, user=factories.accountant(), reason="  ")
    with pytest.raises(ValidationError, match="permission"):
        services.payment_reverse(payment=payment, user=factories.reviewer(), reason="no")
    assert not Payment.objects.get(pk=payment.pk).is_reversed


# ----------------------------------------------------------------------------- the card
def test_card_box_offers_the_credit_note_with_the_most_that_can_be_applied_and_apply_posts_it(accountant_client):
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    html = accountant_client.get(invoice.get_absolute_url()).content.decode()
    assert 'id="open-counterparts"' in html and f'data-counterpart="{credit_note.pk}"' in html
    assert 'name="amount" value="24.00"' in html
    assert accountant_client.get(apply_url(invoice)).status_code == 405  # POST only

    response = accountant_client.post(
        apply_url(invoice), {"counterpart": credit_note.pk, "amount": "24,00"}, follow=True
    )
    assert "24.00 USD applied" in response.content.decode()
    assert fresh(invoice).balance_due == D("76.00") and fresh(credit_note).status == Status.PAID

    debt_html = accountant_client.get(invoice.get_absolute_url()).content.decode()
    allocation = Allocation.objects.get(is_automatic=False)
    assert f"Credit from credit note {credit_note.number}" in debt_html and remove_url(invoice, allocation) in debt_html
    assert accountant_client.get(remove_url(invoice, allocation)).status_code == 405
    response = accountant_client.post(remove_url(invoice, allocation), follow=True)
    assert "removed" in response.content.decode() and fresh(invoice).balance_due == D("100.00")
    html = accountant_client.get(invoice.get_absolute_url()).content.decode()
    assert 'class="allocation reversed"' in html


@pytest.mark.parametrize(
    "amount, message",
    [
        ("30.00", "at most 24.00"),
        ("abc", "Nothing was applied"),
        ("-1", "greater than zero"),
        ("", "Nothing was applied"),
    ],
)
def test_bad_apply_input_is_a_message_on_the_card_and_nothing_is_written(accountant_client, amount, message):
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    response = accountant_client.post(
        apply_url(invoice), {"counterpart": credit_note.pk, "amount": amount}, follow=True
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Allocation.objects.filter(is_automatic=False).exists()


def test_apply_to_another_partners_document_or_a_missing_one_is_refused_on_the_card(accountant_client):
    invoice = invoice_of("100.00", customer())
    foreign_credit = credit_note_of_24(customer())
    html = accountant_client.post(apply_url(invoice), {"counterpart": foreign_credit.pk, "amount": "5"}, follow=True)
    assert "same partner" in html.content.decode()
    html = accountant_client.post(apply_url(invoice), {"counterpart": 999999, "amount": "5"}, follow=True)
    assert "does not exist" in html.content.decode()
    assert not Allocation.objects.filter(is_automatic=False).exists()


def test_a_reviewer_gets_403_on_apply_remove_and_reverse(reviewer_client):
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    allocation = allocate(invoice, credit_note, "5.00")
    payment = factories.pay(fresh(invoice), "1.00")
    html = reviewer_client.get(invoice.get_absolute_url()).content.decode()
    assert "apply-allocation" not in html and "remove-allocation" not in html and "reverse-payment" not in html
    assert reviewer_client.post(apply_url(invoice), {"counterpart": credit_note.pk, "amount": "1"}).status_code == 403
    assert reviewer_client.post(remove_url(invoice, allocation)).status_code == 403
    assert reviewer_client.post(reverse_url(payment), {"reason": "x"}).status_code == 403
    assert reviewer_client.get(reverse_url(payment)).status_code == 403
    assert (
        not Allocation.objects.get(pk=allocation.pk).is_reversed and not Payment.objects.get(pk=payment.pk).is_reversed
    )


def test_reverse_payment_from_the_card_then_cancel(accountant_client):
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity=5, unit_price="10.00")]))
    payment = factories.pay(invoice, "60.00")
    html = accountant_client.get(invoice.get_absolute_url()).content.decode()
    assert reverse_url(payment) in html
    form = accountant_client.get(reverse_url(payment)).content.decode()
    assert 'id="reverse-payment-form"' in form
    response = accountant_client.post(reverse_url(payment), {"reason": ""})
    assert response.status_code == 200 and not Payment.objects.get(pk=payment.pk).is_reversed  # reason required
    response = accountant_client.post(reverse_url(payment), {"reason": "Wrong invoice"}, follow=True)
    page = response.content.decode()
    assert "reversed" in page and "To pay" in page
    assert 'class="payment reversed"' in page and "Wrong invoice" in page
    again = accountant_client.post(reverse_url(payment), {"reason": "Twice"}, follow=True).content.decode()
    assert "cannot be reversed again" in again
    response = accountant_client.post(
        reverse(f"admin:invoicing_{invoice.kind}_transition", args=[invoice.pk, "cancel"]), {"status": "to_pay"}
    )
    assert fresh(invoice).status == Status.CANCELED


def test_debt_tab_itemises_allocations_and_reversed_payments():
    partner = customer()
    invoice = invoice_of("100.00", partner)
    credit_note = credit_note_of_24(partner)
    allocate(invoice, credit_note, "24.00")
    payment = factories.pay(fresh(invoice), "10.00")
    services.payment_reverse(payment=payment, user=factories.accountant(), reason="Bounced")
    debt = document_debt(document=fresh(invoice))
    rows = [(row.label, row.amount) for row in debt.rows]
    assert (f"Credit from credit note {credit_note.number}", D("-24.00")) in rows
    assert ("Payment (Bank transfer)", D("-10.00")) in rows and ("Payment reversed: Bounced", D("10.00")) in rows
    assert debt.not_itemised == 0 and debt.balance_due == D("76.00")
    [row] = debt.allocations
    assert row.other.pk == credit_note.pk


def test_a_bill_with_open_credit_is_receivable():
    partner = factories.PartnerFactory(is_customer=False, is_vendor=True)
    bill = factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="50.00", taxes=[])]))
    factories.pay(bill, "50.00")
    correction = correction_create(document=bill, user=factories.accountant())
    factories.posted(factories.edit_lines(correction, **{"1": {"unit_price": D("40.00")}}))
    other = factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="30.00", taxes=[])]))
    allocation = allocate(bill, other, "10.00")
    assert allocation.receivable_id == bill.pk and allocation.payable_id == other.pk
    assert fresh(bill).status == Status.PAID and fresh(other).balance_due == D("20.00")
    assert fresh(bill).kind == Kind.BILL and selectors.balance_audit() == []


# ----------------------------------------------------------------------------- query budgets
def invoice_with_allocations(count, partner):
    """A 10,000.00 invoice with `count` 1.00 bills of the same partner set off against it (count + 1 open ones)."""
    invoice = invoice_of("10000.00", partner)
    for _ in range(count):
        bill = factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="1.00", taxes=[])]))
        allocate(bill, invoice, "1.00")
    factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="1.00", taxes=[])]))
    for _ in range(3):  # a few removed ones too
        bill = factories.posted(factories.bill(partner=partner, lines=[factories.line(unit_price="1.00", taxes=[])]))
        services.allocation_reverse(allocation=allocate(bill, invoice, "1.00"), user=factories.accountant())
    return fresh(invoice)


def card_query_count(client, document):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_card_and_debt_tab_keep_a_constant_number_of_queries_at_0_and_100_allocations(accountant_client):
    few = invoice_with_allocations(0, factories.PartnerFactory())
    many = invoice_with_allocations(100, factories.PartnerFactory())
    card_query_count(accountant_client, few)  # warm up the per-process caches
    (small, small_html), (large, large_html) = (
        card_query_count(accountant_client, few),
        card_query_count(accountant_client, many),
    )
    assert small == large <= 15, (small, large)
    assert large_html.count('class="allocation"') == 100 and large_html.count('class="allocation reversed"') == 3
    assert 'id="open-counterparts"' in small_html and 'id="open-counterparts"' in large_html

    counts = []
    for document in (few, many):
        with CaptureQueriesContext(connection) as queries:
            document_debt(document=document)
        counts.append(len(queries))
    # its allocations and its payments, plus the corrections app's chain (its documents; no tax here to name)
    assert counts[0] == counts[1] == 3, counts
