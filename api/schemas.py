"""What goes in and out of the API. Amounts are strings (exact decimals); the services parse them."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

MAX_ID = 2**63 - 1


def _no_nul(value):
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def _day_in_range(value):
    if not date(1900, 1, 1) <= value <= date(2999, 12, 31):
        raise ValueError("Enter a date between 1900-01-01 and 2999-12-31.")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(_day_in_range)]


def Text(max_length):  # noqa: N802 - a type, named like one
    return Annotated[str, Field(max_length=max_length), AfterValidator(_no_nul)]


Amount = Annotated[
    str, Field(max_length=40, description='An exact decimal as a string, e.g. "24.00".'), AfterValidator(_no_nul)
]
Kind = Literal["bill", "invoice"]
Status = Literal["draft", "to_pay", "paid", "canceled"]


# ----------------------------------------------------------------------------- errors
class Problem(Schema):
    """RFC 9457 problem details; `errors` maps a field (e.g. "partner", "lines.0.quantity", "__all__") to
    its messages."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


# ----------------------------------------------------------------------------- documents
class Ref(Schema):
    id: int
    name: str


class LineIn(Schema):
    id: Id | None = Field(None, description="A stored line of this draft to keep; leave out for a new line.")
    position: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    item: Id | None = None
    description: Text(300) = ""
    quantity: Amount = "1"
    unit_price: Amount = "0"
    discount: Amount = Field("0", max_length=40, description="A percentage from 0 to 100.")
    taxes: list[Id] = Field(default_factory=list, max_length=50)
    source_line: Id | None = Field(None, description="On a return: the returned line of the source document.")
    replaces: Id | None = None


class DocumentHeader(Schema):
    type: Id
    partner: Id
    company: Id
    date: Day | None = None
    due_date: Day | None = None
    currency: Text(3) | None = Field(None, description="Defaults to the company's currency.")
    note: Text(5000) = ""
    vendor_reference: Text(100) = ""
    reason: Text(2000) = ""
    lines: list[LineIn] = Field(default_factory=list, max_length=2000)


class DocumentCreate(DocumentHeader):
    kind: Kind


class DocumentUpdate(DocumentHeader):
    version: Annotated[int, Field(ge=0, le=2**31 - 1)] = Field(
        ..., description="The `version` the document was read at; a stale one answers 409."
    )


class LineOut(Schema):
    id: int
    position: int
    item: int | None
    description: str
    quantity: str
    unit_price: str
    discount: str
    taxes: list[int]
    source_line: int | None
    replaces: int | None
    amount_untaxed: str
    amount_tax: str
    amount_total: str


class DocumentSummary(Schema):
    id: int
    kind: Kind
    number: str
    type: Ref
    is_return: bool
    company: Ref
    partner: Ref
    date: date
    due_date: date | None
    currency: str
    status: Status
    status_words: str
    original: int | None
    is_reversal: bool
    amount_untaxed: str
    amount_tax: str
    amount_total: str
    balance_due: str
    version: int


class PaymentOut(Schema):
    id: int
    document: int
    kind: Literal["payment", "refund"]
    method: Ref
    amount: str
    currency: str
    date: date
    reference: str
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str


class AllocationOut(Schema):
    id: int
    receivable: int
    payable: int
    amount: str
    currency: str
    is_automatic: bool
    created_at: datetime
    reversed_at: datetime | None


class DocumentDetail(DocumentSummary):
    vendor_reference: str
    note: str
    reason: str
    debt_total: str
    net_paid: str
    allocated: str
    lines: list[LineOut]
    payments: list[PaymentOut]
    corrections: list[DocumentSummary]
    returns: list[DocumentSummary]
    allocations: list[AllocationOut]


class DocumentPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[DocumentSummary]


class DocumentFilters(Schema):
    kind: Kind | None = None
    status: Status | None = None
    type: Id | None = None
    company: Id | None = None
    partner: Id | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    returns: Literal["only", "none"] | None = Field(None, description="Return documents only, or none of them.")
    q: Text(200) | None = Field(None, description="Search the number, the partner's name and the vendor reference.")
    page: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 50


# ----------------------------------------------------------------------------- actions
class CorrectionIn(Schema):
    reversal: bool = Field(False, description="Bills only: a reversal correction instead of a replacement.")
    reason: Text(2000) = ""


class ReturnIn(Schema):
    reason: Text(2000) = ""


class PaymentIn(Schema):
    kind: Literal["payment", "refund"] = "payment"
    method: Id
    amount: Amount
    date: Day | None = None
    reference: Text(100) = ""


class ReverseIn(Schema):
    reason: Text(300)


class AllocationIn(Schema):
    counterpart: Id
    amount: Amount


class CounterpartOut(Schema):
    document: DocumentSummary
    open_amount: str
    most: str
    is_set_off: bool


# ----------------------------------------------------------------------------- reports
class ReportFilters(Schema):
    company: Id | None = None
    partner: Id | None = None
    currency: Text(3) | None = None


class BalanceRow(Schema):
    partner_id: int
    partner_name: str
    company_id: int
    company_name: str
    currency: str
    receivable: str
    payable: str
    net: str
    overdue_receivable: str
    overdue_payable: str


class BalanceTotal(Schema):
    currency: str
    receivable: str
    payable: str
    net: str
    overdue_receivable: str
    overdue_payable: str


class PartnerBalances(Schema):
    rows: list[BalanceRow]
    totals: list[BalanceTotal]


class CalendarFilters(ReportFilters):
    date_from: Day | None = None
    date_to: Day | None = Field(None, description="At most two years after date_from (or today).")
    bucket: Literal["week", "day"] = "week"


class Bucket(Schema):
    label: str
    start: date | None
    end: date | None
    incoming: str
    outgoing: str
    net: str
    cumulative: str
    is_overdue: bool


class CurrencyCalendar(Schema):
    currency: str
    incoming: str
    outgoing: str
    net: str
    buckets: list[Bucket]


class StatementFilters(Schema):
    partner: Id
    company: Id
    currency: Text(3)
    date_from: Day | None = None
    date_to: Day | None = None


class StatementRow(Schema):
    date: date
    what: str
    description: str
    document: int | None
    amount: str
    balance: str
    allocated: str | None
    reference: str


class Statement(Schema):
    partner: Ref
    company: Ref
    currency: str
    date_from: date | None
    date_to: date | None
    opening: str
    closing: str
    rows: list[StatementRow]


class MasterRow(Schema):
    id: int
    name: str
    detail: str = ""
