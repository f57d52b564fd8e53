"""The neutral "e-invoice data" of a document: one structure, built from the core's selectors, from which
both the Peppol UBL and the Factur-X CII are written, so the two formats can never disagree on an amount.

An invoice and a credit note carry their own lines and amounts. An invoice correction is sent as its
amount correction (SPEC 11): its lines are the per-line differences against the previous state
(`corrections.selectors.line_changes`), a credit note when the correction lowers the amount, an invoice
when it raises it, with a billing reference to the original.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from corrections.selectors import chain_of, line_changes
from invoicing import selectors
from invoicing.amounts import ZERO, net_unit_price, round_money
from invoicing.models import Kind, Status
from returns.selectors import return_source

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
INVOICE, CORRECTED_INVOICE, CREDIT_NOTE = "380", "384", "381"
# UN/ECE Recommendation 20 codes for the units items are sold in; "one" (C62) for anything else.
UNIT_CODES = {"pcs": "H87", "h": "HUR", "hour": "HUR", "box": "XBX", "kg": "KGM", "m": "MTR", "l": "LTR", "day": "DAY"}


@dataclass(frozen=True)
class Party:
    name: str
    legal_name: str
    street: str
    postcode: str
    city: str
    country: str  # ISO 3166 alpha-2
    vat_id: str
    registration_number: str
    email: str
    endpoint_scheme: str
    endpoint_id: str


@dataclass(frozen=True)
class Line:
    id: str
    name: str
    quantity: Decimal
    unit_code: str
    price: Decimal  # net unit price, never negative (the quantity carries the sign)
    net_amount: Decimal
    tax_amount: Decimal  # what our books computed for the line; summed per rate into `vat`
    vat_category: str  # UNCL5305: S standard rate, Z zero rated
    vat_rate: Decimal
    note: str = ""


@dataclass(frozen=True)
class VatRow:
    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class EInvoice:
    document_id: int
    is_credit_note: bool
    type_code: str
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    buyer_reference: str
    seller: Party
    buyer: Party
    lines: tuple
    vat: tuple
    line_total: Decimal
    tax_total: Decimal
    total: Decimal
    payable: Decimal
    billing_reference: tuple | None  # (number, issue date) of the amended document
    reason: str
    iban: str
    bic: str
    payment_terms: str

    def money(self, amount):
        """An amount as the XML writes it: the currency's minor unit, a dot, no grouping."""
        return str(round_money(amount, self.currency))


def party(obj, *, is_company):
    country = obj.country.code if obj.country else ""
    return Party(
        name=obj.name,
        legal_name=obj.display_legal_name if is_company else obj.name,
        street=obj.street,
        postcode=obj.postcode,
        city=obj.city,
        country=country,
        vat_id=obj.vat_id.replace(" ", "").upper(),
        registration_number=obj.registration_number if is_company else "",
        email=obj.email,
        endpoint_scheme=obj.peppol_scheme,
        endpoint_id=obj.peppol_id,
    )


def issued_refusal(document):
    """Why `document` gets no e-invoice (a PDF only), or None."""
    if not document.is_issued_by_us:
        return (
            f"{document.type_label}s record what a vendor issued: they get a PDF, not an e-invoice "
            "(only invoices, invoice corrections and credit notes are sent)."
        )
    if document.status not in (Status.TO_PAY, Status.PAID):
        return f"Only a posted document is sent as an e-invoice; this one is {document.get_status_display()}."
    return None


def _vat_of(line):
    taxes = list(line.taxes.all())
    if len(taxes) > 1:
        raise ValidationError(
            f"Line {line.position} “{line.label}” carries several taxes ({', '.join(t.name for t in taxes)}); an "
            "e-invoice line carries one VAT rate. Issue it as a PDF, or split the tax into its own line."
        )
    rate = taxes[0].rate if taxes else ZERO
    return ("S" if rate > 0 else "Z"), rate.normalize()


