"""Every non-trivial read of the core; each owns its joins and aggregates so no page runs N+1."""

import functools
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from djmoney.money import Money

from invoicing import registry
from invoicing.aggregates import exact_difference, exact_field, exact_sum
from invoicing.amounts import round_money
from invoicing.formatting import format_date
from invoicing.models import (
    POSTED_STATUSES,
    ZERO,
    Allocation,
    Document,
    DocumentLine,
    DocumentTransition,
    Kind,
    Payment,
    PaymentKind,
    Side,
    Status,
    allocation_sign,
    document_side,
)

_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def document_balance_due(*, document):
    """Money; negative means open credit."""
    return Money(document.balance_due, document.currency)


def document_list(*, queryset=None):
    """Documents with what a list row shows, joined or annotated: no query per row."""
    queryset = Document.objects.all() if queryset is None else queryset
    return with_payment_count(queryset.select_related("type", "partner", "company", "original"))


_FOUND = "found_"


def card_document_queryset(*, model=Document):
    """The documents of `model` (`Document` or a kind's proxy) as a card reads its own: with what its header shows
    joined, and whether it has payments, allocations and each extension's rows (`DocumentExtension.card_exists`),
    answered in the same query (`card_found`)."""
    # No `payment_count`: the card's status words come from its payments, read when `found_payments`.
    queryset = model._default_manager.all()
    queryset.query = _card_query(model, tuple(registry.extensions())).chain()
    return queryset


@functools.lru_cache(maxsize=8)
def _card_query(model, extensions):
    """The card's query, built and resolved once per model and set of extensions: `annotate` resolves every Exists
    again on each use (half of a card's query). Only the `Query` is kept (a kept QuerySet would keep the rows it
    read), and each use gets a copy (`chain()`): a shallow one, sharing the resolved expressions, which nothing
    changes. Never compile the kept one itself: compiling adds the joins to its aliases."""
    pk = OuterRef("pk")
    # Any other posted document of the partner with something open, in the same company and currency: without
    # one, the box of open counterparts (`document_open_counterparts`) has nothing to show.
    open_elsewhere = (
        Document.objects.filter(
            partner_id=OuterRef("partner_id"),
            company_id=OuterRef("company_id"),
            currency=OuterRef("currency"),
            status__in=POSTED_STATUSES,
        )
        .exclude(pk=pk)
        .exclude(balance_due=0)
    )
    exists = {
        "payments": Exists(Payment.objects.filter(document=pk)),
        "allocations": Exists(Allocation.objects.filter(Q(receivable=pk) | Q(payable=pk))),
        "open_counterparts": Exists(open_elsewhere),
        **{name: e for extension in extensions for name, e in extension.card_exists().items()},
    }
    found = {_FOUND + name: e for name, e in exists.items()}
    return model._default_manager.select_related("type", "partner", "company", "original").annotate(**found).query


def card_found(*, document):
    """{name: bool} of a document read through `card_document_queryset` ({} otherwise: nothing is known)."""
    return {name[len(_FOUND) :]: value for name, value in vars(document).items() if name.startswith(_FOUND)}


