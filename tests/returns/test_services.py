from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from invoicing import services
from invoicing.models import Document, Kind, PaymentKind, Status
from returns import selectors
from returns.services import return_create
from tests import factories
from tests.returns.helpers import bill_of_60, credit_note_type, invoice_of_60, refund_type, set_quantity

D = Decimal


def make_return(document, user=None):
    return return_create(document=document, user=user or factories.accountant())


def fresh(document):
    return Document.objects.select_related("type").get(pk=document.pk)


# ----------------------------------------------------------------------------- worked examples
def test_worked_example_5_credit_note_on_a_paid_invoice_is_refunded_to_the_customer_by_cash():
    invoice = invoice_of_60()
    factories.pay(invoice, "60.00")
    assert invoice.status == Status.PAID

    credit_note = make_return(invoice)
    assert credit_note.kind == Kind.BILL and credit_note.type.is_return and credit_note.type_label == "Credit note"
    assert credit_note.status == Status.DRAFT and credit_note.partner == invoice.partner
    [line] = credit_note.lines.all()
    assert (line.quantity, line.unit_price, line.discount) == (D("5"), D("10.00"), D("0"))
    assert [t.name for t in line.taxes.all()] == ["VAT 20%"] and line.source_line == invoice.lines.get()
    assert credit_note.amount_total == D("60.00")

    set_quantity(credit_note, 2)
    assert credit_note.amount_total == D("24.00")
    factories.posted(credit_note)

    invoice = fresh(invoice)
    assert invoice.status == Status.PAID and invoice.allocated == 0
    assert credit_note.status == Status.TO_PAY and credit_note.balance_due == D("24.00")
    assert credit_note.allocated == 0

    payment = factories.pay(credit_note, "24.00", method=factories.PaymentMethodFactory(name="Cash"))
    assert payment.label == "Refund to customer" and payment.method.name == "Cash"
    assert credit_note.status == Status.PAID and credit_note.balance_due == 0
    assert not credit_note.settled_by_credit


def test_worked_example_6_credit_note_on_an_unpaid_invoice_applies_its_credit():
    invoice = invoice_of_60()
    credit_note = set_quantity(make_return(invoice), 2)
    factories.posted(credit_note)

    invoice = fresh(invoice)
    assert invoice.status == Status.TO_PAY
    assert invoice.allocated == D("24.00") and invoice.balance_due == D("36.00")
    assert credit_note.allocated == D("24.00") and credit_note.balance_due == 0
    assert credit_note.status == Status.PAID and credit_note.settled_by_credit


def test_worked_example_7_check_returned_quantity_refuses_more_than_remains():
    invoice = invoice_of_60(check_returned_quantity=True)
    factories.posted(set_quantity(make_return(invoice), 2))
    assert selectors.returned_quantity(line=invoice.lines.get()) == D("2")

    second = make_return(invoice)
    assert second.lines.get().quantity == D("3")  # prefilled with what is still returnable
    with pytest.raises(ValidationError, match="only 3 remaining"):
        set_quantity(second, 4)  # refused on save: nothing stored
    assert fresh(second).lines.get().quantity == D("3")

    factories.posted(set_quantity(second, 3))
    assert selectors.returned_quantity(line=invoice.lines.get()) == D("5")


def test_worked_example_7_a_draft_saved_before_another_return_was_posted_is_refused_on_post():
    invoice = invoice_of_60(check_returned_quantity=True)
    first, second = make_return(invoice), make_return(invoice)  # both prefilled with the 5 returnable
    set_quantity(second, 4)
    factories.posted(set_quantity(first, 2))
    with pytest.raises(ValidationError, match="only 3 remaining"):
        factories.posted(second)
    assert fresh(second).status == Status.DRAFT
    factories.posted(set_quantity(second, 3))


def test_worked_example_7_without_the_flag_more_than_remains_is_accepted():
    invoice = invoice_of_60(check_returned_quantity=False)
    factories.posted(set_quantity(make_return(invoice), 2))
    second = set_quantity(make_return(invoice), 4)
    factories.posted(second)
    assert second.status in (Status.TO_PAY, Status.PAID)
    assert selectors.returned_quantity(line=invoice.lines.get()) == D("6")


# ----------------------------------------------------------------------------- return_create
def test_refund_on_a_bill_takes_the_vendor_as_customer_and_applies_its_credit():
    bill = bill_of_60()
    refund = make_return(bill)
    assert refund.kind == Kind.INVOICE and refund.type == refund_type() and refund.type_label == "Refund"
    assert refund.partner == bill.partner and not refund.partner.is_customer
    set_quantity(refund, 1)
    factories.posted(refund)
    bill = fresh(bill)
    assert bill.allocated == D("12.00") and bill.balance_due == D("48.00")
    assert refund.status == Status.PAID


