"""Types and documents for the returns tests, shaped like the demo data (SPEC 2)."""

from decimal import Decimal

from invoicing.models import DocumentType, Kind
from tests import factories


def credit_note_type():
    return DocumentType.objects.get_or_create(
        kind=Kind.BILL, name="Credit note", defaults={"series": "CN", "is_return": True}
    )[0]


def refund_type():
    return DocumentType.objects.get_or_create(
        kind=Kind.INVOICE, name="Refund", defaults={"series": "RF", "is_return": True}
    )[0]


def sales_type(check_returned_quantity=False):
    invoice_type = factories.invoice_type()
    invoice_type.return_type = credit_note_type()
    invoice_type.check_returned_quantity = check_returned_quantity
    invoice_type.save()
    return invoice_type


def purchase_type():
    bill_type = factories.bill_type()
    bill_type.return_type = refund_type()
    bill_type.save()
    return bill_type


def invoice_of_60(check_returned_quantity=False, **kwargs):
    """SPEC example 5: 5 × 10.00 + VAT 20% = 60.00, posted."""
    kwargs.setdefault("partner", factories.PartnerFactory(is_customer=True, is_vendor=False))
    invoice = factories.invoice(
        type=sales_type(check_returned_quantity),
        lines=[factories.line(quantity=5, unit_price="10.00", description="Chair")],
        **kwargs,
    )
    return factories.posted(invoice)


def bill_of_60(**kwargs):
    kwargs.setdefault("partner", factories.PartnerFactory(is_customer=False, is_vendor=True))
    bill = factories.bill(
        type=purchase_type(), lines=[factories.line(quantity=5, unit_price="10.00", description="Paper")], **kwargs
    )
    return factories.posted(bill)


def set_quantity(document, quantity, position=1):
    """What the card's line form does on a draft: change a quantity and save it through the service."""
    return factories.edit_lines(document, **{str(position): {"quantity": Decimal(str(quantity))}})
