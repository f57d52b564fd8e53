"""Reads of the returns app: returned quantities, the returns of a document, the source of a return.

A return is a document whose type has the Return flag and whose lines reference the sold lines
they give back (`DocumentLine.source_line`). Corrections of a return (`original` set) are left to
the corrections app: only the returns themselves count here.
"""

from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES, Document, DocumentLine, Status


def is_return_document(document):
    """A credit note or refund made by this app (not a correction of one)."""
    return bool(document.type_id and document.type.is_return and not document.original_id)


def _counted_return_lines():
    # Returned quantity = lines of posted (To pay or Paid) returns; drafts and canceled ones do not count.
    return DocumentLine.objects.filter(
        source_line__isnull=False,
        document__status__in=POSTED_STATUSES,
        document__type__is_return=True,
        document__original__isnull=True,
    )


def returned_quantity(*, line):
    """Decimal: how much of a sold line has been given back by posted, non-canceled returns."""
    total = _counted_return_lines().filter(source_line=line).aggregate(total=Sum("quantity"))["total"]
    return total or ZERO


def _chain_keys(line_ids):
    """{line id: (chain original id, document id, position, item id)} for sold lines: one query.

    A correction copies the lines of the state it corrects, in order, so a line of one state and the
    line at the same position with the same item in another state of the chain are the same goods.
    """
    rows = DocumentLine.objects.filter(pk__in=list(line_ids)).values_list(
        "pk", "document_id", "document__original_id", "position", "item_id"
    )
    return {pk: (original or document, document, position, item) for pk, document, original, position, item in rows}


def returned_quantities(*, line_ids, exclude_document=None):
    """{source line id: returned quantity} for many lines in two queries (lines never returned are absent).

    What was returned from any state of the line's correction chain counts too: goods returned from
    an invoice cannot be returned again from its correction.
    """
    keys = _chain_keys(line_ids)
    roots = {root for root, _, _, _ in keys.values()}
    rows = _counted_return_lines().filter(
        Q(source_line__document_id__in=roots) | Q(source_line__document__original_id__in=roots)
    )
    if exclude_document is not None and exclude_document.pk:
        rows = rows.exclude(document_id=exclude_document.pk)
    source = "source_line__document"
    rows = (
        rows.order_by()
        .values("source_line_id", f"{source}_id", f"{source}__original_id", "source_line__position",
                "source_line__item_id")
        .annotate(total=Sum("quantity"))
    )  # fmt: skip
    returned = {}
    for row in rows:
        row_root = row[f"{source}__original_id"] or row[f"{source}_id"]
        row_goods = (row_root, row["source_line__position"], row["source_line__item_id"])
        for line_id, (root, document, position, item) in keys.items():
            same_line = row["source_line_id"] == line_id
            other_state = row[f"{source}_id"] != document and row_goods == (root, position, item)
            if same_line or other_state:
                returned[line_id] = returned.get(line_id, ZERO) + row["total"]
    return returned


def chain_root_ids(*, line_ids):
    """The originals of the chains these sold lines belong to (locked while a return is posted)."""
    return sorted({root for root, _, _, _ in _chain_keys(line_ids).values()})


def line_return_rows(*, lines):
    """{line id: (sold, returned, remaining)} for the Lines tab of a source document, in one query."""
    returned = returned_quantities(line_ids=[line.pk for line in lines])
    rows = {}
    for line in lines:
        done = returned.get(line.pk, ZERO)
        rows[line.pk] = (line.quantity, done, max(line.quantity - done, ZERO))
    return rows


def _document_and_corrections(document):
    # A return made from a correction credits the correction's original, so the original lists it too.
    # A subquery on documents (each side indexed), not an OR across the joined lines, which would scan them.
    return Document.objects.filter(Q(pk=document.pk) | Q(original_id=document.pk)).values("pk")


def _returns_of(document):
    return Q(lines__source_line__document_id__in=_document_and_corrections(document))


def _returns_of_line(document):
    return Q(source_line__document_id__in=_document_and_corrections(document))


def document_returns(*, document):
    """The return documents (every status) made from a document or from its corrections, oldest first."""
    ids = (
        Document.objects.filter(_returns_of(document), type__is_return=True, original__isnull=True)
        .order_by()
        .values("pk")
    )
    return list(Document.objects.filter(pk__in=ids).select_related("type").order_by("date", "pk"))


def return_lines_of(*, document):
    """Every line of a return made from a document or its corrections, with its return document joined:
    what the card needs for both the Returns tab and the returned quantities, in one query."""
    return list(
        DocumentLine.objects.filter(_returns_of_line(document), document__type__is_return=True)
        .filter(document__original__isnull=True)
        .select_related("document__type")
        .order_by()
    )


def returns_summary(*, document, return_lines):
    """From `return_lines_of`: (return documents oldest first, {source line id: returned quantity})."""
    documents, returned = {}, {}
    for line in return_lines:
        documents[line.document_id] = line.document
        if line.document.status in POSTED_STATUSES:
            returned[line.source_line_id] = returned.get(line.source_line_id, ZERO) + line.quantity
    return sorted(documents.values(), key=lambda d: (d.date, d.pk)), returned


def open_returns(*, document):
    """Non-canceled returns made from this very document (they must be canceled before it can be)."""
    ids = (
        DocumentLine.objects.filter(source_line__document=document, document__type__is_return=True)
        .exclude(document__status=Status.CANCELED)
        .order_by()
        .values("document_id")
    )
    return list(Document.objects.filter(pk__in=ids).select_related("type").order_by("pk"))


def return_source(*, document):
    """The document a return gives goods back from (None when no line names a source)."""
    source_id = (
        DocumentLine.objects.filter(document=document, source_line__isnull=False)
        .order_by("position", "pk")
        .values_list("source_line__document_id", flat=True)
        .first()
    )
    if source_id is None:
        return None
    return Document.objects.select_related("type", "original").get(pk=source_id)


def return_lines_with_sources(*, document):
    """A return's lines with their source line and its document joined, and `source_returned` (what
    posted returns have given back of the source line so far) annotated: one query."""
    returned = (
        _counted_return_lines()
        .filter(source_line=OuterRef("source_line"))
        .order_by()
        .values("source_line")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return list(
        DocumentLine.objects.filter(document=document)
        .select_related("item", "source_line__item", "source_line__document__type")
        .annotate(source_returned=Coalesce(Subquery(returned), ZERO, output_field=DecimalField()))
        .order_by("position", "pk")
    )


def credit_received(*, document_ids):
    """{target id: Σ credit applied by its non-canceled returns}: what a source's `credit_applied` must be."""
    rows = (
        Document.objects.filter(type__is_return=True, original__isnull=True, status__in=POSTED_STATUSES)
        .filter(
            Q(lines__source_line__document__original_id__in=document_ids)
            | Q(lines__source_line__document__original__isnull=True, lines__source_line__document_id__in=document_ids)
        )
        .values("pk", "credit_applied", "lines__source_line__document_id", "lines__source_line__document__original_id")
        .distinct()
    )
    totals, seen = {}, set()
    for row in rows:
        if row["pk"] in seen:
            continue
        seen.add(row["pk"])
        target = row["lines__source_line__document__original_id"] or row["lines__source_line__document_id"]
        totals[target] = totals.get(target, ZERO) + row["credit_applied"]
    return totals
