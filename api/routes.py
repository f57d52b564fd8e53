"""Thin routes: check the role as the back office does, call the service or selector, shape the answer."""

from datetime import timedelta
from typing import Annotated

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Header, Path, Query, Status

from api import output, schemas
from api.api import api
from api.idempotency import run_once
from corrections import services as corrections
from einvoicing import services as einvoicing
from invoicing import selectors, services
from invoicing.models import (
    Allocation,
    Company,
    Document,
    DocumentType,
    Item,
    Partner,
    Payment,
    PaymentMethod,
    Tax,
)
from returns import selectors as returns_selectors
from returns import services as returns

P = schemas.Problem
ERRORS = {400: P, 401: P, 403: P, 404: P, 409: P}
WRITE_ERRORS = {**ERRORS, 422: P}
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique printable ASCII string; a repeat within 24 hours returns the first answer.",
    ),
]
DocumentId = Annotated[int, Path(ge=1, le=schemas.MAX_ID)]
INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."


# ----------------------------------------------------------------------------- helpers
def require(request, permission, what):
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"You do not have permission to {what}.")


def load(request, document_id):
    """The document (404 when absent), readable by the token's user (403 otherwise)."""
    document = get_object_or_404(selectors.document_list(), pk=document_id)
    require(request, f"invoicing.view_{document.kind}", f"view {document.kind}s")
    return document


def detail(document_id):
    document = get_object_or_404(selectors.document_list(), pk=document_id)
    corrections_qs = selectors.document_list(queryset=Document.objects.filter(original=document).order_by("pk"))
    return_ids = [row.pk for row in returns_selectors.document_returns(document=document)]
    returns_qs = selectors.document_list(queryset=Document.objects.filter(pk__in=return_ids).order_by("date", "pk"))
    return output.document_detail(
        document,
        lines=selectors.document_lines(document=document),
        payments=selectors.document_payments(document=document),
        corrections=list(corrections_qs),
        returns=list(returns_qs) if return_ids else [],
        allocations=list(Allocation.objects.touching(document)),
    )


def _header(data):
    """The header fields as `document_create` / `document_draft_save` take them (related rows resolved)."""
    found, missing = {}, {}
    for name, model in (("type", DocumentType), ("partner", Partner), ("company", Company)):
        found[name] = model.objects.filter(pk=getattr(data, name)).first()
        if found[name] is None:
            missing[name] = [INVALID_CHOICE]
    if missing:
        raise ValidationError(missing)
    header = {**found, "note": data.note, "vendor_reference": data.vendor_reference, "reason": data.reason}
    header["due_date"] = data.due_date
    for name in ("date", "currency"):
        if getattr(data, name) is not None:
            header[name] = getattr(data, name)
    return header


def _lines(data):
    return [line.model_dump() for line in data.lines]


