"""Rows as the schemas of api/schemas.py (amounts as exact decimal strings)."""

from api import schemas
from invoicing import selectors


def money(value):
    return f"{value:f}"


def ref(instance, name=None):
    return schemas.Ref(id=instance.pk, name=name or str(instance))


def document_summary(document):
    return schemas.DocumentSummary(
        id=document.pk,
        kind=document.kind,
        number=document.number,
        type=ref(document.type, document.type.name),
        is_return=document.type.is_return,
        company=ref(document.company, document.company.name),
        partner=ref(document.partner, document.partner.name),
        date=document.date,
        due_date=document.due_date,
        currency=document.currency,
        status=document.status,
        status_words=selectors.status_words(document=document),
        original=document.original_id,
        is_reversal=document.is_reversal,
        amount_untaxed=money(document.amount_untaxed),
        amount_tax=money(document.amount_tax),
        amount_total=money(document.amount_total),
        balance_due=money(document.balance_due),
        version=document.version,
    )


def line(row):
    return schemas.LineOut(
        id=row.pk,
        position=row.position,
        item=row.item_id,
        description=row.description,
        quantity=money(row.quantity),
        unit_price=money(row.unit_price),
        discount=money(row.discount),
        taxes=[tax.pk for tax in row.taxes.all()],
        source_line=row.source_line_id,
        replaces=row.replaces_id,
        amount_untaxed=money(row.amount_untaxed),
        amount_tax=money(row.amount_tax),
        amount_total=money(row.amount_total),
    )


def payment(row):
    return schemas.PaymentOut(
        id=row.pk,
        document=row.document_id,
        kind=row.kind,
        method=ref(row.method, row.method.name),
        amount=money(row.amount),
        currency=row.currency,
        date=row.date,
        reference=row.reference,
        created_at=row.created_at,
        reversed_at=row.reversed_at,
        reversal_reason=row.reversal_reason,
    )


def allocation(row):
    return schemas.AllocationOut(
        id=row.pk,
        receivable=row.receivable_id,
        payable=row.payable_id,
        amount=money(row.amount),
        currency=row.currency,
        is_automatic=row.is_automatic,
        created_at=row.created_at,
        reversed_at=row.reversed_at,
    )


def document_detail(document, *, lines, payments, corrections, returns, allocations):
    summary = document_summary(document).model_dump()
    return schemas.DocumentDetail(
        **summary,
        vendor_reference=document.vendor_reference,
        note=document.note,
        reason=document.reason,
        debt_total=money(document.debt_total),
        net_paid=money(document.net_paid),
        allocated=money(document.allocated),
        lines=[line(row) for row in lines],
        payments=[payment(row) for row in payments],
        corrections=[document_summary(row) for row in corrections],
        returns=[document_summary(row) for row in returns],
        allocations=[allocation(row) for row in allocations],
    )


def balances(rows, totals):
    figures = selectors.BALANCE_FIGURES
    return schemas.PartnerBalances(
        rows=[schemas.BalanceRow(**{**row, **{name: money(row[name]) for name in figures}}) for row in rows],
        totals=[schemas.BalanceTotal(**{**row, **{name: money(row[name]) for name in figures}}) for row in totals],
    )


def calendar(calendars):
    return [
        schemas.CurrencyCalendar(
            currency=c.currency,
            incoming=money(c.incoming),
            outgoing=money(c.outgoing),
            net=money(c.net),
            buckets=[
                schemas.Bucket(
                    label=b.label,
                    start=b.start,
                    end=b.end,
                    incoming=money(b.incoming),
                    outgoing=money(b.outgoing),
                    net=money(b.net),
                    cumulative=money(b.cumulative),
                    is_overdue=b.is_overdue,
                )
                for b in c.buckets
            ],
        )
        for c in calendars
    ]


def statement(s):
    return schemas.Statement(
        partner=ref(s.partner, s.partner.name),
        company=ref(s.company, s.company.name),
        currency=s.currency,
        date_from=s.date_from,
        date_to=s.date_to,
        opening=money(s.opening),
        closing=money(s.closing),
        rows=[
            schemas.StatementRow(
                date=r.date,
                what=r.what,
                description=r.description,
                document=r.document.pk if r.document else None,
                amount=money(r.amount),
                balance=money(r.balance),
                allocated=money(r.allocated) if r.allocated is not None else None,
                reference=r.reference,
            )
            for r in s.rows
        ],
    )
