"""correction_create and the correction debt (SPEC 5)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from corrections import selectors, services
from invoicing import services as core
from invoicing.models import Kind, Status
from tests import factories
from tests.corrections.support import amount_correction, correct, fresh, set_lines

D = Decimal


def posted_bill(**kwargs):
    lines = [factories.line(quantity=2, unit_price="50.00"), factories.line(unit_price="20.00", taxes=[])]
    return factories.posted(factories.bill(lines=lines, note="Quarterly supplies", **kwargs))


def test_correction_create_copies_the_header_and_the_lines_and_is_dated_today():
    bill = posted_bill(date=timezone.localdate().replace(day=1))
    draft = services.correction_create(document=bill, user=factories.accountant())
    assert draft.status == Status.DRAFT and draft.number == "" and draft.correction_index is None
    assert (draft.kind, draft.type_id, draft.company_id, draft.partner_id, draft.currency, draft.note) == (
        Kind.BILL,
        bill.type_id,
        bill.company_id,
        bill.partner_id,
        bill.currency,
        "Quarterly supplies",
    )
    assert draft.date == timezone.localdate() and draft.original_id == bill.pk and not draft.is_reversal
    copied = [(ln.description, ln.quantity, ln.unit_price, [t.pk for t in ln.taxes.all()]) for ln in draft.lines.all()]
    source = [(ln.description, ln.quantity, ln.unit_price, [t.pk for t in ln.taxes.all()]) for ln in bill.lines.all()]
    assert copied == source
    assert draft.amount_total == bill.amount_total == D("140.00")


def test_a_correction_created_from_a_correction_links_to_the_original_and_copies_the_latest_state():
    bill = posted_bill()
    c1 = correct(bill, "80.00")
    draft = services.correction_create(document=c1, user=factories.accountant())
    assert draft.original_id == bill.pk and draft.amount_untaxed == D("80.00")


def test_correction_create_refuses_drafts_and_canceled_documents():
    draft = factories.bill()
    with pytest.raises(ValidationError, match="Only a posted bill can be corrected"):
        services.correction_create(document=draft, user=factories.accountant())
    core.document_cancel(document=draft, user=factories.accountant())
    with pytest.raises(ValidationError, match="a canceled bill cannot be corrected"):
        services.correction_create(document=draft, user=factories.accountant())


def test_correction_create_needs_the_add_permission_of_the_kind():
    invoice = factories.posted(factories.invoice())
    with pytest.raises(ValidationError, match="permission to create corrections of invoices"):
        services.correction_create(document=invoice, user=factories.reviewer())


def test_a_reversal_is_prefilled_with_the_negated_effective_state():
    bill = posted_bill()
    correct(bill, "80.00")  # 96.00
    correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="30.00")])  # −36.00
    assert selectors.effective_amounts(original=bill).total == D("60.00")
    reversal = services.correction_create(document=bill, user=factories.accountant(), reversal=True)
    assert reversal.is_reversal
    assert (reversal.amount_untaxed, reversal.amount_tax, reversal.amount_total) == (
        D("-50.00"),
        D("-10.00"),
        D("-60.00"),
    )
    factories.posted(reversal)
    assert selectors.effective_amounts(original=bill).total == 0
    assert fresh(bill).balance_due == 0 and fresh(bill).status == Status.PAID


def test_indexes_follow_the_posting_order_and_canceled_ones_keep_theirs():
    bill = posted_bill()
    first_created = correct(bill, "80.00", post=False)
    second_created = correct(bill, "90.00")
    factories.posted(first_created)
    assert (fresh(second_created).correction_index, fresh(first_created).correction_index) == (1, 2)
    core.document_cancel(document=fresh(second_created), user=factories.accountant())
    third = correct(bill, "70.00")
    assert fresh(third).correction_index == 3 and fresh(second_created).correction_index == 1


def test_a_draft_shows_its_prospective_amount_correction_against_the_current_state():
    bill = posted_bill()  # 120 untaxed + 20 untaxed no tax = 140.00
    correct(bill, "80.00")  # 96.00
    draft = correct(bill, "50.00", post=False)
    assert amount_correction(draft) == (D("-30.00"), D("-6.00"), D("-36.00"))
    assert selectors.effective_amounts(original=bill).total == D("96.00")  # drafts count for nothing
    assert fresh(bill).balance_due == D("96.00")


def test_canceling_a_middle_correction_recomputes_the_next_ones_previous_document():
    bill = posted_bill()
    c1 = correct(bill, "80.00")
    c2 = correct(bill, "90.00")
    c3 = correct(bill, "70.00")
    core.document_cancel(document=fresh(c2), user=factories.accountant())
    assert selectors.previous_document(correction=c3).pk == c1.pk
    assert amount_correction(c3) == (D("-10.00"), D("-2.00"), D("-12.00"))
    assert fresh(bill).balance_due == D("84.00")


def test_canceling_the_latest_replacement_reopens_a_paid_original():
    bill = posted_bill()
    c1 = correct(bill, "80.00")
    factories.pay(fresh(bill), "96.00")
    assert fresh(bill).status == Status.PAID
    core.document_cancel(document=fresh(c1), user=factories.accountant())
    bill = fresh(bill)
    assert bill.balance_due == D("44.00") and bill.status == Status.TO_PAY


def test_a_posted_correction_cannot_be_paid_it_is_settled_against_its_original():
    bill = posted_bill()
    c1 = correct(bill, "80.00")
    with pytest.raises(ValidationError, match="Nothing is due"):
        factories.pay(fresh(c1), "1.00")


def test_a_replacement_with_a_negative_total_is_refused_a_reversal_is_not():
    bill = posted_bill()
    draft = correct(bill, post=False, lines=[factories.line(quantity=-1)])
    with pytest.raises(ValidationError, match="only a reversal correction may be negative"):
        factories.posted(draft)
    reversal = correct(bill, reversal=True, lines=[factories.line(quantity=-1)], post=False)
    assert factories.posted(reversal).amount_total == D("-12.00")


def test_correction_lines_can_be_edited_like_any_draft():
    bill = posted_bill()
    draft = correct(bill, post=False)
    set_lines(draft, [factories.line(quantity=3, unit_price="10.00", taxes=[])])
    assert fresh(draft).amount_total == D("30.00")
