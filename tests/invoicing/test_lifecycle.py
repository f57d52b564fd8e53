from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from invoicing import services
from invoicing.models import Document, DocumentTransition, Kind, Status
from tests import factories

D = Decimal


def test_post_assigns_a_gapless_number_per_type_and_year():
    first = factories.posted(factories.invoice(date=date(2026, 3, 1)))
    second = factories.posted(factories.invoice(date=date(2026, 4, 1)))
    next_year = factories.posted(factories.invoice(date=date(2027, 1, 5)))
    bill = factories.posted(factories.bill(date=date(2026, 3, 1)))
    assert [first.number, second.number, next_year.number] == ["INV/2026/00001", "INV/2026/00002", "INV/2027/00001"]
    assert bill.number == "BILL/2026/00001"
    assert first.status == Status.TO_PAY


def test_a_draft_shows_draft_instead_of_a_number():
    assert factories.invoice().display_number == "Draft"


def test_post_refuses_document_without_lines():
    invoice = factories.invoice(lines=[])
    with pytest.raises(ValidationError, match="Add at least one line"):
        factories.posted(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT and invoice.number == ""


def test_post_refuses_a_partner_who_stopped_being_a_customer_after_the_draft_was_saved():
    invoice = factories.invoice()
    partner = invoice.partner
    partner.is_customer, partner.is_vendor = False, True  # an administrator edits the partner meanwhile
    partner.save()
    with pytest.raises(ValidationError, match="is not a customer"):
        factories.posted(invoice)


def test_creating_a_bill_for_a_partner_who_is_not_a_vendor_is_refused():
    customer_only = factories.PartnerFactory(is_customer=True, is_vendor=False)
    with pytest.raises(ValidationError, match="is not a vendor"):
        factories.bill(partner=customer_only)


def test_post_refuses_a_negative_total_on_an_ordinary_document():
    invoice = factories.invoice(lines=[factories.line(quantity=-1, unit_price="10.00")])
    with pytest.raises(ValidationError, match="only a reversal correction may be negative"):
        factories.posted(invoice)


def test_negative_line_is_allowed_when_the_total_stays_positive():
    invoice = factories.invoice(lines=[factories.line(quantity=2), factories.line(quantity=-1)])
    assert factories.posted(invoice).amount_total == D("12.00")


def test_posting_twice_from_a_stale_copy_is_refused_and_not_applied_twice():
    invoice = factories.invoice()
    stale = Document.objects.get(pk=invoice.pk)
    factories.posted(invoice)
    with pytest.raises(ValidationError, match="changed by someone else"):
        services.document_post(document=stale, user=factories.accountant())
    assert DocumentTransition.objects.filter(document=invoice, name="post").count() == 1
    assert Document.objects.get(pk=invoice.pk).number.endswith("/00001")


def test_status_cannot_be_set_directly():
    invoice = factories.invoice()
    with pytest.raises(AttributeError):
        invoice.status = Status.PAID


def test_reset_to_draft_keeps_the_number_and_reposting_reuses_it():
    invoice = factories.posted(factories.invoice())
    number = invoice.number
    services.document_reset_to_draft(document=invoice, user=factories.accountant())
    assert invoice.status == Status.DRAFT and invoice.number == number
    assert factories.posted(invoice).number == number


def test_reset_to_draft_refused_with_payments():
    invoice = factories.posted(factories.invoice())
    factories.pay(invoice, "5.00")
    with pytest.raises(ValidationError, match="It has payments"):
        services.document_reset_to_draft(document=invoice, user=factories.accountant())


def test_reset_to_draft_only_from_to_pay():
    invoice = factories.invoice()
    with pytest.raises(ValidationError, match="Only a To pay document"):
        services.document_reset_to_draft(document=invoice, user=factories.accountant())


def test_cancel_refused_while_net_paid_is_not_zero_and_allowed_after_refund():
    invoice = factories.posted(factories.invoice())
    factories.pay(invoice, "12.00")
    assert invoice.status == Status.PAID
    with pytest.raises(ValidationError, match="Net paid is 12.00 USD"):
        services.document_cancel(document=invoice, user=factories.accountant())


def test_cancel_a_draft_and_a_posted_document_then_canceled_is_terminal():
    draft = factories.invoice()
    services.document_cancel(document=draft, user=factories.accountant())
    assert draft.status == Status.CANCELED
    posted = factories.posted(factories.invoice())
    services.document_cancel(document=posted, user=factories.accountant())
    assert posted.status == Status.CANCELED and posted.balance_due == 0
    with pytest.raises(ValidationError, match="already canceled"):
        services.document_cancel(document=posted, user=factories.accountant())
    with pytest.raises(ValidationError, match="Only a draft can be posted"):
        factories.posted(posted)


def test_only_a_draft_without_a_number_may_be_deleted():
    draft = factories.invoice()
    services.document_delete(document=draft, user=factories.accountant())
    assert not Document.objects.filter(pk=draft.pk).exists()
    posted = factories.posted(factories.invoice())
    with pytest.raises(ValidationError, match="Only a draft may be deleted"):
        services.document_delete(document=posted, user=factories.accountant())


def test_every_transition_is_recorded_with_user_and_time():
    user = factories.accountant()
    invoice = factories.posted(factories.invoice(), user=user)
    factories.pay(invoice, "12.00", user=user)
    rows = list(invoice.transitions.values_list("name", "source", "target", "user__username"))
    assert rows == [
        ("post", Status.DRAFT, Status.TO_PAY, "accountant"),
        ("mark_paid", Status.TO_PAY, Status.PAID, "accountant"),
    ]
    assert all(t.at is not None for t in invoice.transitions.all())


def test_numbers_are_unique_per_type_in_the_database():
    invoice = factories.posted(factories.invoice())
    other = factories.posted(factories.invoice())
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=other.pk).update(number=invoice.number)


