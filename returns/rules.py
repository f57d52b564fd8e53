"""The rules of return documents, asked by the core through `invoicing.registry`.

Each function returns a message a user can act on, or None. They cost no query on documents that
are not returns, so ordinary bills and invoices keep their query budget.
"""

from collections import defaultdict
from decimal import Decimal

from django.db import connection

from invoicing.amounts import ZERO, net_unit_price, round_money
from invoicing.models import POSTED_STATUSES, Document, DocumentLine, Kind, Status
from returns import selectors


def qty(value):
    """3.000 → "3", 2.500 → "2.5": quantities as a person writes them."""
    return f"{Decimal(value).normalize():f}"


def line_name(line):
    return f"Line {line.position} “{line.label}”"


def source_name(document):
    return f"{document.type_label.lower()} {document.display_number}"


def a(word):
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _expected_source_kind(document):
    # A credit note (a bill) gives back invoice lines; a refund (an invoice) gives back bill lines.
    return Kind.INVOICE if document.kind == Kind.BILL else Kind.BILL


def _line_error(document, line):
    name = line_name(line)
    source_kind = _expected_source_kind(document)
    if line.source_line_id is None:
        return (
            f"{name} returns nothing sold: every line of {a(document.type_label.lower())} comes from "
            f"{a(Kind(source_kind).label.lower())} line. Delete it, or use the Return button on the "
            f"{Kind(source_kind).label.lower()} to add what was returned."
        )
    source = line.source_line
    source_doc = source.document
    if source_doc.kind != source_kind or source_doc.type.is_return:
        return (
            f"{name}: its source line is on {source_name(source_doc)}; {a(document.type_label.lower())} "
            f"returns lines of {a(Kind(source_kind).label.lower())}."
        )
    if source_doc.partner_id != document.partner_id:
        role = "customer" if source_kind == Kind.INVOICE else "vendor"
        return (
            f"{name}: {source_name(source_doc)} is for “{source_doc.partner}”, not “{document.partner}”; "
            f"the {document.partner_label.lower()} of {a(document.type_label.lower())} is the {role} of its source."
        )
    if source.item_id != line.item_id:
        expected = f"“{source.item}”" if source.item_id else "no item"
        return f"{name}: the item must be the source line's ({expected} on {source_name(source_doc)})."
    if line.quantity <= 0:
        return f"{name}: the returned quantity must be greater than zero (it is {qty(line.quantity)})."
    # Goods come back at most at the price they were sold for (after its discount).
    sold_at = net_unit_price(source.unit_price, source.discount)
    if net_unit_price(line.unit_price, line.discount) > sold_at:
        return (
            f"{name}: the net unit price is above the {round_money(sold_at, document.currency)} it was sold for "
            f"on {source_name(source_doc)}."
        )
    return None


def _header_error(document, source_doc):
    if source_doc.partner_id != document.partner_id:
        role = "customer" if source_doc.kind == Kind.INVOICE else "vendor"
        return (
            f"The {document.partner_label.lower()} of {a(document.type_label.lower())} is the {role} of its source: "
            f"choose “{source_doc.partner}” ({source_name(source_doc)}), not “{document.partner}”."
        )
    if source_doc.company_id != document.company_id:
        return f"A return belongs to the company of its source: {source_name(source_doc)} is of “{source_doc.company}”."
    if source_doc.currency != document.currency:
        return f"A return is in the currency of its source: {source_name(source_doc)} is in {source_doc.currency}."
    return None


def _lock_source_lines(line_ids):
    """Row locks on the sold lines, and on the originals of their correction chains, until the
    transaction ends: concurrent posts of returns of the same goods (from an invoice or from its
    correction) queue here, and each sums the returned quantity only after the previous one committed."""
    if connection.in_atomic_block:
        roots = selectors.chain_root_ids(line_ids=line_ids)
        list(Document.objects.select_for_update().filter(pk__in=roots).order_by("pk").values_list("pk"))
        list(DocumentLine.objects.select_for_update().filter(pk__in=line_ids).order_by("pk").values_list("pk"))


