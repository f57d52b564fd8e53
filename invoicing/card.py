"""What the document card and the print view show, gathered in a constant number of queries.

The lifecycle buttons are django-fsm's own answer (`get_available_user_status_transitions`), plus the
transitions the user may fire but whose guard refuses now, shown disabled with the guard's message.
Everything else on the card that is not the core's comes from the extensions (`invoicing.registry`).
"""

import base64

from django.template.loader import render_to_string
from djmoney.money import Money

from invoicing import registry, selectors, services
from invoicing.debt import document_debt
from invoicing.formatting import format_money
from invoicing.models import POSTED_STATUSES, DocumentTransition, Kind, Status, guards_checked_once, refusal


def transition_buttons(document, user):
    """[{"name", "label", "css", "confirm", "refusal"}]: the transitions the user may fire now, and those
    from this status they are allowed to fire but whose guard refuses, with its message."""
    available = {t.name for t in document.get_available_user_status_transitions(user)}
    buttons, seen = [], set()
    for transition in document.get_all_status_transitions():
        if transition.name in seen or transition.custom.get("automatic"):
            continue
        if document.status not in services.transition_sources(transition.name):
            continue
        if transition.name not in available and not transition.has_perm(document, user):
            continue
        seen.add(transition.name)
        buttons.append(
            {
                "name": transition.name,
                "label": transition.custom["label"],
                "css": transition.custom.get("css", ""),
                "confirm": transition.custom.get("confirm", ""),
                "refusal": None if transition.name in available else refusal(document, transition.name),
            }
        )
    return buttons


def _line_rows(document, lines, line_taxes, ctx):
    """The read-only lines table: each line, its taxes and the extensions' cells."""
    columns = [c for e in registry.extensions() for c in [e.line_columns(document, lines, ctx)] if c]
    columns.sort(key=lambda c: c.order)
    headers = [header for column in columns for header in column.headers]
    rows = []
    for line, taxes in zip(lines, line_taxes, strict=True):
        extra = []
        for column in columns:
            extra.extend(column.cells.get(line.pk, [""] * len(column.headers)))
        rows.append({"line": line, "taxes": taxes, "extra": extra})
    return headers, rows


def _taxes_of(lines):
    """{id: Tax} of the loaded lines' (prefetched) taxes."""
    return {tax.pk: tax for line in lines for tax in line.taxes.all()}


def totals(document, lines, taxes=None):
    """`taxes`: {id: Tax} of the lines' taxes, when the caller has them."""
    return {
        "untaxed": document.amount_untaxed,
        "tax": document.amount_tax,
        "total": document.amount_total,
        "per_tax": services.document_tax_breakdown(
            document=document, taxes=_taxes_of(lines) if taxes is None else taxes
        ),
    }


def _tabs(document, ctx, request, debt, footer):
    """The extensions' tabs and the Debt tab. SPEC 5's footer figures of corrections sit at the foot of the
    Corrections tab, so the card's top keeps only the money summary."""
    tabs = []
    core = registry.CardTab(
        name="debt", label="Debt", template="invoicing/debt_tab.html", context={"debt": debt}, order=80
    )
    for tab in sorted([*registry.collect("card_tabs", document, ctx), core], key=lambda t: t.order):
        html = render_to_string(tab.template, {**tab.context, "document": document}, request=request)
        rows = footer if tab.name == "corrections" else []
        tabs.append({"tab": tab, "html": html, "badge": tab.badge, "footer": rows})
    return tabs


def card_context(*, document, request, kind, lines=None):
    """`lines` are the draft's lines already loaded by the editor (with their taxes)."""
    if document is None:
        return {"card": None, "kind": kind}
    user = request.user
    editing = lines is not None
    if lines is None:
        lines = selectors.document_lines(document=document)
    # Each line's taxes once: every `line.taxes.all()` builds a manager, and a 200-line card asked three times.
    line_taxes = [list(line.taxes.all()) for line in lines]
    taxes = {tax.pk: tax for each in line_taxes for tax in each}
    found = selectors.card_found(document=document)
    has_payments = document.status != Status.DRAFT and found.get("payments", True)
    payments = selectors.document_payments(document=document) if has_payments else []
    selectors.attach_loaded(document=document, lines=lines, payments=payments)
    ctx = registry.HookContext(
        user=user, request=request, lines=lines, taxes=taxes, payments=payments, found=found, found_pk=document.pk
    )
    with guards_checked_once(ctx):
        transitions = transition_buttons(document, user)
    # The editor shows the lines as inputs: the read-only table is for the other cards.
    line_headers, line_rows = ([], []) if editing else _line_rows(document, lines, line_taxes, ctx)
    actions = sorted(registry.collect("card_actions", document, ctx), key=lambda a: a.order)
    footer = [(label, _as_amount(value)) for label, value in registry.collect("footer_rows", document, ctx)]
    model = "bill" if document.kind == Kind.BILL else "invoice"
    may_allocate = user.has_perm("invoicing.add_allocation")
    debt = document_debt(document=document, ctx=ctx)
    summary = selectors.money_summary(document=document, payments=payments)
    return {
        "card": {
            "document": document,
            "lines": line_rows,
            "line_count": len(lines),
            "line_headers": line_headers,
            "totals": totals(document, lines, taxes),
            "payments": payments,
            "history": history(document, ctx, words=summary.words),
            "transitions": transitions,
            "actions": actions,
            "tabs": _tabs(document, ctx, request, debt, footer),
            "summary": summary,
            # The tabs sit inside the admin's change form, and forms do not nest: the Remove buttons of the
            # Debt tab submit these forms, rendered outside it, through their `form` attribute.
            "remove_forms": [(row.allocation.pk, row.remove_url) for row in debt.allocations if row.remove_url],
            "footer": footer,
            # A correction's debt is settled against its original: payments go to the original.
            "can_pay": document.is_posted and not document.original_id and user.has_perm("invoicing.add_payment"),
            "counterparts": _counterparts(document, may_allocate and ctx.may_have("open_counterparts", document)),
            "may_reverse_payments": document.is_posted and user.has_perm("invoicing.reverse_payment"),
            "allocate_url_name": f"admin:invoicing_{model}_allocate",
            "payment_reverse_url_name": f"admin:invoicing_{model}_payment_reverse",
            "read_only_reason": _read_only_reason(document),
            "payment_url_name": f"admin:invoicing_{model}_payment",
            "print_url_name": f"admin:invoicing_{model}_print",
            "transition_url_name": f"admin:invoicing_{model}_transition",
        },
        "kind": kind,
    }


