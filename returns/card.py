"""What the returns app adds to the document card, the print view and the Debt tab (hooks of `ReturnsExtension`)."""

from django.urls import reverse
from django.utils.html import format_html

from invoicing import registry
from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES, Status, document_allocations
from returns import rules, selectors
from returns.rules import qty
from returns.services import add_permission, return_label


def _is_source(document):
    return bool(document.type_id and not document.type.is_return)


# ----------------------------------------------------------------------------- the Return button
def return_visible(document, user):
    # Not a list action, not on drafts and canceled documents, not on returns themselves.
    return _is_source(document) and document.status in POSTED_STATUSES and user.has_perm(add_permission(document.kind))


def card_actions(document, ctx):
    if not return_visible(document, ctx.user):
        return []
    url = reverse("returns:create", args=[document.pk])
    return [registry.CardAction(name="return", label="Return", url=url, hint=return_hint(document), order=30)]


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


# ----------------------------------------------------------------------------- the Lines tab
def _return_lines(document, ctx):
    """A return's lines with their sources, read once per card (the Source column, tab and Debt tab)."""
    return ctx.remember(("returns.lines", document.pk), lambda: selectors.return_lines_with_sources(document=document))


def line_columns(document, lines, ctx):
    if document.status == Status.DRAFT:
        return None
    if _is_source(document):
        # One figure for the whole correction chain: what any state of it gave back (SPEC 7). On an original,
        # the returns the card reads anyway tell when nothing was given back: no query for the figures.
        given_back = document.original_id or any(r.status in POSTED_STATUSES for r in rules.returns_made(document, ctx))
        rows = selectors.line_return_rows(lines=lines, chain=document.original_id or document.pk, none=not given_back)
        cells = {pk: [qty(sold), qty(done), qty(left)] for pk, (sold, done, left) in rows.items()}
        return registry.LineColumns(("Sold", "Returned", "Remaining"), cells)
    if selectors.is_return_document(document):
        return registry.LineColumns(("Returns",), source_values(document, ctx))
    return None


def source_values(document, ctx):
    rows = {line.pk: line for line in _return_lines(document, ctx)}
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


# ----------------------------------------------------------------------------- tabs
def card_tabs(document, ctx):
    if document.status != Status.DRAFT and _is_source(document):
        returns = rules.returns_made(document, ctx)
        return [registry.CardTab("returns", "Returns", "returns/returns_tab.html", {"returns": returns},
                                 badge=len(returns), order=40)]  # fmt: skip
    if selectors.is_return_document(document):
        context = _source_tab_context(document, ctx)
        return [registry.CardTab("return-source", "Source", "returns/source_tab.html", context,
                                 badge=len(context["sources"]) or None, order=40)]  # fmt: skip
    return []


def _source_tab_context(document, ctx):
    lines = _return_lines(document, ctx)
    sources = {line.source_line.document_id: line.source_line.document for line in lines if line.source_line_id}
    rows = []
    for line in lines:
        source = line.source_line
        row = {"line": line, "source": source, "sold": "", "returned": "", "remaining": ""}
        if source:
            left = max(source.quantity - line.source_returned, 0)
            row.update(sold=qty(source.quantity), returned=qty(line.source_returned), remaining=qty(left))
        rows.append(row)
    return {"sources": list(sources.values()), "rows": rows, "credit": credit_to_source(document, ctx)}


def credit_to_source(document, ctx):
    """The credit the return applies to its source now, from the allocations the card reads once."""
    return sum(
        (a.amount for a in document_allocations(document, ctx) if a.is_automatic and not a.is_reversed),
        ZERO,
    )


# ----------------------------------------------------------------------------- print view
def print_title(document, ctx):
    if not selectors.is_return_document(document):
        return None
    source = selectors.return_source(document=document)
    title = f"{document.type_label} {document.display_number}"
    return f"{title} — return of {source.type_label.lower()} {source.display_number}" if source else title


def print_sections(document, ctx):
    if not selectors.is_return_document(document):
        return []
    context = {"source": selectors.return_source(document=document), "credit": credit_to_source(document, ctx)}
    return [registry.PrintSection("returns/print_source.html", context, order=10)]