# ----------------------------------------------------------------------------- documents
@api.get("/documents", response={200: schemas.DocumentPage, **ERRORS}, tags=["documents"])
def document_list(request, filters: Query[schemas.DocumentFilters]):
    """Bills and invoices with the back office's list filters, newest first, paginated."""
    kinds = [filters.kind] if filters.kind else ["bill", "invoice"]
    kinds = [kind for kind in kinds if request.user.has_perm(f"invoicing.view_{kind}")]
    if not kinds:
        raise PermissionDenied("You do not have permission to view these documents.")
    queryset = Document.objects.filter(kind__in=kinds)
    for name in ("status", "type", "company", "partner"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    if filters.date_from:
        queryset = queryset.filter(date__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(date__lte=filters.date_to)
    if filters.returns:
        queryset = queryset.filter(type__is_return=filters.returns == "only")
    for term in (filters.q or "").split():
        queryset = queryset.filter(
            Q(number__icontains=term) | Q(partner__name__icontains=term) | Q(vendor_reference__icontains=term)
        )
    queryset = selectors.document_list(queryset=queryset).order_by("-date", "-id")
    start = (filters.page - 1) * filters.page_size
    return schemas.DocumentPage(
        count=queryset.count(),
        page=filters.page,
        page_size=filters.page_size,
        results=[output.document_summary(row) for row in queryset[start : start + filters.page_size]],
    )


@api.get("/documents/{document_id}", response={200: schemas.DocumentDetail, **ERRORS}, tags=["documents"])
def document_read(request, document_id: DocumentId):
    """One document with its lines, payments, corrections, returns, allocations, balance and status words."""
    load(request, document_id)
    return detail(document_id)


@api.post("/documents", response={201: schemas.DocumentDetail, **WRITE_ERRORS}, tags=["documents"])
def document_create(request, data: schemas.DocumentCreate, idempotency_key: IdempotencyKey = None):
    """A new draft bill or invoice with its lines."""
    require(request, f"invoicing.add_{data.kind}", f"add {data.kind}s")

    def create():
        document = services.document_create(kind=data.kind, user=request.user, lines=_lines(data), **_header(data))
        return detail(document.pk)

    return run_once(request, idempotency_key, create)


@api.put("/documents/{document_id}", response={200: schemas.DocumentDetail, **ERRORS}, tags=["documents"])
def document_update(request, document_id: DocumentId, data: schemas.DocumentUpdate):
    """Replace a draft's header and lines. `version` is the one read; a stale version answers 409."""
    document = load(request, document_id)
    require(request, f"invoicing.change_{document.kind}", f"change {document.kind}s")
    services.document_draft_save(
        document=document, user=request.user, lines=_lines(data), version=data.version, **_header(data)
    )
    return detail(document_id)


@api.delete("/documents/{document_id}", response={204: None, **ERRORS}, tags=["documents"])
def document_delete(request, document_id: DocumentId):
    """Delete a draft that was never numbered."""
    document = load(request, document_id)
    require(request, f"invoicing.delete_{document.kind}", f"delete {document.kind}s")
    services.document_delete(document=document, user=request.user)
    return Status(204, None)


def _transition(request, document_id, name, service):
    document = load(request, document_id)
    permission = services.transition_meta(name).permission
    require(request, permission, f"{services._VERBS[name]} documents")
    service(document=document, user=request.user)
    return detail(document_id)


@api.post("/documents/{document_id}/post", response={200: schemas.DocumentDetail, **ERRORS}, tags=["lifecycle"])
def document_post(request, document_id: DocumentId):
    """Draft → To pay: numbered, lines frozen."""
    return _transition(request, document_id, "post", services.document_post)


@api.post("/documents/{document_id}/reset", response={200: schemas.DocumentDetail, **ERRORS}, tags=["lifecycle"])
def document_reset(request, document_id: DocumentId):
    """To pay → Draft, with the back office's guards."""
    return _transition(request, document_id, "reset_to_draft", services.document_reset_to_draft)


@api.post("/documents/{document_id}/cancel", response={200: schemas.DocumentDetail, **ERRORS}, tags=["lifecycle"])
def document_cancel(request, document_id: DocumentId):
    """→ Canceled, with the back office's guards."""
    return _transition(request, document_id, "cancel", services.document_cancel)


@api.post(
    "/documents/{document_id}/corrections", response={201: schemas.DocumentDetail, **WRITE_ERRORS}, tags=["documents"]
)
def correction_create(
    request, document_id: DocumentId, data: schemas.CorrectionIn, idempotency_key: IdempotencyKey = None
):
    """A new draft correction of a posted document (replacement, or reversal for bills)."""
    document = load(request, document_id)
    require(request, f"invoicing.add_{document.kind}", f"create corrections of {document.kind}s")

    def create():
        correction = corrections.correction_create(
            document=document, user=request.user, reversal=data.reversal, reason=data.reason
        )
        return detail(correction.pk)

    return run_once(request, idempotency_key, create)


@api.post(
    "/documents/{document_id}/returns", response={201: schemas.DocumentDetail, **WRITE_ERRORS}, tags=["documents"]
)
def return_create(request, document_id: DocumentId, data: schemas.ReturnIn, idempotency_key: IdempotencyKey = None):
    """A new draft credit note (from an invoice) or refund (from a bill) with what is still returnable."""
    document = load(request, document_id)
    require(request, returns.add_permission(document.kind), f"create {returns.return_label(document.kind)}s")

    def create():
        created = returns.return_create(document=document, user=request.user, reason=data.reason)
        return detail(created.pk)

    return run_once(request, idempotency_key, create)


# ----------------------------------------------------------------------------- payments
@api.post("/documents/{document_id}/payments", response={201: schemas.PaymentOut, **WRITE_ERRORS}, tags=["payments"])
def payment_create(request, document_id: DocumentId, data: schemas.PaymentIn, idempotency_key: IdempotencyKey = None):
    """Register a payment (settles the balance due) or a refund (settles open credit)."""
    document = load(request, document_id)
    require(request, "invoicing.add_payment", "register payments")

    def create():
        method = PaymentMethod.objects.filter(pk=data.method).first()
        if method is None:
            raise ValidationError({"method": [INVALID_CHOICE]})
        payment = services.payment_register(
            document=document,
            kind=data.kind,
            method=method,
            amount=data.amount,
            date=data.date,
            reference=data.reference,
            user=request.user,
        )
        return output.payment(Payment.objects.select_related("method").get(pk=payment.pk))

    return run_once(request, idempotency_key, create)


@api.post("/payments/{payment_id}/reverse", response={200: schemas.PaymentOut, **ERRORS}, tags=["payments"])
def payment_reverse(request, payment_id: Annotated[int, Path(ge=1, le=schemas.MAX_ID)], data: schemas.ReverseIn):
    """Reverse a payment or refund entered by mistake (it stays, marked reversed, with the reason)."""
    payment = get_object_or_404(Payment.objects.select_related("document"), pk=payment_id)
    require(request, f"invoicing.view_{payment.document.kind}", f"view {payment.document.kind}s")
    require(request, "invoicing.reverse_payment", "reverse payments")
    services.payment_reverse(payment=payment, user=request.user, reason=data.reason)
    return output.payment(Payment.objects.select_related("method").get(pk=payment_id))


# ----------------------------------------------------------------------------- allocations
@api.get(
    "/documents/{document_id}/counterparts", response={200: list[schemas.CounterpartOut], **ERRORS},
    tags=["allocations"],
)  # fmt: skip
def counterparts(request, document_id: DocumentId):
    """The partner's open documents on the other side, with the most that can be applied."""
    document = load(request, document_id)
    rows = selectors.document_open_counterparts(document=document)
    ids = [row.document.pk for row in rows]
    full = selectors.document_list(queryset=Document.objects.filter(pk__in=ids)).in_bulk(ids) if ids else {}
    return [
        schemas.CounterpartOut(
            document=output.document_summary(full[row.document.pk]),
            open_amount=output.money(row.open_amount),
            most=output.money(row.most),
            is_set_off=row.is_set_off,
        )
        for row in rows
    ]


@api.post(
    "/documents/{document_id}/allocations", response={201: schemas.AllocationOut, **WRITE_ERRORS},
    tags=["allocations"],
)  # fmt: skip
def allocation_create(
    request, document_id: DocumentId, data: schemas.AllocationIn, idempotency_key: IdempotencyKey = None
):
    """Settle an amount of this document against a counterpart of the same partner, company and currency."""
    document = load(request, document_id)
    require(request, "invoicing.add_allocation", "allocate credit between documents")

    def create():
        counterpart = Document.objects.filter(pk=data.counterpart).first()
        if counterpart is None or not request.user.has_perm(f"invoicing.view_{counterpart.kind}"):
            raise ValidationError({"counterpart": [INVALID_CHOICE]})
        allocation = services.allocation_create(
            document=document, counterpart=counterpart, amount=data.amount, user=request.user
        )
        return output.allocation(allocation)

    return run_once(request, idempotency_key, create)


@api.delete(
    "/allocations/{allocation_id}", response={200: schemas.AllocationOut, **ERRORS}, tags=["allocations"]
)  # fmt: skip
def allocation_remove(request, allocation_id: Annotated[int, Path(ge=1, le=schemas.MAX_ID)]):
    """Remove an allocation: it is reversed (the row stays); both balances come back."""
    allocation = get_object_or_404(Allocation, pk=allocation_id)
    require(request, "invoicing.view_allocation", "view allocations")
    require(request, "invoicing.add_allocation", "remove allocations")
    return output.allocation(services.allocation_reverse(allocation=allocation, user=request.user))


# ----------------------------------------------------------------------------- downloads
def _file(content_type):
    return {"responses": {200: {"description": "The file", "content": {content_type: {"schema": {"type": "string"}}}}}}


@api.get(
    "/documents/{document_id}/pdf", response={200: None, **ERRORS}, tags=["downloads"],
    openapi_extra=_file("application/pdf"),
)  # fmt: skip
def document_pdf(request, document_id: DocumentId):
    """The PDF (Factur-X PDF/A-3 for posted documents we issue)."""
    document = load(request, document_id)
    return _download(
        einvoicing.document_pdf(document=document), "application/pdf", einvoicing.file_name(document, "pdf")
    )


@api.get(
    "/documents/{document_id}/ubl", response={200: None, **ERRORS}, tags=["downloads"],
    openapi_extra=_file("application/xml"),
)  # fmt: skip
def document_ubl(request, document_id: DocumentId):
    """The Peppol BIS Billing 3.0 UBL; 400 naming what to fill in when data Peppol needs is missing."""
    document = load(request, document_id)
    return _download(
        einvoicing.document_ubl(document=document), "application/xml", einvoicing.file_name(document, "xml")
    )


def _download(body, content_type, name):
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ----------------------------------------------------------------------------- reports
def _currency(value):
    """A currency the back office offers (settings.CURRENCIES), as the reports' filter form checks it."""
    if value and value not in settings.CURRENCIES:
        raise ValidationError({"currency": [f"Select a valid choice. {value} is not one of the available choices."]})
    return value or None


def _report_filters(request, filters):
    require(request, "invoicing.view_document", "view reports")
    found = {"currency": _currency(filters.currency)}
    for name, model in (("company", Company), ("partner", Partner)):
        value = getattr(filters, name)
        found[name] = model.objects.filter(pk=value).first() if value else None
        if value and found[name] is None:
            raise ValidationError({name: [INVALID_CHOICE]})
    return found


@api.get("/reports/partner-balances", response={200: schemas.PartnerBalances, **ERRORS}, tags=["reports"])
def partner_balances(request, filters: Query[schemas.ReportFilters]):
    """Open balances per partner, company and currency, with totals per currency."""
    rows, totals = selectors.partner_balance_report(**_report_filters(request, filters))
    return output.balances(rows, totals)


MAX_PERIOD = timedelta(days=731)


@api.get("/reports/payment-calendar", response={200: list[schemas.CurrencyCalendar], **ERRORS}, tags=["reports"])
def payment_calendar(request, filters: Query[schemas.CalendarFilters]):
    """Open balances by due date, per currency: Overdue, one bucket per week or day, Later."""
    found = _report_filters(request, filters)
    today = timezone.localdate()
    start = filters.date_from or today
    date_to = filters.date_to or today + timedelta(weeks=12)
    if date_to - max(start, today) > MAX_PERIOD:
        raise ValidationError({"date_to": ["Choose a period of at most two years; later balances show under “Later”."]})
    calendars = selectors.payment_calendar(
        **found, date_from=filters.date_from, date_to=date_to, bucket=filters.bucket, today=today
    )
    return output.calendar(calendars)


@api.get("/reports/partner-statement", response={200: schemas.Statement, **ERRORS}, tags=["reports"])
def partner_statement(request, filters: Query[schemas.StatementFilters]):
    """Opening balance, every movement with a running balance, closing balance."""
    require(request, "invoicing.view_document", "view reports")
    partner = get_object_or_404(Partner, pk=filters.partner)
    company = get_object_or_404(Company, pk=filters.company)
    if _currency(filters.currency) is None:
        raise ValidationError({"currency": ["This field is required."]})
    statement = selectors.partner_statement(
        partner=partner,
        company=company,
        currency=filters.currency,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    return output.statement(statement)


# ----------------------------------------------------------------------------- master data (the ids to send)
def _master(path, model, name, detail=lambda row: ""):
    @api.get(path, response={200: list[schemas.MasterRow], **ERRORS}, tags=["master data"], operation_id=name)
    def route(request):
        require(request, f"invoicing.view_{model._meta.model_name}", f"view {model._meta.verbose_name_plural}")
        return [schemas.MasterRow(id=row.pk, name=str(row), detail=detail(row)) for row in model.objects.all()]

    route.__doc__ = f"Every {model._meta.verbose_name} with its id."


_master("/companies", Company, "company_list", lambda row: row.currency)
_master("/partners", Partner, "partner_list")
_master("/document-types", DocumentType, "document_type_list", lambda row: row.kind)
_master("/taxes", Tax, "tax_list", lambda row: f"{row.rate:f}")
_master("/items", Item, "item_list", lambda row: row.sku)
_master("/payment-methods", PaymentMethod, "payment_method_list", lambda row: "active" if row.is_active else "")