def history(document, ctx, words=None):
    """The status changes and what the extensions record (sendings…), in time order, in one query. Posting a
    correction or a return shows the reason it was posted with."""
    extra = [qs for e in registry.extensions() for qs in [e.history_rows(document, ctx)] if qs is not None]
    rows = []
    for at, username, name, source, target, detail in selectors.document_history_rows(document=document, extra=extra):
        if source is not None:  # a status change
            change = DocumentTransition(name=name, source=source, target=target)
            detail = f"{change.get_source_display()} → {_target_words(change, document, words)}"
            if name == "post" and document.reason:
                detail += f". Reason: {document.reason}"
            name = change.label
        rows.append(registry.HistoryRow(at=at, user=username, label=name, detail=detail))
    return rows


def _target_words(change, document, words):
    """A change to Paid says how the document got there now ("Settled by credit"…, SPEC 4)."""
    if change.target == Status.PAID and document.status == Status.PAID and words:
        return words
    return change.get_target_display()


def _counterparts(document, may_allocate):
    """The box of the partner's open documents on the other side, split into credit and set-off (one query)."""
    if not may_allocate or document.original_id:  # a correction's balance is its original's
        return None
    rows = selectors.document_open_counterparts(document=document)
    if not rows:
        return None
    groups = [("credit", [r for r in rows if not r.is_set_off]), ("set_off", [r for r in rows if r.is_set_off])]
    return {
        "groups": [(name, group) for name, group in groups if group],
        "shown": len(rows),
        "limit": selectors.OPEN_COUNTERPARTS_SHOWN,
    }


def _as_amount(value):
    """Money as the card writes amounts everywhere else: "1,096.00 USD"."""
    if isinstance(value, Money):
        return format_money(value.amount, value.currency)
    return value


def _read_only_reason(document):
    if document.status in POSTED_STATUSES:
        return (
            f"{document.display_number} is posted: its lines, partner and amounts are frozen. Fix an amount with "
            "a correction, record returned goods with a return, or reset it to draft while nothing depends on it."
        )
    if document.status == Status.CANCELED:
        return "This document is canceled; canceled documents never change again."
    return ""


def tax_rows(document, lines):
    """[(tax, taxable base, tax amount)] per tax: what art. 226 asks per rate."""
    bases = {}
    for line in lines:
        for tax in line.taxes.all():
            bases[tax.pk] = bases.get(tax.pk, 0) + line.amount_untaxed
    breakdown = services.document_tax_breakdown(document=document, taxes=_taxes_of(lines))
    return [(tax, bases.get(tax.pk, 0), amount) for tax, amount in breakdown]


def logo_data_uri(company):
    """The company's logo inlined, so the print view and the PDF need no media server."""
    if not company.logo:
        return ""
    try:
        with company.logo.open("rb") as file:
            data = file.read()
    except OSError:
        return ""
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def print_context(*, document, request=None, pdf=False):
    """What the print view and its PDF show (SPEC 11): both parties, the lines, the taxes per rate, the totals
    and, on documents we issue, our bank details; the extensions add what amends what, and why."""
    lines = selectors.document_lines(document=document)
    ctx = registry.HookContext(user=getattr(request, "user", None), request=request, lines=lines)
    sections = sorted(registry.collect("print_sections", document, ctx), key=lambda s: s.order)
    return {
        "document": document,
        "title": registry.first_message("print_title", document, ctx)
        or f"{document.type_label} {document.display_number}",
        "lines": lines,
        "totals": totals(document, lines),
        "tax_rows": tax_rows(document, lines),
        "seller": document.seller,
        "buyer": document.buyer,
        "issued": document.is_issued_by_us,
        "buyer_is_company": not document.is_issued_by_us,
        "logo": logo_data_uri(document.company),
        "pdf": pdf,
        "debt": document_debt(document=document, ctx=ctx),
        "summary": selectors.money_summary(document=document),
        "sections": [render_to_string(s.template, {**s.context, "document": document}) for s in sections],
    }