def test_payment_on_a_refund_with_open_balance_is_a_refund_from_the_supplier():
    bill = bill_of_60()
    factories.pay(bill, "60.00")
    refund = factories.posted(set_quantity(make_return(bill), 1))
    assert refund.balance_due == D("12.00")
    assert factories.pay(refund, "12.00").label == "Refund from supplier"
    assert refund.status == Status.PAID


def test_return_copies_the_net_unit_price_company_currency_and_skips_returned_lines():
    company = factories.CompanyFactory(name="Euro GmbH", currency="EUR")
    invoice = factories.invoice(
        type=invoice_of_60().type,
        company=company,
        currency="EUR",
        lines=[
            factories.line(quantity=3, unit_price="10.00", discount="10", description="Discounted"),
            factories.line(quantity=1, unit_price="7.00", description="Other"),
        ],
    )
    factories.posted(invoice)
    first = make_return(invoice)
    discounted = first.lines.get(position=1)
    assert (discounted.unit_price, discounted.discount, discounted.quantity) == (D("9.00"), D("0"), D("3"))
    assert first.company == company and first.currency == "EUR"
    assert first.amount_total == invoice.amount_total
    factories.edit_lines(first, **{"2": None})  # the second line does not come back
    factories.posted(first)

    second = make_return(invoice)
    assert [line.description for line in second.lines.all()] == ["Other"]
    assert second.lines.get().source_line.position == 2


def test_a_net_price_with_more_decimals_keeps_price_and_discount_so_amounts_match():
    invoice = factories.posted(
        factories.invoice(
            type=invoice_of_60().type, lines=[factories.line(quantity=3, unit_price="35.50", discount="5")]
        )
    )
    line = make_return(invoice).lines.get()
    assert (line.unit_price, line.discount) == (D("35.50"), D("5.00"))
    assert line.amount_total == invoice.lines.get().amount_total


def test_return_of_a_draft_is_refused():
    invoice = factories.invoice(type=invoice_of_60().type)
    with pytest.raises(ValidationError, match="Only a To pay or Paid invoice can be returned; this one is Draft"):
        make_return(invoice)


def test_return_of_a_canceled_invoice_is_refused():
    invoice = invoice_of_60()
    services.document_cancel(document=invoice, user=factories.accountant())
    with pytest.raises(ValidationError, match="this one is Canceled"):
        make_return(invoice)


def test_return_without_a_return_type_names_the_type_to_configure():
    invoice = factories.posted(factories.invoice(type=factories.invoice_type(name="Export invoice", series="EXP")))
    with pytest.raises(ValidationError, match="configure a Return type on the type “Export invoice”"):
        make_return(invoice)


def test_return_with_an_inactive_return_type_says_so():
    invoice = invoice_of_60()
    credit_note_type().__class__.objects.filter(pk=credit_note_type().pk).update(is_active=False)
    with pytest.raises(ValidationError, match="Return type “Credit note” of the type “Invoice” is inactive"):
        make_return(invoice)


def test_return_when_everything_was_returned_is_refused():
    invoice = invoice_of_60()
    factories.posted(make_return(invoice))
    with pytest.raises(ValidationError, match="nothing is left to return"):
        make_return(invoice)


def test_a_return_cannot_itself_be_returned():
    credit_note = factories.posted(make_return(invoice_of_60()))
    with pytest.raises(ValidationError, match="A credit note cannot be returned"):
        make_return(credit_note)


def test_a_reviewer_cannot_create_returns():
    invoice = invoice_of_60()
    with pytest.raises(ValidationError, match="permission to create credit notes"):
        make_return(invoice, user=factories.reviewer())
    with pytest.raises(ValidationError, match="permission to create refunds"):
        make_return(bill_of_60(), user=factories.reviewer())
    assert not Document.objects.filter(type__is_return=True).exists()


# ----------------------------------------------------------------------------- credit applied
def test_credit_is_at_most_the_open_balance_and_the_rest_is_the_returns_balance():
    invoice = invoice_of_60()
    factories.pay(invoice, "50.00")
    credit_note = factories.posted(set_quantity(make_return(invoice), 2))
    invoice = fresh(invoice)
    assert invoice.allocated == D("10.00") and invoice.balance_due == 0 and invoice.status == Status.PAID
    assert credit_note.allocated == D("10.00") and credit_note.balance_due == D("14.00")
    factories.pay(credit_note, "14.00")
    assert credit_note.status == Status.PAID