def _unit_code(line):
    unit = (line.item.unit if line.item_id else "").strip().lower()
    return UNIT_CODES.get(unit, "C62")


def _document_line(line, document):
    category, rate = _vat_of(line)
    if document.type.prices_include_tax and line.quantity:
        price = (line.amount_untaxed / line.quantity).quantize(Decimal("0.000001"))
    else:
        price = net_unit_price(line.unit_price, line.discount).normalize()
    quantity = line.quantity
    if price < 0:
        price, quantity = -price, -quantity
    return Line(
        id=str(line.position),
        name=line.label,
        quantity=quantity.normalize(),
        unit_code=_unit_code(line),
        price=price,
        net_amount=line.amount_untaxed,
        tax_amount=line.amount_tax,
        vat_category=category,
        vat_rate=rate,
    )


def _difference_line(currency, line_id, label, note, unit_code, vat, quantity, price, untaxed, tax):
    """A line of an amount correction: `quantity` × `price` when that is exactly `untaxed`, else 1 × the
    difference (the price stays positive, the quantity carries the sign)."""
    if not (quantity and price and round_money(quantity * price, currency) == untaxed):
        quantity, price = (Decimal(1) if untaxed >= 0 else Decimal(-1)), abs(untaxed)
        unit_code = "C62"
    if price < 0:
        quantity, price = -quantity, -price
    return Line(
        id=line_id,
        name=label,
        quantity=quantity.normalize(),
        unit_code=unit_code,
        price=price.normalize() if price else Decimal(0),
        net_amount=untaxed,
        tax_amount=tax,
        vat_category=vat[0],
        vat_rate=vat[1],
        note=note,
    )


def _describe(before, after):
    def state(line):
        return f"{line.quantity.normalize():f} × {line.unit_price} less {line.discount.normalize():f} %"

    if before is None:
        return f"Added: {state(after)}"
    if after is None:
        return f"Removed: {state(before)}"
    return f"Before {state(before)}; after {state(after)}"


def _correction_lines(document, changes):
    lines = []
    for change in changes:
        if change.status == "unchanged":
            continue
        before, after = change.before, change.after
        label = change.line.label
        position = str(change.line.position)
        note = _describe(before, after)
        same_vat = before is not None and after is not None and _vat_of(before) == _vat_of(after)
        if before is not None and after is not None and not same_vat:
            # The rate changed: the old line goes out at its rate and the new one comes in at its own.
            for suffix, line, sign in (("a", before, -1), ("b", after, 1)):
                lines.append(_difference_line(
                    document.currency, f"{position}{suffix}", label, note, "C62", _vat_of(line), Decimal(0), ZERO,
                    sign * line.amount_untaxed, sign * line.amount_tax,
                ))  # fmt: skip
            continue
        vat = _vat_of(after or before)
        net_before = net_unit_price(before.unit_price, before.discount) if before else None
        net_after = net_unit_price(after.unit_price, after.discount) if after else None
        price = net_after if net_before is None else net_before
        if net_before is not None and net_after is not None and net_before != net_after:
            price = None
        unit_code = _unit_code(change.line)
        lines.append(_difference_line(
            document.currency, position, label, note, unit_code, vat, change.quantity_difference, price or ZERO,
            change.untaxed_difference, change.tax_difference,
        ))  # fmt: skip
    return lines


def _negated(line):
    return Line(**{**line.__dict__, "quantity": -line.quantity, "net_amount": -line.net_amount,
                   "tax_amount": -line.tax_amount})  # fmt: skip


def _vat_rows(lines, currency):
    rows = {}
    for line in lines:
        key = (line.vat_category, line.vat_rate)
        taxable, tax = rows.get(key, (ZERO, ZERO))
        rows[key] = (taxable + line.net_amount, tax + line.tax_amount)
    return tuple(
        VatRow(category, rate, round_money(taxable, currency), round_money(tax, currency))
        for (category, rate), (taxable, tax) in sorted(rows.items())
    )