def _quantity_error(document, lines, lock):
    checked = [line for line in lines if line.source_line.document.type.check_returned_quantity]
    if not checked:
        return None
    ids = sorted({line.source_line_id for line in checked})
    if lock:
        _lock_source_lines(ids)
    returned = selectors.returned_quantities(line_ids=ids, exclude_document=document)
    wanted = defaultdict(lambda: ZERO)
    for line in checked:
        wanted[line.source_line_id] += line.quantity
    for line in checked:
        source = line.source_line
        done = returned.get(source.pk, ZERO)
        remaining = max(source.quantity - done, ZERO)
        if wanted[source.pk] > remaining:
            return (
                f"{line_name(line)}: only {qty(remaining)} remaining to return of line {source.position} "
                f"“{source.label}” on {source_name(source.document)} ({qty(source.quantity)} sold, "
                f"{qty(done)} already returned), not {qty(wanted[source.pk])}."
            )
    return None


def return_error(document, *, lock=False):
    """The first thing wrong with a return's stored lines, or None. `lock` takes the source lines' row
    locks first (the posting path), so the returned-quantity check cannot race."""
    if not document.pk or not selectors.is_return_document(document) or document.status != Status.DRAFT:
        return None
    lines = list(
        DocumentLine.objects.filter(document=document)
        .select_related(
            "item",
            "source_line__item",
            "source_line__document__type",
            "source_line__document__partner",
            "source_line__document__company",
        )
        .order_by("position", "pk")
    )
    for line in lines:
        message = _line_error(document, line)
        if message:
            return message
    if not lines:
        return None
    sources = {line.source_line.document_id: line.source_line.document for line in lines}
    if len(sources) > 1:
        numbers = ", ".join(sorted(d.display_number for d in sources.values()))
        return (
            f"A return comes from one document; these lines come from {numbers}. Make one return per source document."
        )
    source_doc = next(iter(sources.values()))
    message = _header_error(document, source_doc)
    if message:
        return message
    if source_doc.status not in POSTED_STATUSES:
        return (
            f"{source_doc.type_label} {source_doc.display_number} is {source_doc.get_status_display()}; "
            "only lines of a To pay or Paid document can be returned."
        )
    return _quantity_error(document, lines, lock)


def clean_error(document):
    """On save, what the header decides: partner, company and currency must be the source's.

    The lines are checked when the return is posted. Saving checks only the header because the
    card saves the header before the lines: refusing it for its stored lines would keep the user
    from saving the very line edit that fixes them.
    """
    if not document.pk or not selectors.is_return_document(document) or document.status != Status.DRAFT:
        return None
    sources = Document.objects.filter(lines__return_lines__document=document).select_related("partner", "company")
    for source_doc in sources.distinct():
        message = _header_error(document, source_doc)
        if message:
            return message
    return None


def draft_lines_error(*, document, lines):
    """On save from the card, the lines as typed: each line's rules and the returned quantity left."""
    if not document.pk or not selectors.is_return_document(document) or document.status != Status.DRAFT:
        return None
    for line in lines:
        message = _line_error(document, line)
        if message:
            return message
    return _quantity_error(document, [line for line in lines if line.source_line_id], lock=False)


def returns_made(document, ctx):
    """The returns made from a document or its corrections (`selectors.document_returns`), read once per
    context: the card's guards, Lines tab and Returns tab share them."""
    if not ctx.may_have("returns", document):
        return []
    return ctx.remember(("returns.of", document.pk), lambda: selectors.document_returns(document=document))


def dependents_refusal(document, ctx=None):
    """A source with non-canceled returns cannot be reset to draft or canceled."""
    if not document.pk or not document.type_id or document.type.is_return:
        return None
    if ctx is not None and all(made.status == Status.CANCELED for made in returns_made(document, ctx)):
        return None  # its open returns are among these: none, so no query for them
    returns = selectors.open_returns(document=document)
    if not returns:
        return None
    names = ", ".join(source_name(r) for r in returns)
    return f"it has returns that are not canceled ({names}); cancel its returns first."