def test_canceling_a_return_removes_exactly_its_credit_and_reopens_the_source():
    invoice = invoice_of_60()
    first = factories.posted(set_quantity(make_return(invoice), 2))
    second = factories.posted(make_return(invoice))  # the 3 left: 36.00 settles the rest
    invoice = fresh(invoice)
    assert invoice.status == Status.PAID and invoice.allocated == D("60.00") and invoice.settled_by_credit

    services.document_cancel(document=first, user=factories.accountant())
    invoice = fresh(invoice)
    assert invoice.status == Status.TO_PAY and invoice.allocated == D("36.00")
    assert invoice.balance_due == D("24.00")
    first = fresh(first)
    assert first.status == Status.CANCELED and first.allocated == 0 and first.balance_due == 0
    assert fresh(second).allocated == D("36.00")


def test_resetting_a_partly_credited_return_to_draft_takes_its_credit_back():
    invoice = invoice_of_60()
    factories.pay(invoice, "50.00")
    credit_note = factories.posted(set_quantity(make_return(invoice), 2))
    services.document_reset_to_draft(document=credit_note, user=factories.accountant())
    assert fresh(credit_note).allocated == 0
    invoice = fresh(invoice)
    assert invoice.allocated == 0 and invoice.balance_due == D("10.00") and invoice.status == Status.TO_PAY


def test_a_return_of_a_correction_credits_the_original():
    invoice = invoice_of_60()
    correction = services.document_create(
        kind=Kind.INVOICE,
        type=invoice.type,
        company=invoice.company,
        partner=invoice.partner,
        user=factories.accountant(),
        original=invoice,
        lines=[factories.line(quantity=5, unit_price="10.00", description="Chair")],
    )
    factories.posted(correction)
    credit_note = factories.posted(set_quantity(make_return(correction), 2))
    assert fresh(invoice).allocated == D("24.00")
    assert fresh(correction).allocated == 0
    assert credit_note.allocated == D("24.00")
    assert [r.pk for r in selectors.document_returns(document=invoice)] == [credit_note.pk]


def test_a_refund_payment_on_the_source_after_a_return_is_possible_when_credit_exceeds():
    invoice = invoice_of_60()
    factories.pay(invoice, "60.00")
    credit_note = factories.posted(set_quantity(make_return(invoice), 2))
    # The invoice had nothing open: the money goes back through the credit note, not the invoice.
    with pytest.raises(ValidationError, match="no open credit"):
        factories.pay(fresh(invoice), "24.00", kind=PaymentKind.REFUND)
    assert credit_note.balance_due == D("24.00")


# ----------------------------------------------------------------------------- dependents
def test_a_source_with_open_returns_cannot_be_canceled_or_reset():
    invoice = invoice_of_60()
    credit_note = make_return(invoice)
    user = factories.accountant()
    with pytest.raises(
        ValidationError, match=r"returns that are not canceled \(credit note Draft\); cancel its returns"
    ):
        services.document_cancel(document=invoice, user=user)
    with pytest.raises(ValidationError, match="cancel its returns first"):
        services.document_reset_to_draft(document=invoice, user=user)
    services.document_cancel(document=credit_note, user=user)
    services.document_reset_to_draft(document=invoice, user=user)
    assert fresh(invoice).status == Status.DRAFT


def test_selectors_list_returns_and_returned_quantities_in_bulk():
    invoice = factories.posted(
        factories.invoice(type=invoice_of_60().type, lines=[factories.line(quantity=4), factories.line(quantity=2)])
    )
    draft = make_return(invoice)
    posted = factories.posted(set_quantity(make_return(invoice), 1))
    lines = list(invoice.lines.all())
    rows = selectors.line_return_rows(lines=lines)
    assert rows[lines[0].pk] == (D("4"), D("1"), D("3"))
    assert rows[lines[1].pk] == (D("2"), D("2"), D("0"))
    assert [r.pk for r in selectors.document_returns(document=invoice)] == [draft.pk, posted.pk]
    assert selectors.return_source(document=posted) == invoice


def test_balance_audit_agrees_with_allocated_after_posting_and_canceling_returns():
    from invoicing.selectors import balance_audit

    invoice = invoice_of_60()
    first = factories.posted(set_quantity(make_return(invoice), 2))
    factories.posted(set_quantity(make_return(invoice), 1))
    services.document_cancel(document=first, user=factories.accountant())
    assert balance_audit() == []
    Document.objects.filter(pk=invoice.pk).update(allocated=D("1.00"))
    assert any(d.document_id == invoice.pk for d in balance_audit())
