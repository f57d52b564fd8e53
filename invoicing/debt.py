"""The card's Debt tab: how a document's balance due is made.

Rows, each signed as it moves the balance: the document's own total; what other apps add through
the extensions' `debt_rows` (amount corrections); every allocation in force (a return's credit, open
credit applied from or to another document); every payment (−) and refund (+), and each reversal of one.
They add up to the stored balance due; if a provider is missing or a stored figure drifted, the gap
shows as a "Not itemised" row instead of being hidden (`check_balances` finds why).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from invoicing import registry, selectors
from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES, Kind, Status, document_allocations


@dataclass(frozen=True)
class AllocationRow:
    """An allocation as the Debt tab lists it (reversed ones too): the other document, who, when, Remove."""

    allocation: object
    label: str
    other: object
    amount: object  # signed as it moves this document's balance due
    remove_url: str | None


@dataclass(frozen=True)
class DocumentDebt:
    currency: str
    rows: list
    balance_due: object
    is_posted: bool
    not_itemised: object = ZERO
    allocations: tuple = ()


def _payment_url(payment):
    try:
        return reverse("admin:invoicing_payment_change", args=[payment.pk])
    except NoReverseMatch:  # the payments list is not mounted (e.g. a site without it)
        return None


def _allocation_rows(document, ctx):
    user = ctx.user
    may_remove = user is not None and user.has_perm("invoicing.add_allocation")
    model = "bill" if document.kind == Kind.BILL else "invoice"
    rows = []
    for allocation in document_allocations(document, ctx):
        removable = may_remove and not allocation.is_automatic and not allocation.is_reversed
        rows.append(
            AllocationRow(
                allocation=allocation,
                label=allocation.label_for(document),
                other=allocation.other(document),
                amount=-allocation.effect(document),
                remove_url=reverse(f"admin:invoicing_{model}_allocation_remove", args=[document.pk, allocation.pk])
                if removable
                else None,
            )
        )
    return rows


def document_debt(*, document, ctx=None):
    """The Debt tab's rows in a constant number of queries: the payments and the allocations (each read once
    per card), plus each extension's own."""
    ctx = ctx or registry.HookContext()
    rows = [registry.DebtRow(label="Total", amount=document.amount_total, reference=document.display_number)]
    if document.status not in POSTED_STATUSES:
        # A canceled document still lists the allocations it had (reversed), so its history is whole.
        allocations = _allocation_rows(document, ctx) if document.status == Status.CANCELED else []
        return DocumentDebt(document.currency, rows, ZERO, is_posted=False, allocations=tuple(allocations))
    rows.extend(registry.collect("debt_rows", document, ctx))
    allocations = _allocation_rows(document, ctx)
    for row in allocations:
        if not row.allocation.is_reversed:
            rows.append(
                registry.DebtRow(
                    label=row.label,
                    amount=row.amount,
                    url=row.other.get_absolute_url(),
                    reference=row.other.display_number,
                    date=timezone.localdate(row.allocation.created_at),
                )
            )
    for payment in selectors.document_payments(document=document):
        rows.append(
            registry.DebtRow(
                label=f"{payment.label} ({payment.method})",
                amount=-payment.signed_amount,
                url=_payment_url(payment),
                reference=payment.reference,
                date=payment.date,
            )
        )
        if payment.is_reversed:
            rows.append(
                registry.DebtRow(
                    label=f"{payment.label} reversed: {payment.reversal_reason}",
                    amount=payment.signed_amount,
                    url=_payment_url(payment),
                    reference=payment.reference,
                    date=timezone.localdate(payment.reversed_at),
                )
            )
    explained = sum((row.amount for row in rows), ZERO)
    return DocumentDebt(
        document.currency,
        rows,
        document.balance_due,
        is_posted=True,
        not_itemised=document.balance_due - explained,
        allocations=tuple(allocations),
    )
