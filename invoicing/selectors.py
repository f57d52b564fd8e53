"""Every non-trivial read of the core; each owns its joins and aggregates so no page runs N+1."""

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from djmoney.money import Money

from invoicing.models import Document, DocumentLine, DocumentTransition, Payment


def document_balance_due(*, document):
    """Money; negative means open credit."""
    return Money(document.balance_due, document.currency)


def document_list(*, queryset=None):
    """Documents with what a list row shows, joined or annotated: no query per row."""
    queryset = Document.objects.all() if queryset is None else queryset
    payments = (
        Payment.objects.filter(document=OuterRef("pk"))
        .order_by()
        .values("document")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("type", "partner", "company").annotate(payment_count=Coalesce(Subquery(payments), 0))


def document_lines(*, document):
    return list(DocumentLine.objects.filter(document=document).select_related("item").prefetch_related("taxes"))


def document_payments(*, document):
    return list(Payment.objects.filter(document=document).select_related("method", "created_by", "document__type"))


def document_history(*, document):
    return list(DocumentTransition.objects.filter(document=document).select_related("user"))


def document_with_lines(*, pk):
    lines = DocumentLine.objects.select_related("item").prefetch_related("taxes")
    return (
        Document.objects.select_related("type", "partner", "company", "original", "created_by")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get(pk=pk)
    )
