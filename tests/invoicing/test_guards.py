"""Settings and numbers that posted documents rely on cannot change under them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from invoicing import services
from invoicing.models import Status
from tests import factories


def test_a_reset_document_keeps_its_type_and_year_with_its_number():
    invoice = factories.posted(factories.invoice(date=date(2026, 3, 1)))
    services.document_reset_to_draft(document=invoice, user=factories.accountant())
    other_type = factories.invoice_type(name="Service invoice", series="SRV")
    with pytest.raises(ValidationError, match="keeps its number INV/2026/00001"):
        factories.save_draft(invoice, type=other_type)
    with pytest.raises(ValidationError, match="its type and its year cannot change"):
        factories.save_draft(invoice, date=date(2027, 1, 5))


def test_the_tax_rate_of_posted_lines_cannot_change():
    tax = factories.TaxFactory()
    factories.posted(factories.invoice(lines=[factories.line(taxes=[tax])]))
    tax.rate = Decimal("25")
    with pytest.raises(ValidationError, match="create a new tax with the new rate"):
        tax.full_clean()


def test_a_tax_on_draft_lines_only_may_change_its_rate():
    tax = factories.TaxFactory()
    factories.invoice(lines=[factories.line(taxes=[tax])])
    tax.rate = Decimal("25")
    tax.full_clean()


def test_a_tax_in_use_offers_no_delete(client):
    client.force_login(factories.administrator())
    tax = factories.TaxFactory()
    factories.invoice(lines=[factories.line(taxes=[tax])])
    assert client.post(reverse("admin:invoicing_tax_delete", args=[tax.pk]), {"post": "yes"}).status_code == 403


def test_prices_include_tax_cannot_flip_on_a_type_with_posted_documents():
    invoice = factories.posted(factories.invoice())
    doc_type = invoice.type
    doc_type.prices_include_tax = True
    with pytest.raises(ValidationError, match="create a new type"):
        doc_type.full_clean()


def test_the_return_flag_stays_while_a_type_names_it_as_return_type():
    credit_note = factories.bill_type(name="Credit note", series="CN", is_return=True)
    factories.invoice_type(return_type=credit_note)
    credit_note.is_return = False
    with pytest.raises(ValidationError, match="use “Credit note” as their Return type"):
        credit_note.full_clean()


def test_csv_export_writes_formula_like_names_as_text(accountant_client):
    partner = factories.PartnerFactory(name="=HYPERLINK(1)")
    factories.posted(factories.invoice(partner=partner))
    body = accountant_client.get(reverse("admin:invoicing_invoice_export")).content.decode()
    assert "'=HYPERLINK(1)" in body


def test_an_unknown_transition_is_not_found(accountant_client):
    invoice = factories.invoice()
    url = reverse("admin:invoicing_invoice_transition", args=[invoice.pk, "explode"])
    assert accountant_client.post(url).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == Status.DRAFT
