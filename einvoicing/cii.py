"""Factur-X (profile EN 16931) Cross Industry Invoice written with lxml from the neutral data."""

from lxml import etree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"


def _el(parent, name, text=None, **attributes):
    prefix, local = name.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{local}", **attributes)
    if text is not None:
        element.text = str(text)
    return element


def _date(parent, name, value, prefix="udt"):
    _el(_el(parent, name), f"{prefix}:DateTimeString", value.strftime("%Y%m%d"), format="102")


def _party(parent, name, party):
    node = _el(parent, name)
    _el(node, "ram:Name", party.legal_name)
    if party.registration_number:
        _el(_el(node, "ram:SpecifiedLegalOrganization"), "ram:ID", party.registration_number)
    address = _el(node, "ram:PostalTradeAddress")
    if party.postcode:
        _el(address, "ram:PostcodeCode", party.postcode)
    if party.street:
        _el(address, "ram:LineOne", party.street)
    if party.city:
        _el(address, "ram:CityName", party.city)
    _el(address, "ram:CountryID", party.country)
    if party.endpoint_id:
        _el(_el(node, "ram:URIUniversalCommunication"), "ram:URIID", party.endpoint_id, schemeID=party.endpoint_scheme)
    if party.vat_id:
        _el(_el(node, "ram:SpecifiedTaxRegistration"), "ram:ID", party.vat_id, schemeID="VA")


def cii_xml(data):
    """CII bytes of an `EInvoice` (type 380/384, or 381 for a credit note), for embedding as factur-x.xml."""
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", GUIDELINE_EN16931)
    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", data.number)
    _el(header, "ram:TypeCode", data.type_code)
    _date(header, "ram:IssueDateTime", data.issue_date)
    if data.reason:
        _el(_el(header, "ram:IncludedNote"), "ram:Content", f"Reason: {data.reason}")
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for line in data.lines:
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        document = _el(item, "ram:AssociatedDocumentLineDocument")
        _el(document, "ram:LineID", line.id)
        if line.note:
            _el(_el(document, "ram:IncludedNote"), "ram:Content", line.note)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line.name)
        price = _el(_el(item, "ram:SpecifiedLineTradeAgreement"), "ram:NetPriceProductTradePrice")
        _el(price, "ram:ChargeAmount", f"{line.price:f}")
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", f"{line.quantity:f}", unitCode=line.unit_code)
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", line.vat_category)
        _el(tax, "ram:RateApplicablePercent", f"{line.vat_rate:f}")
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", data.money(line.net_amount))
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", data.buyer_reference)
    _party(agreement, "ram:SellerTradeParty", data.seller)
    _party(agreement, "ram:BuyerTradeParty", data.buyer)
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:PaymentReference", data.number)
    _el(settlement, "ram:InvoiceCurrencyCode", data.currency)
    if data.iban:
        means = _el(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _el(means, "ram:TypeCode", "58")
        _el(_el(means, "ram:PayeePartyCreditorFinancialAccount"), "ram:IBANID", data.iban)
        if data.bic:
            _el(_el(means, "ram:PayeeSpecifiedCreditorFinancialInstitution"), "ram:BICID", data.bic)
    for row in data.vat:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", data.money(row.tax))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", data.money(row.taxable))
        _el(tax, "ram:CategoryCode", row.category)
        _el(tax, "ram:RateApplicablePercent", f"{row.rate:f}")
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", data.payment_terms)
    if data.due_date:
        _date(terms, "ram:DueDateDateTime", data.due_date)
    totals = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(totals, "ram:LineTotalAmount", data.money(data.line_total))
    _el(totals, "ram:TaxBasisTotalAmount", data.money(data.line_total))
    _el(totals, "ram:TaxTotalAmount", data.money(data.tax_total), currencyID=data.currency)
    _el(totals, "ram:GrandTotalAmount", data.money(data.total))
    _el(totals, "ram:DuePayableAmount", data.money(data.payable))
    if data.billing_reference:
        number, issued = data.billing_reference
        reference = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(reference, "ram:IssuerAssignedID", number)
        _date(reference, "ram:FormattedIssueDateTime", issued, prefix="qdt")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
