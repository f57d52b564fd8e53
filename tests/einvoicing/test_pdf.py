"""The PDF of every document (SPEC 11): the art. 226 fields, what an amending document amends and why, the
draft mark, amounts formatted for their currency, and Factur-X (PDF/A-3 + factur-x.xml) where we issue."""

import io
from decimal import Decimal

from pypdf import PdfReader

from corrections.services import correction_create
from einvoicing import services
from tests import factories
from tests.corrections.support import correct
from tests.einvoicing import support, validation


def pdf_text(document):
    reader = PdfReader(io.BytesIO(services.document_pdf(document=document)))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def factur_x(document):
    reader = PdfReader(io.BytesIO(services.document_pdf(document=document)))
    metadata = reader.trailer["/Root"].get("/Metadata")
    metadata = metadata.get_object().get_data() if metadata is not None else b""
    return reader.attachments, metadata


def assert_art_226_fields(text, document):
    company, partner = document.company, document.partner
    for field in (
        company.display_legal_name, "Kassenweg 12", "10115 Berlin", "VAT ID DE136695976",
        partner.name, "Rue de la Paix 5", "75002 Paris", "VAT ID FR40303265045",
        document.number, document.date.isoformat(), document.due_date.isoformat(),
        "Chair", "Qty", "Unit price", "Disc. %", "Net amount", "Taxable base",
        "IBAN DE89370400440532013000", "BIC COBADEFFXXX",
    ):  # fmt: skip
        assert field in text, field


def test_invoice_pdf_carries_the_art_226_fields():
    invoice = support.invoice_of_60()
    text = pdf_text(invoice)
    assert_art_226_fields(text, invoice)
    assert "VAT 20% 20 % 50.00 USD 10.00 USD" in text  # taxable base and tax per rate
    assert "Total 60.00 USD" in text


def test_credit_note_pdf_names_the_invoice_it_amends_and_its_reason():
    invoice = support.invoice_of_60()
    credit_note = support.credit_note_of_2(invoice)
    text = pdf_text(credit_note)
    assert_art_226_fields(text, credit_note)
    assert f"for invoice {invoice.number} of {invoice.date.isoformat()}" in text
    assert "Reason: Damaged in transit" in text
    assert "Total 24.00 USD" in text


def test_invoice_correction_pdf_shows_lines_before_and_after_and_what_it_amends():
    invoice = support.invoice_of_60()
    correction = correction_create(document=invoice, user=factories.accountant(), reason="Two chairs missing")
    factories.edit_lines(correction, **{"1": {"quantity": Decimal(3)}})
    correction = factories.posted(correction)
    text = pdf_text(correction)
    assert_art_226_fields(text, correction)
    assert f"Amends original invoice {invoice.number} of {invoice.date.isoformat()}" in text
    assert "Reason: Two chairs missing" in text
    assert "Lines before and after" in text
    assert "Before 5 10.00 0 VAT 20% 50.00 10.00 60.00" in text
    assert "After 3 10.00 0 VAT 20% 30.00 6.00 36.00" in text
    assert "Difference -2 -20.00 -4.00 -24.00" in text


def test_worked_example_2_bill_correction_gets_a_plain_pdf_with_its_amount_correction():
    bill = factories.posted(factories.bill(company=support.company(), lines=[factories.line(unit_price="100.00")]))
    c1 = correct(bill, "80.00")
    text = pdf_text(c1)
    assert f"Amends original bill {bill.number}" in text
    assert "Difference -20.00 -4.00 -4.00 -24.00 USD" in text
    attachments, metadata = factur_x(c1)
    assert "factur-x.xml" not in attachments


def test_a_draft_pdf_is_marked_not_valid_and_has_no_number():
    text = pdf_text(support.invoice_of_60(post=False))
    assert "Draft — not valid as an invoice" in text
    assert "— (draft, no number)" in text
    assert "INV/" not in text


def test_amounts_are_formatted_for_their_currency():
    text = pdf_text(support.invoice_of_60("JPY", unit_price="1000"))
    assert "Total 6,000 JPY" in text
    assert "1,000" in text and "6,000.00" not in text
    eur = pdf_text(support.invoice_of_60("EUR", unit_price="1234.50"))
    assert "Total 7,407.00 EUR" in eur


def test_the_pdf_of_an_issued_document_is_factur_x_pdf_a_3_with_valid_cii():
    invoice = support.invoice_of_60("EUR")
    for document in (invoice, support.credit_note_of_2(invoice)):
        attachments, metadata = factur_x(document)
        assert b"<pdfaid:part>3</pdfaid:part>" in metadata or b'pdfaid:part="3"' in metadata
        (xml,) = attachments["factur-x.xml"]
        assert validation.all_cii_failures(xml) == []
        assert document.number.encode() in xml
