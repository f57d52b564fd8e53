"""The card: PDF, XML (Peppol) and Send buttons; the reason of corrections and returns, required to post."""

import pytest
from django.core.exceptions import ValidationError

from corrections.services import correction_create
from invoicing.models import Reason
from invoicing.services import document_post
from returns.services import return_create
from tests import factories
from tests.einvoicing import support


def test_posting_a_correction_or_a_return_requires_a_reason():
    invoice = support.invoice_of_60()
    user = factories.accountant()
    for draft in (correction_create(document=invoice, user=user), return_create(document=invoice, user=user)):
        with pytest.raises(ValidationError, match="State the reason for this"):
            document_post(document=draft, user=user)


def test_the_draft_header_takes_a_configured_reason_and_free_text(accountant_client):
    invoice = support.invoice_of_60()
    credit_note = return_create(document=invoice, user=factories.accountant())
    reason = Reason.objects.create(text="Damaged in transit")
    page = accountant_client.get(credit_note.get_absolute_url()).content.decode()
    assert 'name="reason_preset"' in page and "Damaged in transit" in page
    form = {
        "type": credit_note.type_id, "partner": credit_note.partner_id, "company": credit_note.company_id,
        "date": credit_note.date.isoformat(), "due_date": credit_note.due_date.isoformat(), "currency": "USD",
        "loaded_version": credit_note.version, "reason_preset": reason.pk, "reason": "two legs broken",
        "lines-TOTAL_FORMS": 1, "lines-INITIAL_FORMS": 1, "lines-0-id": credit_note.lines.get().pk,
        "lines-0-position": 1, "lines-0-description": "Chair", "lines-0-quantity": "2", "lines-0-unit_price": "10.00",
        "lines-0-discount": "0", "lines-0-taxes": [t.pk for t in credit_note.lines.get().taxes.all()], "_continue": "1",
    }  # fmt: skip
    accountant_client.post(credit_note.get_absolute_url(), form)
    credit_note.refresh_from_db()
    assert credit_note.reason == "Damaged in transit: two legs broken"
    factories.posted(credit_note)
    history = accountant_client.get(credit_note.get_absolute_url()).content.decode()
    assert "Reason: Damaged in transit: two legs broken" in history
    returns_tab = accountant_client.get(invoice.get_absolute_url()).content.decode()
    assert '<td class="reason">Damaged in transit: two legs broken</td>' in returns_tab


def test_issued_documents_offer_pdf_peppol_and_send_while_bills_offer_the_pdf_only(accountant_client):
    invoice = support.invoice_of_60()
    page = accountant_client.get(invoice.get_absolute_url()).content.decode()
    for label in (">PDF<", ">XML (Peppol)<", ">Send by email<"):
        assert label in page
    bill = factories.posted(factories.bill(company=support.company()))
    page = accountant_client.get(bill.get_absolute_url()).content.decode()
    assert ">PDF<" in page and "XML (Peppol)" not in page and "Send by email" not in page
    response = accountant_client.get(f"/documents/{bill.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