def test_reversal_is_refused_on_invoices_by_the_database():
    invoice = factories.invoice()
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=invoice.pk).update(is_reversal=True)


def test_due_date_defaults_to_date_plus_payment_terms():
    partner = factories.PartnerFactory(payment_terms_days=14)
    invoice = factories.invoice(partner=partner, date=date(2026, 5, 1))
    assert invoice.due_date == date(2026, 5, 15)


def test_due_date_before_the_date_is_refused():
    with pytest.raises(ValidationError, match="cannot be before the document date"):
        factories.invoice(date=date(2026, 5, 1), due_date=date(2026, 4, 1))


def test_a_bill_type_cannot_be_used_on_an_invoice():
    with pytest.raises(ValidationError, match="Choose an invoice type"):
        factories.document(kind=Kind.INVOICE, type=factories.bill_type())


def test_line_needs_an_item_or_a_description():
    with pytest.raises(ValidationError, match="item or a description"):
        factories.invoice(lines=[factories.line(description="")])


def test_line_refuses_two_taxes_of_one_group():
    vat20 = factories.TaxFactory()
    vat7 = factories.TaxFactory(name="VAT 7%", rate=D("7"), group="VAT")
    with pytest.raises(ValidationError, match="one tax of the group “VAT”"):
        factories.invoice(lines=[factories.line(taxes=[vat20, vat7])])


def test_a_failing_post_leaves_nothing_half_saved():
    invoice = factories.invoice(lines=[factories.line(quantity=-1)])
    with pytest.raises(ValidationError):
        factories.posted(invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number, invoice.posted_at) == (Status.DRAFT, "", None)
    assert not invoice.transitions.exists()


def test_post_recomputes_the_amounts_from_the_lines_as_they_are():
    invoice = factories.invoice(lines=[factories.line(quantity=5)])
    Document.objects.filter(pk=invoice.pk).update(amount_total=D("1.00"), amount_untaxed=D("1.00"), amount_tax=0)
    invoice.refresh_from_db()
    assert factories.posted(invoice).amount_total == D("60.00")
