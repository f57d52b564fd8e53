"""What the document card and the print view show, gathered in a constant number of queries."""

from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from djmoney.money import Money

from invoicing import registry, selectors, services
from invoicing.amounts import round_money
from invoicing.models import POSTED_STATUSES, Kind, Status, cancel_refusal, post_refusal, reset_refusal


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    service: Callable
    permission: str
    refusal: Callable
    sources: tuple
    done: str
    confirm: str  # what the confirmation page says will happen
    css: str = ""


TRANSITIONS = {
    t.name: t
    for t in [
        Transition(
            "post", "Post", services.document_post, "invoicing.post_document", post_refusal, (Status.DRAFT,),
            "posted",
            "Posting assigns the next number of the type for good and freezes the lines and amounts. A posted "
            "document is fixed with a correction or a return (or reset to draft while nothing depends on it).",
            "default",
        ),
        Transition(
            "reset_to_draft", "Reset to draft", services.document_reset_to_draft, "invoicing.reset_document",
            reset_refusal, (Status.TO_PAY,), "back to Draft (it keeps its number)",
            "The document goes back to Draft so its lines can be edited; it keeps its number.",
        ),
        Transition(
            "cancel", "Cancel", services.document_cancel, "invoicing.cancel_document", cancel_refusal,
            (Status.DRAFT, Status.TO_PAY, Status.PAID), "canceled",
            "Canceling is final: a canceled document can never be posted, paid or reopened again.",
            "danger",
        ),
    ]
}  # fmt: skip


def transition_buttons(document, user):
    """The lifecycle buttons the user may press now, and those refused with the guard's reason."""
    buttons = []
    for transition in TRANSITIONS.values():
        if document.status not in transition.sources or not user.has_perm(transition.permission):
            continue
        buttons.append({"transition": transition, "refusal": transition.refusal(document)})
    return buttons


def _line_rows(document, lines):
    columns = [c for c in registry.line_columns() if c.visible(document)]
    headers = [header for column in columns for header in column.headers]
    values = [column.values(document, lines) for column in columns]
    rows = []
    for line in lines:
        extra = []
        for column, column_values in zip(columns, values, strict=True):
            extra.extend(column_values.get(line.pk, [""] * len(column.headers)))
        rows.append({"line": line, "taxes": list(line.taxes.all()), "extra": extra})
    return headers, rows


def totals(document, lines):
    return {
        "untaxed": document.amount_untaxed,
        "tax": document.amount_tax,
        "total": document.amount_total,
        "per_tax": services.document_tax_breakdown(document=document, lines=lines),
    }


def card_context(*, document, request, kind, lines=None):
    """`lines` are the draft's lines already loaded by the form's inline (with their taxes)."""
    if document is None:
        return {"card": None, "kind": kind}
    user = request.user
    if lines is None:
        lines = selectors.document_lines(document=document)
    payments = [] if document.status == Status.DRAFT else selectors.document_payments(document=document)
    selectors.attach_loaded(document=document, lines=lines, payments=payments)
    line_headers, line_rows = _line_rows(document, lines)
    tabs = []
    for tab in registry.card_tabs():
        if not tab.visible(document):
            continue
        context = tab.context(document, request)
        html = render_to_string(tab.template, {**context, "document": document}, request=request)
        tabs.append({"tab": tab, "html": html, "badge": tab.badge(context)})
    actions = []
    for action in registry.card_actions():
        if action.visible(document, user):
            actions.append({"action": action, "url": action.url(document), "hint": action.disabled_hint(document)})
    footer = []
    for provider in registry.footer_providers():
        footer.extend((label, _as_amount(value)) for label, value in provider(document=document, card=None))
    model = "bill" if document.kind == Kind.BILL else "invoice"
    return {
        "card": {
            "document": document,
            "lines": line_rows,
            "line_headers": line_headers,
            "totals": totals(document, lines),
            "payments": payments,
            "history": selectors.document_history(document=document),
            "transitions": transition_buttons(document, user),
            "actions": actions,
            "tabs": tabs,
            "footer": footer,
            # A correction's debt is settled against its original: payments go to the original.
            "can_pay": document.is_posted and not document.original_id and user.has_perm("invoicing.add_payment"),
            "settled_label": _settled_label(document, payments),
            "open_credit": -document.balance_due if document.balance_due < 0 else 0,
            "read_only_reason": _read_only_reason(document),
            "payment_url_name": f"admin:invoicing_{model}_payment",
            "print_url_name": f"admin:invoicing_{model}_print",
            "transition_url_name": f"admin:invoicing_{model}_transition",
        },
        "kind": kind,
    }


def _as_amount(value):
    """Money as the card writes amounts everywhere else: "96.00 USD"."""
    if isinstance(value, Money):
        return f"{round_money(value.amount, str(value.currency))} {value.currency}"
    return value


def _settled_label(document, payments):
    """A document Paid without any payment says how it was settled (SPEC 6), not "Paid"."""
    if document.status != Status.PAID or payments:
        return ""
    if document.original_id:
        return f"Settled against {document.original.display_number}"
    return "Settled by credit"


def _read_only_reason(document):
    if document.status in POSTED_STATUSES:
        return (
            f"{document.display_number} is posted: its lines, partner and amounts are frozen. Fix an amount with "
            "a correction, record returned goods with a return, or reset it to draft while nothing depends on it."
        )
    if document.status == Status.CANCELED:
        return "This document is canceled; canceled documents never change again."
    return ""


def print_context(*, document):
    from invoicing.debt import document_debt  # the Debt tab's rows, which add up to the balance due

    lines = selectors.document_lines(document=document)
    sections = []
    for section in registry.print_sections():
        if section.visible(document):
            sections.append(render_to_string(section.template, {**section.context(document), "document": document}))
    return {
        "document": document,
        "title": registry.title_for(document) or f"{document.type_label} {document.display_number}",
        "lines": lines,
        "totals": totals(document, lines),
        "debt": document_debt(document=document),
        "sections": sections,
    }
