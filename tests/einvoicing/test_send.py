"""Send by email (SPEC 11): the PDF (and the UBL for a Peppol partner) to the partner; recorded in History;
a failure is a message and nothing is recorded."""

from unittest import mock

from django.core import mail

from einvoicing.models import DocumentSending
from einvoicing.services import document_send
from tests import factories
from tests.einvoicing import support


def test_sending_mails_pdf_and_ubl_and_records_it_in_the_history(accountant_client):
    invoice = support.invoice_of_60()
    response = accountant_client.post(f"/documents/{invoice.pk}/send/", {"to": "ap@northwind.example"}, follow=True)
    (email,) = mail.outbox
    assert email.to == ["ap@northwind.example"]
    stem = f"invoice-{invoice.number.replace('/', '-')}"
    assert [name for name, _, _ in email.attachments] == [f"{stem}.pdf", f"{stem}.xml"]
    sending = DocumentSending.objects.get(document=invoice)
    assert sending.user.username == "accountant" and sending.to == "ap@northwind.example"
    html = response.content.decode()
    assert "Sent by email" in html and "To ap@northwind.example: invoice-INV-" in html


def test_a_partner_without_peppol_endpoint_gets_the_pdf_only():
    invoice = support.invoice_of_60(partner=support.customer(name="Mail Only", peppol_scheme="", peppol_id=""))
    document_send(document=invoice, user=factories.accountant())
    assert [name[-3:] for name, _, _ in mail.outbox[0].attachments] == ["pdf"]


def test_a_failed_send_is_a_message_and_records_nothing(accountant_client):
    invoice = support.invoice_of_60()
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("no SMTP server")):
        response = accountant_client.post(f"/documents/{invoice.pk}/send/", {"to": "ap@northwind.example"}, follow=True)
    assert "could not be sent (ConnectionRefusedError: no SMTP server)" in response.content.decode()
    assert not DocumentSending.objects.exists()


def test_bills_and_drafts_are_not_sent(accountant_client):
    draft = support.invoice_of_60(post=False)
    response = accountant_client.post(f"/documents/{draft.pk}/send/", follow=True)
    assert "Only a posted document is sent" in response.content.decode()
    assert not mail.outbox and not DocumentSending.objects.exists()
