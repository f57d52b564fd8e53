"""Reads of the returns app: returned quantities, the returns of a document, the source of a return.

A return is a document whose type has the Return flag and whose lines reference the sold lines
they give back (`DocumentLine.source_line`). Corrections of a return (`original` set) are left to
the corrections app: only the returns themselves count here.
"""

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from invoicing.aggregates import exact_field, exact_sum
from invoicing.amounts import QUANTITY_PLACES as QUANTITY
from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES, Allocation, Document, DocumentLine, Status
from invoicing.selectors import with_payment_count


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
    """Decimal: how much of a sold line has been given back by posted, non-canceled returns, counted over
    the line's whole correction chain (SPEC 7 "One returned quantity")."""
    return returned_quantities(line_ids=[line.pk]).get(line.pk, ZERO)


def returned_quantities(*, line_ids, exclude_document=None, chain=None):
    """{sold line id: returned quantity} for many lines (lines never returned are absent), counted over
    their whole correction chains: goods returned from an invoice cannot be returned again from its
    correction, and every state of the chain shows the same figure (SPEC 7 "One returned quantity").

    A replacement correction's line names the line of the previous state it replaces (`replaces`), so
    following the links back gives the line of the original the goods were first sold on: lines with the
    same root are the same goods. One query reads every line of the chains with what posted returns gave
    back of it (summed exactly in SQL); one more finds the chains when the caller does not pass `chain`,
    the id of the original all these lines belong to."""
    line_ids = list(line_ids)
    if chain is not None:
        chains = {chain}
    else:
        documents = DocumentLine.objects.filter(pk__in=line_ids).values_list("document_id", "document__original_id")
        chains = {original or document for document, original in documents}
    given_back = _counted_return_lines().filter(source_line=OuterRef("pk"))
    if exclude_document is not None and exclude_document.pk:
        given_back = given_back.exclude(document_id=exclude_document.pk)
    given_back = given_back.order_by().values("source_line").annotate(total=exact_sum("quantity", QUANTITY))
    rows = (
        DocumentLine.objects.filter(Q(document_id__in=chains) | Q(document__original_id__in=chains))
        .annotate(given_back=Subquery(given_back.values("total"), output_field=exact_field(QUANTITY)))
        .values_list("pk", "replaces_id", "given_back")
    )
    links, by_line = {}, {}
    for pk, replaces, total in rows:
        links[pk] = replaces
        if total:
            by_line[pk] = total

    def root(pk):
        seen = set()
        while links.get(pk) and pk not in seen:
            seen.add(pk)
            pk = links[pk]
        return pk

    by_root = {}
    for pk, total in by_line.items():
        by_root[root(pk)] = by_root.get(root(pk), ZERO) + total
    return {pk: by_root[root(pk)] for pk in line_ids if root(pk) in by_root}


def chain_root_ids(*, line_ids):
    """The originals of the chains these sold lines belong to (locked while a return is posted)."""
    documents = DocumentLine.objects.filter(pk__in=list(line_ids)).values_list("document_id", "document__original_id")
    return sorted({original or document for document, original in documents})


def line_return_rows(*, lines, chain=None, none=False):
    """{line id: (sold, returned, remaining)} of a source document's lines, counted over its whole chain
    (`chain`: the id of its original, when known); `none` when the caller knows nothing was given back."""
    returned = {} if none else returned_quantities(line_ids=[line.pk for line in lines], chain=chain)
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


def returns_exist():
    """Whether returns were made from a document or its corrections, correlated on OuterRef("pk") (the card's
    `card_exists`): lines whose source line is on one of them."""
    document = OuterRef(OuterRef("pk"))
    sources = Document.objects.filter(Q(pk=document) | Q(original_id=document)).values("pk")
    return Exists(DocumentLine.objects.filter(source_line__document_id__in=sources))


def document_returns(*, document):
    """The return documents (every status) made from a document or from its corrections, oldest first."""
    ids = (
        Document.objects.filter(_returns_of(document), type__is_return=True, original__isnull=True)
        .order_by()
        .values("pk")
    )
    return list(
        with_payment_count(Document.objects.filter(pk__in=ids))
        .select_related("type")
        .annotate(credit=Coalesce(Subquery(_credit_to_source()), ZERO, output_field=exact_field()))
        .order_by("date", "pk")
    )


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
        .annotate(total=exact_sum("quantity", QUANTITY))
        .values("total")
    )
    return list(
        DocumentLine.objects.filter(document=document)
        .select_related("item", "source_line__item", "source_line__document__type")
        .annotate(source_returned=Coalesce(Subquery(returned), ZERO, output_field=exact_field(QUANTITY)))
        .order_by("position", "pk")
    )


def _credit_to_source():
    """Σ of a return's automatic allocations in force: the credit it applies to its source."""
    return (
        Allocation.objects.in_force()
        .filter(is_automatic=True)
        .filter(Q(receivable=OuterRef("pk")) | Q(payable=OuterRef("pk")))
        .order_by()
        .values("is_automatic")  # one group: every row here is automatic
        .annotate(total=exact_sum("amount"))
        .values("total")
    )
