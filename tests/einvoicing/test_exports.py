"""Peppol UBL and Factur-X CII of the documents we issue, validated against the official artefacts
(see tests/einvoicing/validation.py for what each validator checks)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from corrections.services import correction_create
from einvoicing import cii, services
from einvoicing.data import einvoice_data
from tests import factories
from tests.einvoicing import support, validation
from tests.einvoicing.validation import NS

RAM = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def ubl(document):
    xml = services.document_ubl(document=document)
    assert validation.all_ubl_failures(xml) == []
    return etree.fromstring(xml)


def cii_of(document):
    xml = cii.cii_xml(einvoice_data(document=document))
    assert validation.all_cii_failures(xml) == []
    return etree.fromstring(xml)


def text(root, path):
    return root.findtext(path, None, NS)


def test_worked_example_5_credit_note_is_a_peppol_credit_note_naming_the_invoice_it_amends():
    invoice = support.invoice_of_60()
    factories.pay(invoice, invoice.balance_due)
    credit_note = support.credit_note_of_2(invoice)
    root = ubl(credit_note)
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == invoice.number
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == invoice.date.isoformat()
    assert text(root, "cbc:Note") == "Reason: Damaged in transit"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "24.00"
    assert text(root, "cac:CreditNoteLine/cbc:CreditedQuantity") == "2"
    assert text(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID") == "DE136695976"


def test_an_invoice_in_eur_is_a_peppol_invoice_380():
    root = ubl(support.invoice_of_60("EUR"))
    assert etree.QName(root).localname == "Invoice"
    assert text(root, "cbc:InvoiceTypeCode") == "380"
    assert text(root, "cbc:DocumentCurrencyCode") == "EUR"
    assert text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == "60.00"
    assert root.find("cac:BillingReference", NS) is None


def test_a_jpy_invoice_and_its_credit_note_carry_amounts_without_decimals():
    invoice = support.invoice_of_60("JPY", unit_price="1000")
    root = ubl(invoice)
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "6000"
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "1000"
    credit = ubl(support.credit_note_of_2(invoice))
    assert text(credit, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "2400"


def corrected(invoice, quantity=None, unit_price=None, reason="Two chairs were never delivered"):
    correction = correction_create(document=invoice, user=factories.accountant(), reason=reason)
    change = {k: Decimal(v) for k, v in (("quantity", quantity), ("unit_price", unit_price)) if v is not None}
    factories.edit_lines(correction, **{"1": change})
    return factories.posted(correction)


def test_an_invoice_correction_that_lowers_the_amount_is_a_credit_note_of_the_line_differences():
    invoice = support.invoice_of_60()
    correction = corrected(invoice, quantity=3)
    root = ubl(correction)
    assert etree.QName(root).localname == "CreditNote"
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == invoice.number
    line = root.find("cac:CreditNoteLine", NS)
    assert (text(line, "cbc:CreditedQuantity"), text(line, "cac:Price/cbc:PriceAmount")) == ("2", "10")
    assert text(line, "cbc:LineExtensionAmount") == "20.00"
    assert "Before 5 × 10.00" in text(line, "cbc:Note") and "after 3 × 10.00" in text(line, "cbc:Note")
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "24.00"  # −24.00 amount correction
    assert text(root, "cbc:Note") == "Reason: Two chairs were never delivered"


def test_an_invoice_correction_that_raises_the_price_is_a_corrected_invoice_384():
    invoice = support.invoice_of_60("EUR")
    root = ubl(corrected(invoice, unit_price="12.50", reason="Price agreed after delivery"))
    assert etree.QName(root).localname == "Invoice"
    assert text(root, "cbc:InvoiceTypeCode") == "384"
    line = root.find("cac:InvoiceLine", NS)
    assert (text(line, "cbc:InvoicedQuantity"), text(line, "cac:Price/cbc:PriceAmount")) == ("1", "12.5")
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "15.00"


def test_ubl_and_cii_of_one_document_state_the_same_amounts():
    invoice = support.invoice_of_60("EUR")
    for document in (invoice, support.credit_note_of_2(invoice), corrected(invoice, quantity=4)):
        u, c = ubl(document), cii_of(document)
        summation = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/" \
            "ram:SpecifiedTradeSettlementHeaderMonetarySummation"  # fmt: skip
        ns = {**RAM, "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"}
        assert text(u, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == c.findtext(
            f"{summation}/ram:LineTotalAmount", None, ns
        )
        assert text(u, "cac:TaxTotal/cbc:TaxAmount") == c.findtext(f"{summation}/ram:TaxTotalAmount", None, ns)
        assert text(u, "cac:LegalMonetaryTotal/cbc:PayableAmount") == c.findtext(
            f"{summation}/ram:DuePayableAmount", None, ns
        )


def test_peppol_export_is_refused_naming_what_to_fill_in():
    invoice = support.invoice_of_60(partner=support.customer(name="Nowhere Ltd", country="", peppol_scheme="",
                                                             peppol_id="", vat_id=""))  # fmt: skip
    with pytest.raises(ValidationError, match="customer “Nowhere Ltd”: country, Peppol endpoint"):
        services.document_ubl(document=invoice)


def test_the_peppol_button_shows_the_refusal_on_the_card_instead_of_a_file(accountant_client):
    invoice = support.invoice_of_60(partner=support.customer(name="Nowhere Ltd", peppol_scheme="", peppol_id=""))
    response = accountant_client.get(f"/documents/{invoice.pk}/peppol.xml", follow=True)
    assert response.status_code == 200
    assert "Fill in before exporting for Peppol — customer “Nowhere Ltd”: Peppol endpoint." in response.content.decode()


def test_bills_and_their_corrections_get_no_e_invoice():
    bill = factories.posted(factories.bill(company=support.company(), partner=support.customer(is_vendor=True)))
    with pytest.raises(ValidationError, match="they get a PDF, not an e-invoice"):
        services.document_ubl(document=bill)