def with_payment_count(queryset):
    """`payment_count` (payments not reversed) on each row, so `status_words` tells "Paid" from "Settled"
    without a query per row."""
    payments = (
        Payment.objects.filter(document=OuterRef("pk"), reversed_at__isnull=True)
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(payment_count=Coalesce(Subquery(payments), 0))


def default_payment_method(*, document):
    """The method last used for this partner, else the one last used by the company, else none (one query)."""
    latest = (
        Payment.objects.filter(document__company_id=document.company_id, method__is_active=True)
        .annotate(other=Case(When(document__partner_id=document.partner_id, then=0), default=1))
        .order_by("other", "-created_at", "-pk")
        .values_list("method_id", flat=True)
        .first()
    )
    return latest


def list_name(*, document):
    """How a list names a document: its number; a draft (no number yet) by its partner and date."""
    if document.number:
        return document.number
    return f"Draft · {document.partner} · {format_date(document.date, 'SHORT_DATE_FORMAT')}"


def is_overdue(*, document, today=None):
    """Posted, something still due, and past its due date."""
    today = today or timezone.localdate()
    return bool(document.is_posted and document.balance_due > 0 and document.due_date and document.due_date < today)


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    total: Decimal
    balance_due: Decimal


def page_totals(*, rows):
    """Totals of the rows a list page shows, one per currency (reports never add currencies together)."""
    totals = {}
    for document in rows:
        count, total, balance = totals.get(str(document.currency), (0, ZERO, ZERO))
        totals[str(document.currency)] = (count + 1, total + document.amount_total, balance + document.balance_due)
    return [CurrencyTotal(currency, *figures) for currency, figures in sorted(totals.items())]


# Two decades of years (months are asked for within one year); a list spanning more is read the plain way.
PERIODS_PROBED_MAX = 24


def periods_present(*, queryset, field, kind, first, last):
    """The first days of the years or months (`kind`) from `first` to `last` in which `queryset` has a row,
    oldest first: the lists' date hierarchy. `field` is a DateField (a moment's day depends on the time zone).
    One query, an EXISTS per period, each an index seek on `field`; a DISTINCT over the truncated dates reads
    every row (9 of the 60 ms of the invoices list at 20,000 documents on PostgreSQL)."""
    if kind == "year":
        spans = [(date(year, 1, 1), date(year, 12, 31)) for year in range(first.year, last.year + 1)]
    else:
        months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
        spans = [(date(m // 12, m % 12 + 1, 1), date(m // 12, m % 12 + 1, monthrange(m // 12, m % 12 + 1)[1]))
                 for m in months]  # fmt: skip
    if len(spans) > PERIODS_PROBED_MAX:
        return list(queryset.dates(field, kind))
    probes = {f"period_{n}": Exists(queryset.filter(**{f"{field}__range": span})) for n, span in enumerate(spans)}
    # Any one row of the list carries the answers (the EXISTS are not correlated); an empty list has none.
    row = next(iter(queryset.order_by().annotate(**probes).values_list(*probes)[:1]), None)
    if row is None:
        return []
    return [start for (start, _end), present in zip(spans, row, strict=True) if present]


def document_lines(*, document):
    return list(DocumentLine.objects.filter(document=document).select_related("item").prefetch_related("taxes"))


def attach_loaded(*, document, lines=None, payments=None):
    """Make `document.lines` / `document.payments` (and the guards' `.exists()`) answer from rows
    already loaded, as `prefetch_related` would, instead of querying again."""
    cache = getattr(document, "_prefetched_objects_cache", {})
    for name, model, rows in [("lines", DocumentLine, lines), ("payments", Payment, payments)]:
        if rows is not None:
            queryset = model.objects.filter(document=document)
            queryset._result_cache, queryset._prefetch_done = list(rows), True
            cache[name] = queryset
    document._prefetched_objects_cache = cache


def document_payments(*, document):
    attached = getattr(document, "_prefetched_objects_cache", {}).get("payments")
    if attached is not None:  # loaded once per card (see attach_loaded)
        return list(attached)
    return list(
        Payment.objects.filter(document=document).select_related(
            "method", "created_by", "reversed_by", "document__type"
        )
    )


def document_history(*, document):
    return list(DocumentTransition.objects.filter(document=document).select_related("user"))


def document_history_rows(*, document, extra=()):
    """(at, username, name, source, target, detail) of the status changes and of the extensions' `extra`
    querysets (whose rows have None as source and target), in time order: one query."""
    rows = (
        DocumentTransition.objects.filter(document=document)
        .order_by()
        .values_list("at", "user__username", "name", "source", "target", Value("", output_field=CharField()))
    )
    for queryset in extra:
        rows = rows.union(queryset.order_by(), all=True)
    return sorted(rows, key=lambda row: row[0])


# ----------------------------------------------------------------------------- allocations (SPEC 10)
@dataclass(frozen=True)
class Counterpart:
    """A document of the partner on the other side: what is open on it, the most that can be applied between
    it and the card's document, and whether it is a set-off (a document of the partner's other role)."""

    document: Document
    open_amount: Decimal
    most: Decimal
    is_set_off: bool


def _customer_role(kind, is_return):
    """Invoices and credit notes are what the partner does as a customer; bills and refunds as a vendor."""
    return (kind == Kind.INVOICE) != bool(is_return)


OPEN_COUNTERPARTS_SHOWN = 50


def document_open_counterparts(*, document, limit=OPEN_COUNTERPARTS_SHOWN):
    """The partner's posted documents on the other side of `document` (same company and currency), credit
    notes and open credit first, then set-off (documents of the partner's other role), each by due date: one
    query. Empty when nothing is open on `document`."""
    side = document_side(document)
    if side is None:
        return []
    payable = Q(kind=Kind.BILL, balance_due__gt=0) | Q(kind=Kind.INVOICE, balance_due__lt=0)
    receivable = Q(kind=Kind.INVOICE, balance_due__gt=0) | Q(kind=Kind.BILL, balance_due__lt=0)
    mine = _customer_role(document.kind, document.is_return)
    same_role = Q(kind=Kind.INVOICE, type__is_return=False) | Q(kind=Kind.BILL, type__is_return=True)
    if not mine:
        same_role = ~same_role
    rows = (
        _due(
            Document.objects.filter(
                payable if side == Side.RECEIVABLE else receivable,
                status__in=POSTED_STATUSES,
                partner_id=document.partner_id,
                company_id=document.company_id,
                currency=document.currency,
            ).exclude(pk=document.pk)
        )
        .select_related("type")
        .annotate(set_off=Case(When(same_role, then=Value(0)), default=Value(1)))
        .order_by("set_off", "due", "pk")[:limit]
    )
    mine_open = abs(document.balance_due)
    return [
        Counterpart(
            document=row,
            open_amount=abs(row.balance_due),
            most=min(mine_open, abs(row.balance_due)),
            is_set_off=bool(row.set_off),
        )
        for row in rows
    ]


# ----------------------------------------------------------------------------- debt and payment calendar
# Reports aggregate the stored balances in SQL: their query count never depends on the number of
# documents. A positive balance means the partner owes us (invoice) or we owe (bill); a negative one is
# open credit, so it lowers the receivable or the payable it belongs to. Currencies are never added.

BALANCE_ORDER_FIELDS = {
    "partner": "partner__name",
    "company": "company__name",
    "currency": "currency",
    "receivable": "receivable",
    "payable": "payable",
    "net": "net",
    "overdue_receivable": "overdue_receivable",
    "overdue_payable": "overdue_payable",
}


def _money_sum(condition):
    return exact_sum(Case(When(condition, then=F("balance_due")), default=Value(ZERO), output_field=_AMOUNT))


def _due(queryset):
    """A posted document always has a due date (a constraint keeps it so): the reports group by it as stored,
    through the `document_by_due_date` index."""
    return queryset.annotate(due=F("due_date"))


def open_documents(
    *,
    company=None,
    partner=None,
    currency=None,
    kind=None,
    overdue=None,
    due_from=None,
    due_to=None,
    today=None,
):
    """Posted documents with a balance (owed or open credit): the rows behind every report figure.

    `overdue=True` keeps those due before today, `False` those due today or later; `due_from` and
    `due_to` bound the due date (inclusive).
    """
    today = today or timezone.localdate()
    queryset = _due(Document.objects.filter(status__in=POSTED_STATUSES).exclude(balance_due=0))
    if company is not None:
        queryset = queryset.filter(company=company)
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    if currency:
        queryset = queryset.filter(currency=currency)
    if kind:
        queryset = queryset.filter(kind=kind)
    if overdue is True:
        queryset = queryset.filter(due__lt=today)
    elif overdue is False:
        queryset = queryset.filter(due__gte=today)
    if due_from is not None:
        queryset = queryset.filter(due__gte=due_from)
    if due_to is not None:
        queryset = queryset.filter(due__lte=due_to)
    return queryset.select_related("type", "partner", "company").order_by("due", "id")


def partner_balances(
    *, company=None, partner=None, currency=None, order=("partner", "company", "currency"), today=None
):
    """One row per partner, company and currency with an open balance.

    Each row: partner_id, partner_name, company_id, company_name, currency, receivable (invoices'
    balances), payable (bills' balances), net (receivable − payable), overdue_receivable and
    overdue_payable (the part due before today). `order` names columns of BALANCE_ORDER_FIELDS, a
    leading "-" for descending. Returns a queryset: one aggregated query, sliceable for paging.
    """
    today = today or timezone.localdate()
    invoice, bill = Q(kind=Kind.INVOICE), Q(kind=Kind.BILL)
    overdue = Q(due__lt=today)
    ordering = []
    for name in order:
        descending = name.startswith("-")
        field_name = BALANCE_ORDER_FIELDS.get(name.lstrip("-"))
        if field_name:
            ordering.append(f"-{field_name}" if descending else field_name)
    ordering += ["partner__name", "partner_id", "company__name", "currency"]
    return (
        open_documents(company=company, partner=partner, currency=currency, today=today)
        .select_related(None)
        .order_by()
        .values("partner_id", "company_id", "currency")
        .annotate(
            partner_name=F("partner__name"),
            company_name=F("company__name"),
            receivable=_money_sum(invoice),
            payable=_money_sum(bill),
            overdue_receivable=_money_sum(invoice & overdue),
            overdue_payable=_money_sum(bill & overdue),
        )
        .annotate(net=exact_difference("receivable", "payable"))
        .order_by(*ordering)
    )


def partner_balance_totals(*, company=None, partner=None, currency=None, today=None):
    """The same figures summed per currency (one query): the footer of the partner balances."""
    today = today or timezone.localdate()
    invoice, bill = Q(kind=Kind.INVOICE), Q(kind=Kind.BILL)
    overdue = Q(due__lt=today)
    rows = list(
        open_documents(company=company, partner=partner, currency=currency, today=today)
        .select_related(None)
        .order_by()
        .values("currency")
        .annotate(
            receivable=_money_sum(invoice),
            payable=_money_sum(bill),
            overdue_receivable=_money_sum(invoice & overdue),
            overdue_payable=_money_sum(bill & overdue),
        )
        .annotate(net=exact_difference("receivable", "payable"))
        .order_by("currency")
    )
    return [{**row, **{name: round_money(row[name], row["currency"]) for name in BALANCE_FIGURES}} for row in rows]


BALANCE_FIGURES = ("receivable", "payable", "net", "overdue_receivable", "overdue_payable")


def partner_balance_report(
    *, company=None, partner=None, currency=None, order=("partner", "company", "currency"), today=None
):
    """The partner balances page in one query: (rows, totals).

    rows: every `partner_balances` row (one per partner, company and currency, so their number follows
    the partners, not the documents), figures rounded to the currency's minor unit; totals: per currency,
    summed from those aggregated rows rather than by a second scan of the documents.
    """
    rows, totals = [], {}
    for row in partner_balances(company=company, partner=partner, currency=currency, order=order, today=today):
        code = row["currency"]
        row.update({name: round_money(row[name], code) for name in BALANCE_FIGURES})
        rows.append(row)
        total = totals.setdefault(code, {"currency": code, **dict.fromkeys(BALANCE_FIGURES, ZERO)})
        for name in BALANCE_FIGURES:
            total[name] += row[name]
    return rows, [totals[code] for code in sorted(totals)]


@dataclass(frozen=True)
class CalendarBucket:
    """One row of the calendar in one currency. `start`/`end` bound the due dates it holds (inclusive);
    the Overdue bucket has no start, the Later bucket no end."""

    label: str
    start: date | None
    end: date | None
    incoming: Decimal
    outgoing: Decimal
    cumulative: Decimal
    is_overdue: bool = False

    @property
    def net(self):
        return self.incoming - self.outgoing


@dataclass(frozen=True)
class CurrencyCalendar:
    currency: str
    buckets: list

    @property
    def incoming(self):
        return sum((b.incoming for b in self.buckets), ZERO)

    @property
    def outgoing(self):
        return sum((b.outgoing for b in self.buckets), ZERO)

    @property
    def net(self):
        return self.incoming - self.outgoing


def _bucket_start(day, bucket):
    return day - timedelta(days=day.weekday()) if bucket == "week" else day


def _as_date(value):
    # TruncWeek/TruncDay give a date on a DateField; some backends hand back a datetime.
    return value.date() if isinstance(value, datetime) else value


def payment_calendar(
    *, company=None, partner=None, currency=None, date_from=None, date_to=None, bucket="week", today=None
):
    """Open balances of posted documents by due date, one `CurrencyCalendar` per currency.

    Buckets: "Overdue" (due before today, always shown), then one per day or week (weeks start on
    Monday) from max(today, date_from) to date_to (default: 12 weeks ahead), then "Later" for what
    falls due after date_to. Incoming = invoices' balances, outgoing = bills' balances; cumulative net
    runs from the Overdue bucket on. Two aggregated queries whatever the number of documents.
    """
    return payment_calendars(company=company, partner=partner, currency=currency, date_from=date_from,
                             date_to=date_to, buckets=(bucket,), today=today)[bucket]  # fmt: skip


def payment_calendars(
    *, company=None, partner=None, currency=None, date_from=None, date_to=None, buckets=("week",), today=None
):
    """`payment_calendar` by day and by week from the same two queries: {bucket: [CurrencyCalendar]}.

    The database sums the balances per currency and due date (the day buckets; the index on the due date
    serves the grouping, no date function runs per row); weeks add up their days here."""
    for bucket in buckets:
        if bucket not in ("week", "day"):
            raise ValueError(f"bucket must be 'week' or 'day', not {bucket!r}")
    today = today or timezone.localdate()
    start = max(today, date_from) if date_from else today
    end = date_to or today + timedelta(weeks=12)
    if end < start:
        end = start
    invoice, bill = Q(kind=Kind.INVOICE), Q(kind=Kind.BILL)
    documents = (
        open_documents(company=company, partner=partner, currency=currency, today=today).select_related(None).order_by()
    )
    sums = {"incoming": _money_sum(invoice), "outgoing": _money_sum(bill)}
    # The overdue, "due before the period" and later ends in one query; the days of the period in the other.
    edges = (
        documents.filter(Q(due__lt=start) | Q(due__gt=end))
        .annotate(
            edge=Case(
                When(due__lt=today, then=Value("overdue")),
                When(due__lt=start, then=Value("before")),
                default=Value("later"),
            )
        )
        .values("currency", "edge")
        .annotate(**sums)
    )
    dated = documents.filter(due__gte=start, due__lte=end).values("currency", "due").annotate(**sums)
    figures = {}
    for key, row in [((r["currency"], r["edge"]), r) for r in edges] + [
        ((r["currency"], _as_date(r["due"])), r) for r in dated
    ]:
        # SQLite sums decimals as floats: back to the currency's minor unit before anything is added up.
        figures[key] = (round_money(row["incoming"], key[0]), round_money(row["outgoing"], key[0]))
    return {bucket: _calendar_buckets(figures, bucket, today, start, end) for bucket in buckets}


def _calendar_buckets(figures, bucket, today, start, end):
    """The calendars of one bucket size from {(currency, "overdue" | "before" | "later" | day): (in, out)}."""
    if bucket == "week":
        weekly = {}
        for (code, key), (incoming, outgoing) in figures.items():
            key = _bucket_start(key, "week") if isinstance(key, date) else key
            before = weekly.get((code, key), (ZERO, ZERO))
            weekly[(code, key)] = (before[0] + incoming, before[1] + outgoing)
        figures = weekly
    # Every bucket of the period, empty ones included, so the table and chart keep a regular axis.
    step = timedelta(weeks=1) if bucket == "week" else timedelta(days=1)
    layout = [("Overdue", "overdue", None, today - timedelta(days=1))]
    if start > today:  # what falls due before the period still counts in the cumulative net
        layout.append((f"Due before {date_format(start)}", "before", today, start - timedelta(days=1)))
    cursor = _bucket_start(start, bucket)
    while cursor <= end:
        label = f"Week of {date_format(cursor)}" if bucket == "week" else date_format(cursor, "D j M Y")
        layout.append((label, cursor, max(cursor, start), min(cursor + step - timedelta(days=1), end)))
        cursor += step
    layout.append((f"Later (after {date_format(end)})", "later", end + timedelta(days=1), None))
    calendars = []
    for code in sorted({key[0] for key in figures}):
        buckets, cumulative = [], ZERO
        for label, key, first, last in layout:
            incoming, outgoing = figures.get((code, key), (ZERO, ZERO))
            cumulative += incoming - outgoing
            buckets.append(CalendarBucket(label, first, last, incoming, outgoing, cumulative, key == "overdue"))
        calendars.append(CurrencyCalendar(code, buckets))
    return calendars


# ----------------------------------------------------------------------------- balance audit
@dataclass(frozen=True)
class BalanceDifference:
    """A stored figure of a document that differs from what first principles give."""

    document_id: int
    document: str
    field: str
    stored: object
    expected: object

    def __str__(self):
        return f"{self.document} (id {self.document_id}): {self.field} is {self.stored}, expected {self.expected}"


def _audit_rows(after_pk, chunk_size):
    signed = Case(
        When(kind=PaymentKind.PAYMENT, then=F("amount")),
        default=-F("amount"),
        output_field=_AMOUNT,
    )
    paid = (
        Payment.objects.filter(document=OuterRef("pk"), reversed_at__isnull=True)
        .order_by()
        .values("document")
        .annotate(s=exact_sum(signed))
    )
    # What the document's allocations in force lower its balance by, per the side it stood on in each.
    as_receivable = (
        Allocation.objects.in_force()
        .filter(receivable=OuterRef("pk"))
        .order_by()
        .values("receivable")
        .annotate(s=exact_sum("amount"))
    )
    as_payable = (
        Allocation.objects.in_force()
        .filter(payable=OuterRef("pk"))
        .order_by()
        .values("payable")
        .annotate(s=exact_sum("amount"))
    )
    lines = (
        DocumentLine.objects.filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(s=exact_sum("amount_total"))
    )
    return list(
        Document.objects.select_related("type")
        .filter(pk__gt=after_pk)
        .annotate(
            audit_net_paid=Coalesce(Subquery(paid.values("s")), Value(ZERO), output_field=exact_field()),
            audit_lines_total=Coalesce(Subquery(lines.values("s")), Value(ZERO), output_field=exact_field()),
            audit_as_receivable=Coalesce(Subquery(as_receivable.values("s")), Value(ZERO), output_field=exact_field()),
            audit_as_payable=Coalesce(Subquery(as_payable.values("s")), Value(ZERO), output_field=exact_field()),
        )
        .order_by("pk")[:chunk_size]
    )


def _document_differences(document, expected):
    label = f"{document.type_label} {document.display_number}"
    differences = []

    def compare(field, stored, should_be):
        if stored != should_be:
            differences.append(BalanceDifference(document.pk, label, field, stored, should_be))

    posted = document.status in POSTED_STATUSES
    allocated = document.audit_as_receivable * allocation_sign(
        document.kind, Side.RECEIVABLE
    ) + document.audit_as_payable * allocation_sign(document.kind, Side.PAYABLE)
    compare("amount_total", document.amount_total, document.audit_lines_total)
    stored_taxes = sum((Decimal(amount) for amount in document.tax_amounts.values()), ZERO)
    compare("tax per rate (Σ)", stored_taxes, document.amount_tax)
    compare("net_paid", document.net_paid, document.audit_net_paid)
    compare("allocated", document.allocated, allocated)
    if posted:
        debt_total = expected.get("debt_total", document.amount_total)
        compare("debt_total", document.debt_total, debt_total)
        balance = round_money(debt_total - document.audit_net_paid - allocated, document.currency)
        compare("balance_due", document.balance_due, balance)
        compare("status", document.status, Status.PAID if balance == 0 else Status.TO_PAY)
    else:
        compare("balance_due", document.balance_due, ZERO)
        if document.audit_as_receivable or document.audit_as_payable:
            compare(f"allocations in force on a {document.get_status_display().lower()} document", allocated, ZERO)
        if document.status == Status.CANCELED:
            compare("net_paid on a canceled document", document.audit_net_paid, ZERO)
    return differences


def balance_audit(*, chunk_size=2000):
    """Recompute every document's figures from first principles and list what differs from the stored ones.

    The core knows the totals (sum of the lines), net paid (payments − refunds, reversed ones left out), what
    the allocations in force move (each signed by the side the document stood on) and, by default, that debt
    total is the document's own total; the extensions' `expected_balances` (corrections) state the debt total
    of the documents they concern. The balance due (debt total − net paid − allocated on posted documents,
    0 otherwise) and the status it implies
    (Paid iff posted with balance 0) follow. Documents are read in chunks: one query per chunk plus the
    providers' own, whatever the number of payments and lines.
    """
    differences, after_pk = [], 0
    while True:
        documents = _audit_rows(after_pk, chunk_size)
        if not documents:
            return differences
        expected = {document.pk: {} for document in documents}
        for extension in registry.extensions():
            for pk, figures in extension.expected_balances(documents).items():
                if pk in expected:
                    expected[pk].update(figures)
        for document in documents:
            differences.extend(_document_differences(document, expected[document.pk]))
        after_pk = documents[-1].pk


def draft_line_data(*, document):
    """A document's lines as `document_draft_save` takes them (with their ids: kept lines), to edit and save
    back. Two queries."""
    lines = DocumentLine.objects.filter(document=document).prefetch_related("taxes").order_by("position", "pk")
    return [
        {
            "id": line.pk,
            "position": line.position,
            "item": line.item_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "taxes": [tax.pk for tax in line.taxes.all()],
            "source_line": line.source_line_id,
            "replaces": line.replaces_id,
        }
        for line in lines
    ]


def line_initial(*, lines):
    """Loaded lines as the draft editor's initial values (numbers written as a person types them)."""
    return [
        {
            "id": line.pk,
            "position": line.position,
            "item": line.item_id,
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unit_price": f"{line.unit_price:f}",
            "discount": f"{line.discount.normalize():f}",
            "taxes": [tax.pk for tax in line.taxes.all()],
        }
        for line in lines
    ]


def _has_payments(document):
    """Payments not reversed: from the list's `payment_count`, the card's loaded payments, or one query."""
    count = getattr(document, "payment_count", None)
    if count is not None:
        return bool(count)
    loaded = getattr(document, "_prefetched_objects_cache", {}).get("payments")
    if loaded is not None:
        return any(not payment.is_reversed for payment in loaded)
    return document.payments.filter(reversed_at__isnull=True).exists()


def status_words(*, document, has_payments=None):
    """What a document's status says (SPEC 4 "Paid and settled"): "Paid" only when money moved; a
    document settled without payment is "Settled by credit", a correction "Settled against <original>"."""
    if document.status != Status.PAID:
        return document.get_status_display()
    if has_payments is None:
        has_payments = _has_payments(document)
    if has_payments:
        return document.get_status_display()
    if document.original_id:
        return f"Settled against {document.original.display_number}"
    return "Settled by credit"


@dataclass(frozen=True)
class SummaryLine:
    """One line of a document's money summary: `amount` in the document currency, or `text` (how it was settled)."""

    key: str
    label: str
    amount: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class MoneySummary:
    currency: str
    lines: tuple
    words: str

    def line(self, key):
        return next((line for line in self.lines if line.key == key), None)

    @property
    def balance(self):
        """The balance line: "Balance due" or "Open credit" (as a positive amount)."""
        return self.line("open_credit") or self.line("balance_due")


def balance_line(*, document):
    """The money summary's balance line ("Balance due", or "Open credit" as a positive amount) on its own, for a
    list row: None on drafts, canceled documents and corrections (their balance is their original's)."""
    if not document.is_posted or document.original_id:
        return None
    if document.balance_due < 0:
        return SummaryLine("open_credit", "Open credit", -document.balance_due)
    return SummaryLine("balance_due", "Balance due", document.balance_due)


def money_summary(*, document, payments=None):
    """Where a document's money stands, one line each (ARCHITECTURE "Presentation"): its total (the effective
    total when corrected), what was paid, what was credited or allocated, the balance due or open credit and
    how it was settled. No query: `payments` (the card's, already loaded) only decide "Paid" vs "Settled"."""
    has_payments = None if payments is None else any(not p.is_reversed for p in payments)
    words = status_words(document=document, has_payments=has_payments)
    corrected = document.is_posted and not document.original_id and document.debt_total != document.amount_total
    lines = [SummaryLine("total", "Effective total" if corrected else "Total",
                         document.debt_total if corrected else document.amount_total)]  # fmt: skip
    if document.is_posted and document.original_id:
        lines.append(SummaryLine("settled", "Settled", text=words))
        return MoneySummary(document.currency, tuple(lines), words)
    if document.is_posted:
        if document.net_paid or has_payments:
            paid = "Refunded to customer" if document.is_return and document.kind == Kind.BILL else (
                "Refunded by supplier" if document.is_return else "Paid")  # fmt: skip
            lines.append(SummaryLine("paid", paid, document.net_paid))
        if document.allocated:
            lines.append(SummaryLine("credited", "Credited / allocated", document.allocated))
        lines.append(balance_line(document=document))
    if document.status == Status.PAID:
        lines.append(SummaryLine("settled", "Settled", text=words))
    return MoneySummary(document.currency, tuple(lines), words)


# ----------------------------------------------------------------------------- partner statement (SPEC 8)
@dataclass(frozen=True)
class StatementRow:
    """One movement of a partner statement. `amount` moves the balance (receivable − payable: positive when
    the partner owes us more); an allocation moves none and shows what it settled in `allocated`."""

    date: date
    what: str
    description: str
    document: Document | None
    amount: Decimal
    balance: Decimal
    allocated: Decimal | None = None
    reference: str = ""


@dataclass(frozen=True)
class PartnerStatement:
    partner: object
    company: object
    currency: str
    date_from: date | None
    date_to: date | None
    opening: Decimal
    rows: list
    closing: Decimal


_ROW_ORDER = {"document": 0, "correction": 1, "payment": 2, "reversal": 3, "allocation": 4, "removal": 5}


def _signed(condition, positive, negative):
    return Case(When(condition, then=positive), default=negative, output_field=_AMOUNT)


def _in_period(field, date_from, date_to):
    q = Q()
    if date_from:
        q &= Q(**{f"{field}__gte": date_from})
    if date_to:
        q &= Q(**{f"{field}__lte": date_to})
    return q


def _before(field, date_from):
    return Q(**{f"{field}__lt": date_from}) if date_from else Q(pk__in=[])


def partner_statement(*, partner, company, currency, date_from=None, date_to=None):
    """Opening balance, every movement in date order with a running balance, and the closing balance of one
    partner in one company and currency (SPEC 8), in five queries whatever the number of documents.

    The balance is the partner's net as in Partner balances: receivable − payable over posted documents.
    Movements: each posted document's total (a correction chain adds one row, dated at its latest posted
    correction, for what its corrections changed), each payment and refund, each reversal of one, and each
    allocation and its removal (which move nothing: they settle one document against another)."""
    invoice = Q(kind=Kind.INVOICE)
    documents = Document.objects.filter(
        partner=partner, company=company, currency=currency, status__in=POSTED_STATUSES, original__isnull=True
    ).annotate(
        corrected_on=Subquery(
            Document.objects.filter(original=OuterRef("pk"), status__in=POSTED_STATUSES)
            .order_by("-date", "-pk")
            .values("date")[:1]
        )
    )
    signed_total = _signed(invoice, F("amount_total"), -F("amount_total"))
    signed_change = _signed(invoice, F("debt_total") - F("amount_total"), F("amount_total") - F("debt_total"))
    opening_documents = documents.aggregate(
        totals=exact_sum(Case(When(_before("date", date_from), then=signed_total), default=Value(ZERO))),
        changes=exact_sum(Case(When(_before("corrected_on", date_from), then=signed_change), default=Value(ZERO))),
    )

    payments = Payment.objects.filter(
        document__partner=partner,
        document__company=company,
        document__currency=currency,
        document__status__in=POSTED_STATUSES,
    )
    # A payment on an invoice lowers what the partner owes; on a bill it lowers what we owe (raises the net).
    lowers = Q(document__kind=Kind.INVOICE, kind=PaymentKind.PAYMENT) | Q(
        document__kind=Kind.BILL, kind=PaymentKind.REFUND
    )
    payment_effect = _signed(lowers, -F("amount"), F("amount"))
    opening_payments = payments.aggregate(
        paid=exact_sum(Case(When(_before("date", date_from), then=payment_effect), default=Value(ZERO))),
        reversed=exact_sum(
            Case(When(_before("reversed_at__date", date_from), then=-payment_effect), default=Value(ZERO))
        ),
    )
    opening = round_money(
        opening_documents["totals"]
        + opening_documents["changes"]
        + opening_payments["paid"]
        + opening_payments["reversed"],
        currency,
    )

    events = []  # (date, order, pk, what, description, document, amount, allocated, reference)
    period_documents = documents.filter(
        _in_period("date", date_from, date_to) | _in_period("corrected_on", date_from, date_to)
    ).select_related("type")
    sign = {Kind.INVOICE: 1, Kind.BILL: -1}
    for document in period_documents:
        if _within(document.date, date_from, date_to):
            events.append((document.date, "document", document.pk, document.type_label, str(document), document,
                           sign[document.kind] * document.amount_total, None, ""))  # fmt: skip
        change = document.debt_total - document.amount_total
        if change and document.corrected_on and _within(document.corrected_on, date_from, date_to):
            events.append((document.corrected_on, "correction", document.pk, "Corrections",
                           f"Corrections of {document}: effective total {document.debt_total}", document,
                           sign[document.kind] * change, None, ""))  # fmt: skip
    period_payments = payments.filter(
        _in_period("date", date_from, date_to) | _in_period("reversed_at__date", date_from, date_to)
    ).select_related("document__type", "method")
    for payment in period_payments:
        document = payment.document
        lowers_net = (document.kind == Kind.INVOICE) == (payment.kind == PaymentKind.PAYMENT)
        effect = -payment.amount if lowers_net else payment.amount
        label = f"{payment.label} ({payment.method})"
        if _within(payment.date, date_from, date_to):
            events.append((payment.date, "payment", payment.pk, label, f"{label} on {document}", document, effect,
                           None, payment.reference))  # fmt: skip
        if payment.is_reversed:
            day = timezone.localdate(payment.reversed_at)
            if _within(day, date_from, date_to):
                events.append((day, "reversal", payment.pk, f"{payment.label} reversed",
                               f"{label} on {document} reversed: {payment.reversal_reason}", document, -effect, None,
                               payment.reference))  # fmt: skip
    allocations = Allocation.objects.filter(
        receivable__partner=partner,
        receivable__company=company,
        currency=currency,
        receivable__status__in=POSTED_STATUSES,
        payable__status__in=POSTED_STATUSES,
    ).select_related("receivable__type", "payable__type")
    start = _start_of(date_from)
    end = _start_of(date_to + timedelta(days=1)) if date_to else None
    moments = Q()
    for field in ("created_at", "reversed_at"):
        moment = Q(**{f"{field}__isnull": False})
        if start:
            moment &= Q(**{f"{field}__gte": start})
        if end:
            moment &= Q(**{f"{field}__lt": end})
        moments |= moment
    for allocation in allocations.filter(moments):
        pair = f"{allocation.receivable} settled against {allocation.payable}"
        what = "Automatic allocation (return)" if allocation.is_automatic else "Allocation"
        day = timezone.localdate(allocation.created_at)
        if _within(day, date_from, date_to):
            events.append((day, "allocation", allocation.pk, what, pair, allocation.receivable, ZERO,
                           allocation.amount, ""))  # fmt: skip
        if allocation.is_reversed:
            day = timezone.localdate(allocation.reversed_at)
            if _within(day, date_from, date_to):
                events.append((day, "removal", allocation.pk, f"{what} removed", pair, allocation.receivable, ZERO,
                               -allocation.amount, ""))  # fmt: skip
    events.sort(key=lambda e: (e[0], _ROW_ORDER[e[1]], e[2]))
    rows, balance = [], opening
    for day, _kind, _pk, what, description, document, amount, allocated, reference in events:
        balance += amount
        rows.append(StatementRow(day, what, description, document, amount, balance, allocated, reference))
    return PartnerStatement(partner, company, currency, date_from, date_to, opening, rows, balance)


def _within(day, date_from, date_to):
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def _start_of(day):
    """The first moment of a day in the current time zone (allocations are timed, statements are dated)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
