import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from invoicing import services
from invoicing.models import DocumentType, Kind, Status
from tests import factories


def test_the_three_roles_exist_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Accountant", "Reviewer", "Administrator"}


def test_a_reviewer_cannot_post():
    invoice = factories.invoice()
    with pytest.raises(ValidationError, match="permission to post"):
        services.document_post(document=invoice, user=factories.reviewer())
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT


def test_a_reviewer_cannot_pay():
    invoice = factories.posted(factories.invoice())
    with pytest.raises(ValidationError, match="permission to register payments"):
        factories.pay(invoice, "1.00", user=factories.reviewer())


def test_a_reviewer_cannot_cancel_or_reset():
    invoice = factories.posted(factories.invoice())
    with pytest.raises(ValidationError, match="permission to cancel"):
        services.document_cancel(document=invoice, user=factories.reviewer())
    with pytest.raises(ValidationError, match="permission to reset"):
        services.document_reset_to_draft(document=invoice, user=factories.reviewer())


def test_an_accountant_may_fire_every_transition_and_a_reviewer_none():
    invoice = factories.invoice()
    accountant, reviewer = factories.accountant(), factories.reviewer()
    assert {t.name for t in invoice.get_available_user_status_transitions(accountant)} == {"post", "cancel"}
    assert list(invoice.get_available_user_status_transitions(reviewer)) == []


def test_a_reviewer_can_view_documents_but_not_change_them():
    reviewer = factories.reviewer()
    assert reviewer.has_perm("invoicing.view_invoice") and reviewer.has_perm("invoicing.view_bill")
    assert not reviewer.has_perm("invoicing.change_invoice")
    assert not reviewer.has_perm("invoicing.add_payment")


def test_an_administrator_configures_types_and_users():
    admin = factories.administrator()
    assert admin.has_perm("invoicing.change_documenttype") and admin.has_perm("auth.add_user")


def test_return_type_must_be_of_the_opposite_kind():
    invoice_type = factories.invoice_type()
    other_invoice_type = factories.invoice_type(name="Return invoice", series="RINV", is_return=True)
    invoice_type.return_type = other_invoice_type
    with pytest.raises(ValidationError, match="must be a bill type"):
        invoice_type.full_clean()


def test_return_type_must_have_the_return_flag():
    invoice_type = factories.invoice_type()
    invoice_type.return_type = factories.bill_type()
    with pytest.raises(ValidationError, match="does not have the Return flag"):
        invoice_type.full_clean()


def test_return_type_of_the_opposite_kind_with_the_flag_is_accepted():
    invoice_type = factories.invoice_type()
    invoice_type.return_type = factories.bill_type(name="Credit note", series="CN", is_return=True)
    invoice_type.full_clean()


def test_a_type_in_use_cannot_be_deleted():
    invoice = factories.invoice()
    with pytest.raises(ProtectedError):
        invoice.type.delete()
    assert DocumentType.objects.filter(pk=invoice.type_id).exists()


def test_on_a_return_type_the_partner_roles_swap():
    credit_note_type = factories.bill_type(name="Credit note", series="CN", is_return=True)
    customer = factories.PartnerFactory(is_customer=True, is_vendor=False)
    credit_note = factories.document(kind=Kind.BILL, type=credit_note_type, partner=customer)
    assert credit_note.type_label == "Credit note"
    vendor = factories.PartnerFactory(is_customer=False, is_vendor=True)
    with pytest.raises(ValidationError, match="is not a customer"):
        factories.document(kind=Kind.BILL, type=credit_note_type, partner=vendor)
