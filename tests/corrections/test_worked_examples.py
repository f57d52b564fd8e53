"""SPEC 9, worked examples 2, 3, 4, 9 and 10: corrections, their amounts and their debt."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from corrections import selectors, services
from invoicing import services as core
from invoicing.models import PaymentKind, Status
from tests import factories
from tests.corrections.support import amount_correction, correct, fresh, triple

D = Decimal


def bill_of_120():
    return factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))


def example_2():
    bill = bill_of_120()
    c1 = correct(bill, "80.00")
    c2 = correct(c1, "90.00")
    return bill, c1, c2


def test_worked_example_2_replacement_chain():
    bill, c1, c2 = example_2()
    assert bill.amount_total == D("120.00")
    assert c1.amount_total == D("96.00")
    assert amount_correction(c1) == (D("-20.00"), D("-4.00"), D("-24.00"))
    # Created from C1, C2 still corrects B: chains never nest.
    assert c2.original_id == bill.pk
    assert selectors.previous_document(correction=c2).pk == c1.pk
    assert amount_correction(c2) == (D("10.00"), D("2.00"), D("12.00"))
    assert selectors.effective_amounts(original=bill).total == D("108.00") == D("120.00") - D("24.00") + D("12.00")
    assert len(selectors.correction_chain(original=bill)) == 2
    assert [fresh(c).correction_index for c in (c1, c2)] == [1, 2]


def test_worked_example_2_correction_debt_moves_the_original_balance():
    bill, c1, c2 = example_2()
    bill = fresh(bill)
    assert bill.debt_total == D("108.00") and bill.balance_due == D("108.00")
    assert bill.status == Status.TO_PAY
    for correction in (fresh(c1), fresh(c2)):
        # Settled against the original: the correction owes nothing itself.
        assert correction.balance_due == 0 and correction.debt_total == 0
        assert correction.status == Status.PAID


def test_worked_example_2_per_tax_amount_correction():
    bill, c1, _ = example_2()
    vat = factories.TaxFactory()
    assert selectors.correction_amount(correction=c1).taxes == {vat.pk: D("-4.00")}


def test_worked_example_3_reversal_then_a_later_replacement_skips_the_reversal():
    bill, c1, c2 = example_2()
    c3 = correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="50.00")])
    assert fresh(c3).is_reversal
    assert amount_correction(c3) == (D("-50.00"), D("-10.00"), D("-60.00"))
    assert selectors.effective_amounts(original=bill).total == D("48.00")
    assert fresh(bill).balance_due == D("48.00")
    c4 = correct(bill, "70.00")
    assert selectors.previous_document(correction=c4).pk == c2.pk
    assert amount_correction(c4) == (D("-20.00"), D("-4.00"), D("-24.00"))
    # 70 × 1.2 − 60 (the reversal still counts)
    assert selectors.effective_amounts(original=bill).total == D("24.00")
    assert fresh(bill).balance_due == D("24.00")
    assert [fresh(c).correction_index for c in (c1, c2, c3, c4)] == [1, 2, 3, 4]


def test_worked_example_3_a_replacement_copies_the_previous_state_not_the_reversal():
    bill, c1, c2 = example_2()
    correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="50.00")])
    draft = services.correction_create(document=bill, user=factories.accountant())
    assert draft.amount_untaxed == D("90.00")  # C2's lines
    assert amount_correction(draft) == (D("0.00"), D("0.00"), D("0.00"))


def test_worked_example_4_canceling_c2_restores_c1_as_the_effective_state():
    bill, c1, c2 = example_2()
    factories.pay(fresh(bill), "50.00")
    core.document_cancel(document=fresh(c2), user=factories.accountant())
    assert selectors.effective_amounts(original=bill).total == D("96.00")
    bill = fresh(bill)
    assert bill.debt_total == D("96.00") and bill.balance_due == D("46.00")
    assert amount_correction(c2) == (0, 0, 0)  # canceled: out of every figure
    assert amount_correction(c1) == (D("-20.00"), D("-4.00"), D("-24.00"))


def test_worked_example_9_correction_with_another_vendor_is_refused():
    bill = bill_of_120()
    draft = services.correction_create(document=bill, user=factories.accountant())
    draft.partner = factories.PartnerFactory(name="Other vendor")
    with pytest.raises(ValidationError, match="correction vendor must match the original bill vendor"):
        draft.full_clean()


def test_worked_example_9_correction_with_another_company_is_refused():
    bill = bill_of_120()
    with pytest.raises(ValidationError, match="correction company must match the original bill company"):
        factories.bill(original=bill, company=factories.CompanyFactory(name="Other Ltd"), partner=bill.partner)


def test_worked_example_9_correction_of_a_correction_is_refused():
    bill, c1, _ = example_2()
    with pytest.raises(ValidationError, match="The Original cannot itself be a correction"):
        factories.bill(original=c1, partner=bill.partner, company=bill.company)


def test_worked_example_9_an_invoice_correction_has_no_reversal():
    invoice = factories.posted(factories.invoice())
    with pytest.raises(ValidationError, match="Reversal exists on bill corrections only"):
        services.correction_create(document=invoice, user=factories.accountant(), reversal=True)
    with pytest.raises(ValidationError, match="Reversal exists on bill corrections only"):
        factories.invoice(original=invoice, partner=invoice.partner, is_reversal=True)


def test_worked_example_10_downward_correction_of_a_paid_invoice_opens_credit_then_a_refund_settles_it():
    invoice = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00", taxes=[])]))
    factories.pay(invoice, "100.00")
    assert invoice.status == Status.PAID
    correct(invoice, lines=[factories.line(unit_price="80.00", taxes=[])])
    invoice = fresh(invoice)
    assert invoice.balance_due == D("-20.00") and invoice.status == Status.TO_PAY
    # The refund form's "whole open credit" button fills in minus the balance due.
    factories.pay(invoice, -invoice.balance_due, kind=PaymentKind.REFUND)
    invoice = fresh(invoice)
    assert invoice.balance_due == 0 and invoice.status == Status.PAID


def test_effective_amounts_follow_the_chain_per_tax():
    bill = bill_of_120()
    correct(bill, "80.00")
    effective = selectors.effective_amounts(original=bill)
    assert triple(effective) == (D("80.00"), D("16.00"), D("96.00"))
    assert effective.taxes == {factories.TaxFactory().pk: D("16.00")}
