"""Correction chains for `seed_demo`, so `make run` shows every case of SPEC 5 on real-looking data."""

from decimal import Decimal

from corrections import services
from invoicing import selectors
from invoicing import services as core
from invoicing.models import Document, Kind, PaymentKind, PaymentMethod, Status


def _edit(draft, user, *, quantity_delta=0, discount=None):
    """Edit a draft correction's first line as an accountant would in the form."""
    lines = selectors.draft_line_data(document=draft)
    first = lines[0]
    first["quantity"] = max(first["quantity"] + quantity_delta, Decimal("1"))
    if discount is not None:
        first["discount"] = Decimal(discount)
    return core.document_draft_save(document=draft, user=user, lines=lines)


def _keep_one_line(draft, user):
    """Edit a full reversal down to a partial one: only its smallest line is reversed."""
    keep = draft.lines.order_by("-amount_total", "pk").values_list("pk", flat=True).first()  # the least negative
    lines = [line for line in selectors.draft_line_data(document=draft) if line["id"] == keep]
    return core.document_draft_save(document=draft, user=user, lines=lines)


def seed_corrections(*, company, user, stdout):
    posted = Document.objects.filter(company=company, original__isnull=True, is_reversal=False).order_by("pk")
    bills = list(posted.filter(kind=Kind.BILL, status=Status.TO_PAY)[:2])
    paid_invoices = list(posted.filter(kind=Kind.INVOICE, status=Status.PAID)[:1])
    open_invoices = list(posted.filter(kind=Kind.INVOICE, status=Status.TO_PAY)[:2])

    def post(draft):
        return core.document_post(document=draft, user=user)

    def create(document, reversal=False):
        reason = "Goods returned in part" if reversal else "Price agreed after delivery"
        return services.correction_create(document=document, user=user, reversal=reversal, reason=reason)

    chains = 0
    if bills:
        # A bill corrected twice (the second from the first), then partly reversed.
        bill = bills[0]
        first = post(_edit(create(bill), user, discount="10"))
        post(_edit(create(first), user, quantity_delta=1))
        post(_keep_one_line(create(bill, reversal=True), user))
        chains += 1
    if len(bills) > 1:
        # A bill whose correction was canceled, and a draft correction waiting to be posted.
        canceled = post(_edit(create(bills[1]), user, discount="5"))
        core.document_cancel(document=canceled, user=user)
        _edit(create(bills[1]), user, quantity_delta=-1)
        chains += 1
    if paid_invoices:
        # A paid invoice corrected downwards: open credit, then refunded to the customer.
        invoice = paid_invoices[0]
        post(_edit(create(invoice), user, discount="20"))
        invoice.refresh_from_db()
        if invoice.balance_due < 0:
            core.payment_register(
                document=invoice,
                kind=PaymentKind.REFUND,
                method=PaymentMethod.objects.get(name="Bank transfer"),
                amount=-invoice.balance_due,
                user=user,
                reference="Refund after correction",
            )
        chains += 1
    if open_invoices:
        # An invoice corrected upwards: the customer owes more.
        post(_edit(create(open_invoices[0]), user, quantity_delta=2))
        chains += 1
    stdout.write(f"Corrections: {chains} correction chains added.")
