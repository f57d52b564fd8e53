"""What the returns app adds to the document card, the print view and the back office, through the registry."""

from django.urls import reverse
from django.utils.html import format_html

from invoicing import registry
from invoicing.models import POSTED_STATUSES, Status
from returns import selectors
from returns.rules import qty
from returns.services import add_permission, return_label


def _is_source(document):
    return bool(document.type_id and not document.type.is_return)


# ----------------------------------------------------------------------------- the Return button
def return_visible(document, user):
    # Not a list action, not on drafts and canceled documents, not on returns themselves.
    return _is_source(document) and document.status in POSTED_STATUSES and user.has_perm(add_permission(document.kind))


def return_hint(document):
    """Shown instead of the button's action when the type is not configured for returns."""
    doc_type = document.type
    if doc_type.return_type_id is None:
        return (
            f"The type “{doc_type}” has no Return type: an administrator must configure a Return type on the type "
            f"“{doc_type}” before {return_label(document.kind)}s can be made."
        )
    # An inactive Return type is explained on the Return page, which loads it anyway.
    return None


RETURN_ACTION = registry.CardAction(
    name="return",
    label="Return",
    url=lambda document: reverse("returns:create", args=[document.pk]),
    visible=return_visible,
    disabled_hint=return_hint,
    order=30,
)


# ----------------------------------------------------------------------------- the Lines tab
def _summary(document):
    """The Returns tab and the returned quantities share one query per card, kept on the card's instance."""
    if "_returns_summary" not in document.__dict__:
        lines = selectors.return_lines_of(document=document)
        document.__dict__["_returns_summary"] = selectors.returns_summary(document=document, return_lines=lines)
    return document.__dict__["_returns_summary"]


def line_values(document, lines):
    _, returned = _summary(document)
    values = {}
    for line in lines:
        done = returned.get(line.pk, 0)
        values[line.pk] = [qty(line.quantity), qty(done), qty(max(line.quantity - done, 0))]
    return values


RETURNED_COLUMNS = registry.LineColumn(
    name="returned_quantities",
    headers=("Sold", "Returned", "Remaining"),
    values=line_values,
    visible=lambda document: _is_source(document) and document.status != Status.DRAFT,
)


def _return_lines(document):
    """The Source column and the Source tab share one query per card, kept on the card's instance."""
    if "_return_lines" not in document.__dict__:
        document.__dict__["_return_lines"] = selectors.return_lines_with_sources(document=document)
    return document.__dict__["_return_lines"]


def source_values(document, lines):
    rows = {line.pk: line for line in _return_lines(document)}
    values = {}
    for pk, line in rows.items():
        source = line.source_line
        if source is None:
            values[pk] = ["—"]
        else:
            values[pk] = [
                format_html(
                    '<a href="{}">{}</a> line {}', source.document.get_absolute_url(), source.document, source.position
                )
            ]
    return values


SOURCE_COLUMN = registry.LineColumn(
    name="return_source",
    headers=("Returns",),
    values=source_values,
    visible=lambda document: selectors.is_return_document(document) and document.status != Status.DRAFT,
)


# ----------------------------------------------------------------------------- tabs
def returns_tab_context(document, request):
    return {"returns": _summary(document)[0]}


RETURNS_TAB = registry.CardTab(
    name="returns",
    label="Returns",
    template="returns/returns_tab.html",
    context=returns_tab_context,
    badge=lambda context: len(context["returns"]),
    visible=lambda document: _is_source(document) and document.status != Status.DRAFT,
    order=40,
)


def source_tab_context(document, request):
    lines = _return_lines(document)
    sources = {line.source_line.document_id: line.source_line.document for line in lines if line.source_line_id}
    rows = []
    for line in lines:
        source = line.source_line
        row = {"line": line, "source": source, "sold": "", "returned": "", "remaining": ""}
        if source:
            left = max(source.quantity - line.source_returned, 0)
            row.update(sold=qty(source.quantity), returned=qty(line.source_returned), remaining=qty(left))
        rows.append(row)
    return {"sources": list(sources.values()), "rows": rows}


SOURCE_TAB = registry.CardTab(
    name="return-source",
    label="Source",
    template="returns/source_tab.html",
    context=source_tab_context,
    badge=lambda context: len(context["sources"]) or None,
    visible=selectors.is_return_document,
    order=40,
)


# ----------------------------------------------------------------------------- print view
def print_title(document):
    if not selectors.is_return_document(document):
        return None
    source = selectors.return_source(document=document)
    title = f"{document.type_label} {document.display_number}"
    return f"{title} — return of {source.type_label.lower()} {source.display_number}" if source else title


def print_context(document):
    return {"source": selectors.return_source(document=document)}


PRINT_SOURCE = registry.PrintSection(
    name="return_source",
    template="returns/print_source.html",
    context=print_context,
    visible=selectors.is_return_document,
    order=10,
)


# ----------------------------------------------------------------------------- debt tab
def debt_rows(*, document):
    """How returns move the balance: on a source, the credit each posted return applied to it; on a
    return, the part of its total applied to its source (the rest is paid back by refund payments)."""
    if document.status not in POSTED_STATUSES:
        return []
    if selectors.is_return_document(document):
        if not document.credit_applied:
            return []
        source = next((line.source_line.document for line in _return_lines(document) if line.source_line_id), None)
        # A return of a correction credits the correction's original.
        target = source.original if source is not None and source.original_id else source
        return [
            registry.DebtRow(
                label=f"Applied to {target}" if target else "Applied to its source",
                amount=-document.credit_applied,
                url=target.get_absolute_url() if target else None,
                reference=target.display_number if target else "",
            )
        ]
    if not _is_source(document) or document.original_id:  # a correction's credit goes to its original
        return []
    returns, _ = _summary(document)
    return [
        registry.DebtRow(
            label=f"Credit from {r.type_label.lower()} {r.display_number}",
            amount=-r.credit_applied,
            url=r.get_absolute_url(),
            reference=r.display_number,
            date=r.date,
        )
        for r in returns
        if r.status in POSTED_STATUSES and r.credit_applied
    ]


def register():
    registry.debt_rows(debt_rows)
    registry.card_action(RETURN_ACTION)
    registry.line_column(RETURNED_COLUMNS)
    registry.line_column(SOURCE_COLUMN)
    registry.card_tab(RETURNS_TAB)
    registry.card_tab(SOURCE_TAB)
    registry.print_section(PRINT_SOURCE)
    registry.document_title(print_title)