def einvoice_data(*, document):
    """The e-invoice of a posted invoice, invoice correction or credit note; ValidationError when it has none."""
    message = issued_refusal(document)
    if message:
        raise ValidationError(message)
    company, partner = document.company, document.partner
    reference = None
    if document.original_id:  # an invoice correction: its amount correction
        chain = chain_of(original=document.original)
        amounts = chain.row_for(document).amount_correction
        lines = _correction_lines(document, line_changes(correction=document, chain=chain))
        if not lines or not any(line.net_amount or line.tax_amount for line in lines):
            raise ValidationError("This correction changes no amount: there is nothing to send as an e-invoice.")
        is_credit_note = amounts.total < 0
        if is_credit_note:
            lines = [_negated(line) for line in lines]
        sign = -1 if is_credit_note else 1
        untaxed, tax = sign * amounts.untaxed, sign * amounts.tax
        type_code = CREDIT_NOTE if is_credit_note else CORRECTED_INVOICE
        reference = (document.original.number, document.original.date)
    else:
        doc_lines = selectors.document_lines(document=document)
        lines = [_document_line(line, document) for line in doc_lines]
        untaxed, tax = document.amount_untaxed, document.amount_tax
        is_credit_note = document.kind == Kind.BILL  # a credit note: a return bill we issue to the customer
        type_code = CREDIT_NOTE if is_credit_note else INVOICE
        if is_credit_note:
            source = return_source(document=document)
            if source is not None:
                reference = (source.number, source.date)
    vat = _vat_rows(lines, document.currency)
    line_total = sum((line.net_amount for line in lines), ZERO)
    if line_total != untaxed or sum((row.tax for row in vat), ZERO) != tax:
        raise ValidationError("The e-invoice lines do not add up to the document's amounts; it cannot be exported.")
    total = untaxed + tax
    days = (document.due_date - document.date).days if document.due_date else None
    return EInvoice(
        document_id=document.pk,
        is_credit_note=is_credit_note,
        type_code=type_code,
        number=document.number,
        issue_date=document.date,
        due_date=document.due_date,
        currency=document.currency,
        buyer_reference=document.vendor_reference or document.number,
        seller=party(company, is_company=True),
        buyer=party(partner, is_company=False),
        lines=tuple(lines),
        vat=vat,
        line_total=line_total,
        tax_total=tax,
        total=total,
        payable=total,
        billing_reference=reference,
        reason=document.reason.strip(),
        iban=company.iban,
        bic=company.bic,
        payment_terms=f"Payment within {days} days" if days is not None else "Payment on receipt",
    )


# ----------------------------------------------------------------------------- what each format needs
def _missing_of(label, party_data, fields):
    names = [name for attribute, name in fields if not getattr(party_data, attribute)]
    return f"{label}: {', '.join(names)}" if names else None


def missing_fields(data, *, peppol):
    """["company “X”: VAT ID, Peppol endpoint", …]: what must be filled in before the format can be made.
    EN 16931 needs both parties' names and countries and the seller's VAT ID; Peppol also needs both
    electronic addresses (endpoints)."""
    seller_fields = [("legal_name", "legal name"), ("street", "street"), ("city", "city"), ("postcode", "postcode"),
                     ("country", "country"), ("vat_id", "VAT ID")]  # fmt: skip
    buyer_fields = [("name", "name"), ("street", "street"), ("city", "city"), ("postcode", "postcode"),
                    ("country", "country")]  # fmt: skip
    if peppol:
        seller_fields.append(("endpoint_id", "Peppol endpoint"))
        buyer_fields.append(("endpoint_id", "Peppol endpoint"))
    return [
        message
        for message in (
            _missing_of(f"company “{data.seller.name}”", data.seller, seller_fields),
            _missing_of(f"customer “{data.buyer.name}”", data.buyer, buyer_fields),
        )
        if message
    ]
