"""Peppol BIS Billing 3.0 UBL 2.1 (`Invoice` or `CreditNote`) written with lxml from the neutral data."""

from lxml import etree

from einvoicing.data import CUSTOMIZATION_ID, PROFILE_ID

NS = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}


def _el(parent, name, text=None, **attributes):
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _quantity(value):
    return f"{value:f}"


def _party(parent, party):
    node = _el(parent, "cac:Party")
    if party.endpoint_id:
        _el(node, "cbc:EndpointID", party.endpoint_id, schemeID=party.endpoint_scheme)
    _el(_el(node, "cac:PartyName"), "cbc:Name", party.name)
    address = _el(node, "cac:PostalAddress")
    if party.street:
        _el(address, "cbc:StreetName", party.street)
    if party.city:
        _el(address, "cbc:CityName", party.city)
    if party.postcode:
        _el(address, "cbc:PostalZone", party.postcode)
    _el(_el(address, "cac:Country"), "cbc:IdentificationCode", party.country)
    if party.vat_id:
        scheme = _el(node, "cac:PartyTaxScheme")
        _el(scheme, "cbc:CompanyID", party.vat_id)
        _el(_el(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _el(node, "cac:PartyLegalEntity")
    _el(legal, "cbc:RegistrationName", party.legal_name)
    if party.registration_number:
        _el(legal, "cbc:CompanyID", party.registration_number)
    if party.email:
        _el(_el(node, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _tax_category(parent, name, category, rate):
    node = _el(parent, name)
    _el(node, "cbc:ID", category)
    _el(node, "cbc:Percent", f"{rate:f}")
    _el(_el(node, "cac:TaxScheme"), "cbc:ID", "VAT")


def ubl_xml(data):
    """UBL 2.1 bytes of an `EInvoice`; a credit note is a `CreditNote` (381), everything else an `Invoice`."""
    root_name = "CreditNote" if data.is_credit_note else "Invoice"
    root = etree.Element(f"{{{NS[root_name]}}}{root_name}", nsmap={None: NS[root_name], "cac": NS["cac"],
                                                                   "cbc": NS["cbc"]})  # fmt: skip
    currency = {"currencyID": data.currency}
    _el(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _el(root, "cbc:ProfileID", PROFILE_ID)
    _el(root, "cbc:ID", data.number)
    _el(root, "cbc:IssueDate", data.issue_date.isoformat())
    if data.due_date and not data.is_credit_note:
        _el(root, "cbc:DueDate", data.due_date.isoformat())
    _el(root, f"cbc:{root_name}TypeCode", data.type_code)
    if data.reason:
        _el(root, "cbc:Note", f"Reason: {data.reason}")
    _el(root, "cbc:DocumentCurrencyCode", data.currency)
    _el(root, "cbc:BuyerReference", data.buyer_reference)
    if data.billing_reference:
        number, issued = data.billing_reference
        reference = _el(_el(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _el(reference, "cbc:ID", number)
        _el(reference, "cbc:IssueDate", issued.isoformat())
    _party(_el(root, "cac:AccountingSupplierParty"), data.seller)
    _party(_el(root, "cac:AccountingCustomerParty"), data.buyer)
    if data.iban:
        means = _el(root, "cac:PaymentMeans")
        _el(means, "cbc:PaymentMeansCode", "58")
        if data.due_date and data.is_credit_note:
            _el(means, "cbc:PaymentDueDate", data.due_date.isoformat())
        _el(means, "cbc:PaymentID", data.number)
        account = _el(means, "cac:PayeeFinancialAccount")
        _el(account, "cbc:ID", data.iban)
        _el(account, "cbc:Name", data.seller.legal_name)
        if data.bic:
            _el(_el(account, "cac:FinancialInstitutionBranch"), "cbc:ID", data.bic)
    _el(_el(root, "cac:PaymentTerms"), "cbc:Note", data.payment_terms)
    tax_total = _el(root, "cac:TaxTotal")
    _el(tax_total, "cbc:TaxAmount", data.money(data.tax_total), **currency)
    for row in data.vat:
        subtotal = _el(tax_total, "cac:TaxSubtotal")
        _el(subtotal, "cbc:TaxableAmount", data.money(row.taxable), **currency)
        _el(subtotal, "cbc:TaxAmount", data.money(row.tax), **currency)
        _tax_category(subtotal, "cac:TaxCategory", row.category, row.rate)
    totals = _el(root, "cac:LegalMonetaryTotal")
    _el(totals, "cbc:LineExtensionAmount", data.money(data.line_total), **currency)
    _el(totals, "cbc:TaxExclusiveAmount", data.money(data.line_total), **currency)
    _el(totals, "cbc:TaxInclusiveAmount", data.money(data.total), **currency)
    _el(totals, "cbc:PayableAmount", data.money(data.payable), **currency)
    quantity_name = "cbc:CreditedQuantity" if data.is_credit_note else "cbc:InvoicedQuantity"
    for line in data.lines:
        node = _el(root, f"cac:{root_name}Line")
        _el(node, "cbc:ID", line.id)
        if line.note:
            _el(node, "cbc:Note", line.note)
        _el(node, quantity_name, _quantity(line.quantity), unitCode=line.unit_code)
        _el(node, "cbc:LineExtensionAmount", data.money(line.net_amount), **currency)
        item = _el(node, "cac:Item")
        _el(item, "cbc:Name", line.name)
        _tax_category(item, "cac:ClassifiedTaxCategory", line.vat_category, line.vat_rate)
        _el(_el(node, "cac:Price"), "cbc:PriceAmount", f"{line.price:f}", **currency)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
