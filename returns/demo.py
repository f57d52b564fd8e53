"""Demo returns for `make run`: a refunded credit note, a credit note applied as credit, a supplier refund."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from invoicing import selectors, services
from invoicing.models import DocumentType, Item, Kind, Partner, PaymentKind, PaymentMethod, Tax
from returns.services import return_create


def _document(kind, company, partner, user, date, lines):
    vat = Tax.objects.get(name="VAT 20%")
    return services.document_create(
        kind=kind,
        type=DocumentType.objects.get(kind=kind, name="Invoice" if kind == Kind.INVOICE else "Bill"),
        company=company,
        partner=Partner.objects.get(name=partner),
        user=user,
        date=date,
        vendor_reference="V-RET-1" if kind == Kind.BILL else "",
        lines=[
            {
                "item": item,
                "description": item.name,
                "quantity": Decimal(quantity),
                "unit_price": item.default_price,
                "discount": Decimal(discount),
                "taxes": [vat],
            }
            for item, quantity, discount in ((Item.objects.get(sku=sku), q, d) for sku, q, d in lines)
        ],
    )


def _keep(document, quantities, user):
    """Edit a draft return as the accountant does on the card: {position: quantity}; other lines go."""
    lines = [
        {**line, "quantity": Decimal(quantities[line["position"]])}
        for line in selectors.draft_line_data(document=document)
        if line["position"] in quantities
    ]
    return services.document_draft_save(document=document, user=user, lines=lines)


def _pay(document, amount, method, user, date, kind=PaymentKind.PAYMENT):
    services.payment_register(
        document=document,
        kind=kind,
        method=PaymentMethod.objects.get(name=method),
        amount=amount,
        user=user,
        date=date,
        reference=f"RET-{document.pk}",
    )


def seed_returns(*, company, user, stdout):
    today = timezone.localdate()

    # A paid invoice; two chairs come back; the customer gets the money back in cash.
    invoice = _document(
        Kind.INVOICE,
        company,
        "Northwind Traders",
        user,
        today - timedelta(days=20),
        [("CHAIR-02", 4, 0), ("LAMP-03", 2, 0)],
    )
    services.document_post(document=invoice, user=user)
    _pay(invoice, invoice.balance_due, "Bank transfer", user, today - timedelta(days=15))
    credit_note = _keep(return_create(document=invoice, user=user, reason="Damaged in transit"), {1: 2}, user)
    services.document_post(document=credit_note, user=user)
    _pay(credit_note, credit_note.balance_due, "Cash", user, today - timedelta(days=5))

    # An unpaid invoice; a returned lamp is credited against what the customer still owes.
    invoice = _document(
        Kind.INVOICE, company, "Contoso Retail", user, today - timedelta(days=10), [("LAMP-03", 6, 10), ("SHIP", 1, 0)]
    )
    services.document_post(document=invoice, user=user)
    returned = return_create(document=invoice, user=user, reason="Not as ordered")
    services.document_post(document=_keep(returned, {1: 1}, user), user=user)

    # A bill; damaged paper goes back to the supplier, credited against what we owe.
    bill = _document(Kind.BILL, company, "Globex Supplies", user, today - timedelta(days=12), [("PAPER-A4", 10, 0)])
    services.document_post(document=bill, user=user)
    returned = return_create(document=bill, user=user, reason="Damaged paper sent back")
    services.document_post(document=_keep(returned, {1: 3}, user), user=user)

    # A paid invoice; a returned desk leaves a credit note the customer does not want in cash: it is applied
    # to the customer's next invoice (SPEC 10). Applied once by mistake to a third invoice and removed again.
    paid = _document(Kind.INVOICE, company, "Fabrikam Stores", user, today - timedelta(days=30), [("DESK-01", 2, 0)])
    services.document_post(document=paid, user=user)
    _pay(paid, paid.balance_due, "Bank transfer", user, today - timedelta(days=25))
    credit_note = _keep(return_create(document=paid, user=user, reason="Wrong size"), {1: 1}, user)
    services.document_post(document=credit_note, user=user)
    next_invoice = _document(
        Kind.INVOICE, company, "Fabrikam Stores", user, today - timedelta(days=8), [("CHAIR-02", 3, 0)]
    )
    services.document_post(document=next_invoice, user=user)
    wrong = _document(Kind.INVOICE, company, "Fabrikam Stores", user, today - timedelta(days=6), [("SHIP", 2, 0)])
    services.document_post(document=wrong, user=user)
    mistake = services.allocation_create(document=credit_note, counterpart=wrong, amount="10.00", user=user)
    services.allocation_reverse(allocation=mistake, user=user)
    credit_note.refresh_from_db()
    services.allocation_create(
        document=credit_note, counterpart=next_invoice, amount=credit_note.balance_due, user=user
    )

    # A draft credit note left open for the accountant to finish.
    return_create(document=invoice, user=user)
    stdout.write(
        "Returns: 3 credit notes (one refunded in cash, one applied to another invoice), 1 supplier refund, "
        "1 draft credit note."
    )
