"""The corrections app on the document card, the lists and the print view (hooks of `CorrectionsExtension`)."""

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from djmoney.money import Money

from corrections.selectors import Chain, chain_of, line_changes
from invoicing import registry
from invoicing.models import POSTED_STATUSES, Document, Kind, Status
from invoicing.selectors import status_words


def card_chain(document, ctx) -> Chain:
    """The chain of the document's original, read once per card: the tab, the footer and the debt
    rows all get the same instance, so the card's query count does not grow with the chain."""
    original_id = document.original_id or document.pk
    # On an original's card its lines are loaded already, and when it has no correction it is the whole chain.
    mine = original_id == document.pk
    lines, taxes = (ctx.lines, ctx.taxes) if mine else (None, None)
    alone = [document] if mine and not ctx.may_have("corrections", document) else None
    return ctx.remember(
        ("corrections.chain", original_id),
        lambda: chain_of(original=Document(pk=original_id), original_lines=lines, known_taxes=taxes, documents=alone),
    )


def original_label(document):
    """ "Original bill" / "Original invoice", the field's label on a correction's card."""
    return f"Original {Kind(document.kind).label.lower()}"


def money(amount, document):
    return Money(amount, document.currency)


def amounts_rows(prefix, amounts, chain, document):
    """Untaxed, each tax, tax and total of `amounts` as footer rows."""
    rows = [(f"{prefix} untaxed", money(amounts.untaxed, document))]
    for tax_id, amount in sorted(amounts.taxes.items(), key=lambda item: chain.taxes[item[0]].name):
        rows.append((f"{prefix} {chain.taxes[tax_id].name}", money(amount, document)))
    rows.append((f"{prefix} tax", money(amounts.tax, document)))
    rows.append((f"{prefix} total", money(amounts.total, document)))
    return rows


# ----------------------------------------------------------------------------- card action
def can_create_correction(document, user):
    return document.status in POSTED_STATUSES and user.has_perm(f"invoicing.add_{document.kind}")


def card_actions(document, ctx):
    if not can_create_correction(document, ctx.user):
        return []
    url = reverse("corrections:create", args=[document.pk])
    return [registry.CardAction(name="create_correction", label="Create Correction", url=url, order=50)]


# ----------------------------------------------------------------------------- tab
def tab_visible(document):
    # A draft original has no chain worth a tab (corrections need a posted original).
    return bool(document.original_id) or document.status != Status.DRAFT


def card_tabs(document, ctx):
    if not tab_visible(document):
        return []
    chain = card_chain(document, ctx)
    counted = sum(1 for row in chain.rows if row.is_counted)
    for row in chain.rows:  # a correction moves no money: a paid one is settled against its original
        row.document.original = chain.original
        row.words = status_words(document=row.document, has_payments=False)
    original_paid = _has_payments(chain.original, document, ctx)
    context = {
        "original_words": status_words(document=chain.original, has_payments=original_paid),
        "chain": chain,
        "rows": chain.rows,
        "original": chain.original,
        "current_pk": document.pk,
        "original_label": original_label(chain.original),
        "has_counted": bool(counted),
        "can_create": can_create_correction(chain.original, ctx.user),
    }
    # The badge counts what moves the figures: posted, non-canceled corrections (SPEC 5).
    tabs = [registry.CardTab("corrections", "Corrections", "corrections/tab.html", context, badge=counted, order=50)]
    if document.original_id:
        changes = line_changes(correction=document, chain=chain)
        context = {"changes": changes, "currency": document.currency, "is_reversal": document.is_reversal}
        changed = sum(1 for change in changes if change.status != "unchanged")
        tabs.append(registry.CardTab("line-changes", "Before → after", "corrections/line_changes.html", context,
                                     badge=changed, order=51))  # fmt: skip
    return tabs


def _has_payments(original, document, ctx):
    """On the original's own card its payments are loaded already; on a correction's, its stored net paid tells."""
    if ctx.payments is not None and original.pk == document.pk:
        return any(not p.is_reversed for p in ctx.payments)
    return bool(original.net_paid)


# ----------------------------------------------------------------------------- footer
def footer_rows(document, ctx):
    """SPEC 5's footer totals: on a correction, its amount correction and where it is settled; on an
    original with corrections, the latest replacement, the reversal adjustments and the effective amounts."""
    if document.original_id:
        return _correction_footer(document, ctx)
    if document.status == Status.DRAFT:
        return []
    chain = card_chain(document, ctx)
    counted = [row for row in chain.rows if row.is_counted]
    if not counted:
        return []
    rows = []
    latest = chain.latest_replacement_row
    if latest is not None:
        rows += amounts_rows(f"Latest correction no. {latest.index}", latest.amounts, chain, document)
    if document.kind == Kind.BILL and chain.counted_reversals:
        rows += amounts_rows("Reversal corrections", chain.reversal_amounts, chain, document)
    rows += amounts_rows("Effective", chain.effective, chain, document)
    return rows


