"""The rules of SPEC 5, each with its own message, on save and on post; dependents of an original."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from corrections import services
from invoicing import services as core
from invoicing.models import Status
from tests import factories
from tests.corrections.support import correct, fresh

D = Decimal


@pytest.fixture
def bill():
    return factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))


@pytest.fixture
def invoice():
    return factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00")]))


def draft_of(document):
    return services.correction_create(document=document, user=factories.accountant(), reason="Wrong price")


def save_changed(draft, **header):
    """Edit a draft correction's header as the card does; the rules refuse it and nothing is stored."""
    stored = fresh(draft)
    try:
        return factories.save_draft(draft, **header)
    finally:
        after = fresh(draft)
        assert (after.partner_id, after.company_id, after.currency) == (
            stored.partner_id, stored.company_id, stored.currency,
        )  # fmt: skip


def test_bill_correction_vendor_must_match_on_save(bill):
    with pytest.raises(ValidationError, match=r"correction vendor must match the original bill vendor \(Partner"):
        factories.bill(original=bill, partner=factories.PartnerFactory())


def test_bill_correction_vendor_must_match_when_its_draft_is_edited(bill):
    with pytest.raises(ValidationError, match="The correction vendor must match the original bill vendor"):
        save_changed(draft_of(bill), partner=factories.PartnerFactory())


def test_invoice_correction_customer_must_match(invoice):
    with pytest.raises(ValidationError, match="correction customer must match the original invoice customer"):
        save_changed(draft_of(invoice), partner=factories.PartnerFactory())


def test_correction_company_must_match(bill):
    other = factories.CompanyFactory(name="Other Ltd")
    with pytest.raises(ValidationError, match=r"correction company must match the original bill company \(Acme Ltd\)"):
        save_changed(draft_of(bill), company=other)


def test_correction_currency_must_match(bill):
    with pytest.raises(ValidationError, match=r"correction currency must match the original bill currency \(USD\)"):
        factories.bill(original=bill, partner=bill.partner, currency="EUR")
    with pytest.raises(ValidationError, match="correction currency must match"):
        save_changed(draft_of(bill), currency="EUR")


def test_the_original_cannot_itself_be_a_correction(bill):
    c1 = correct(bill, "80.00")
    with pytest.raises(ValidationError, match=f"choose {bill.number} as the Original"):
        factories.bill(original=c1, partner=bill.partner)


def test_a_canceled_original_cannot_be_corrected(bill):
    core.document_cancel(document=bill, user=factories.accountant())
    with pytest.raises(ValidationError, match="is canceled; a canceled document cannot be corrected"):
        factories.bill(original=bill, partner=bill.partner)
    with pytest.raises(ValidationError, match="a canceled bill cannot be corrected"):
        draft_of(bill)


def test_reversal_exists_on_bill_corrections_only(invoice):
    with pytest.raises(ValidationError, match="Reversal exists on bill corrections only"):
        services.correction_create(document=invoice, user=factories.accountant(), reversal=True)
    with pytest.raises(ValidationError, match="Reversal exists on bill corrections only"):
        factories.bill(is_reversal=True)


def test_a_correction_is_of_the_same_kind_as_its_original(bill):
    with pytest.raises(ValidationError, match="A correction of a bill must itself be a bill"):
        factories.invoice(original=bill, partner=bill.partner)


def test_a_correction_is_posted_only_while_its_original_is_posted(bill):
    draft = draft_of(bill)
    core.document_cancel(document=draft, user=factories.accountant())
    core.document_reset_to_draft(document=bill, user=factories.accountant())
    orphan = factories.bill(lines=[factories.line()], partner=bill.partner, original=bill)  # saved while Draft
    with pytest.raises(ValidationError, match="is Draft; post it before its corrections"):
        core.document_post(document=orphan, user=factories.accountant())


def test_an_original_with_corrections_cannot_be_reset_or_canceled(bill):
    c1 = correct(bill, "80.00")
    draft = draft_of(bill)
    expected = f"corrections that are not canceled \\(no. 1 {c1.number}, a draft dated {draft.date:%Y-%m-%d}\\); "
    expected += "cancel its corrections first"
    with pytest.raises(ValidationError, match=expected):
        core.document_cancel(document=fresh(bill), user=factories.accountant())
    with pytest.raises(ValidationError, match="cancel its corrections first"):
        core.document_reset_to_draft(document=fresh(bill), user=factories.accountant())
    for correction in (c1, draft):
        core.document_cancel(document=fresh(correction), user=factories.accountant())
    assert core.document_cancel(document=fresh(bill), user=factories.accountant()).status == Status.CANCELED


def test_a_posted_correction_can_be_canceled_and_the_original_reset_afterwards(bill):
    c1 = correct(bill, "80.00")
    core.document_cancel(document=fresh(c1), user=factories.accountant())
    bill = core.document_reset_to_draft(document=fresh(bill), user=factories.accountant())
    assert bill.status == Status.DRAFT and bill.balance_due == 0
    bill = factories.posted(bill)
    assert bill.debt_total == D("120.00") and bill.balance_due == D("120.00")


def test_a_correction_keeps_the_type_of_its_original():
    bill = factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))
    correction = services.correction_create(document=bill, user=factories.accountant())
    correction.type = factories.bill_type(name="Other bill", series="OB")
    with pytest.raises(ValidationError, match="correction type must match the original bill type"):
        correction.full_clean()


def test_a_return_document_is_not_corrected():
    from returns.services import return_create
    from tests.returns.helpers import invoice_of_60

    credit_note = factories.posted(return_create(document=invoice_of_60(), user=factories.accountant()))
    with pytest.raises(ValidationError, match="is a return: cancel it and record the return again"):
        services.correction_create(document=credit_note, user=factories.accountant())