def _correction_footer(document, ctx):
    chain = card_chain(document, ctx)
    row = chain.row_for(document)
    original = chain.original
    link = format_html('<a href="{}">{}</a>', original.get_absolute_url(), original.display_number)
    rows = [
        (format_html("{} {}, effective total", original_label(original), link), money(chain.effective.total, original))
    ]
    if document.status == Status.DRAFT:
        rows += amounts_rows("Prospective amount correction", row.amount_correction, chain, document)
    elif row.is_counted:
        rows += amounts_rows("Amount correction", row.amount_correction, chain, document)
        rows.append((format_html("Settled against {}", link), money(row.amount_correction.total, document)))
    return rows


# ----------------------------------------------------------------------------- lists
def render_original(document):
    """The original of a correction, joined by the list's `select_related` (no annotation: its join would stay
    in the list's COUNT and date range, which then read the whole table)."""
    original = document.original
    if original is None:
        return ""
    return format_html(
        '<a href="{}">{}</a><br><span class="quiet">{}</span>',
        original.get_absolute_url(),
        original.number,
        date_format(original.date, "SHORT_DATE_FORMAT"),
    )


def annotate_correction_count(queryset):
    counts = (
        Document.objects.filter(original=OuterRef("pk"))
        .order_by()
        .values("original")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(correction_count=Coalesce(Subquery(counts), 0))


ORIGINAL_COLUMN = registry.ListColumn(
    name="original",
    label="Original",
    annotate=lambda queryset: queryset,
    render=render_original,
    order=50,
    admin_order_field="original__number",
)
CORRECTION_COUNT_COLUMN = registry.ListColumn(
    name="correction_count",
    label="Corr.",
    annotate=annotate_correction_count,
    render=lambda document: document.correction_count or "",
    order=51,
    admin_order_field="correction_count",
)


# ----------------------------------------------------------------------------- print view
def print_title(document, ctx):
    if not document.original_id:
        return None
    original = document.original
    if document.correction_index:
        return f"Correction no. {document.correction_index} of {original.display_number}"
    return f"Draft correction of {original.display_number}"


def _print_context(document, ctx):
    """Previous state, new state and their difference (the amount correction).

    A replacement's previous state is its previous document (for a draft: the current state). A
    reversal's lines are only the delta, so its states are the effective amounts without and with it.
    """
    chain = card_chain(document, ctx)
    row = chain.row_for(document)
    if row.is_reversal:
        before = chain.effective - row.amount_correction if row.is_counted else chain.effective
        after = before + row.amount_correction
    else:
        after = row.amounts
        before = after - row.amount_correction
    tax_ids = sorted({*before.taxes, *after.taxes}, key=lambda pk: chain.taxes[pk].name)
    states = [("Previous state", before), ("New state", after), ("Difference", row.amount_correction)]
    return {
        "row": row,
        "changes": line_changes(correction=document, chain=chain),
        "is_reversal": document.is_reversal,
        "original": chain.original,
        "original_label": original_label(chain.original),
        "currency": document.currency,
        "tax_names": [chain.taxes[pk].name for pk in tax_ids],
        "states": [
            {
                "label": label,
                "untaxed": amounts.untaxed,
                "taxes": [amounts.taxes.get(pk, 0) for pk in tax_ids],
                "tax": amounts.tax,
                "total": amounts.total,
            }
            for label, amounts in states
        ],
    }


def print_sections(document, ctx):
    if not document.original_id:
        return []
    return [registry.PrintSection("corrections/print_section.html", _print_context(document, ctx), order=10)]


# ----------------------------------------------------------------------------- debt tab
def debt_rows(document, ctx):
    """How corrections move the balance: on an original, each counted correction's amount correction;
    on a correction, its own total settled against its original (so it owes nothing itself)."""
    if document.status not in POSTED_STATUSES:
        return []
    chain = card_chain(document, ctx)
    if document.original_id:
        row = chain.row_for(document)
        original = chain.original
        return [
            registry.DebtRow(
                label=f"Settled against {original_label(original).lower()} {original.display_number}",
                amount=-row.amounts.total,
                url=original.get_absolute_url(),
                reference=original.display_number,
            )
        ]
    return [
        registry.DebtRow(
            label=f"Correction no. {row.index}" + (" (reversal)" if row.is_reversal else ""),
            amount=row.amount_correction.total,
            url=row.document.get_absolute_url(),
            reference=row.document.display_number,
            date=row.document.date,
        )
        for row in chain.rows
        if row.is_counted
    ]
