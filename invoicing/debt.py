"""The card's Debt tab: how a document's balance due is made.

Rows, each signed as it moves the balance: the document's own total; what other apps add through
the extensions' `debt_rows` (amount corrections, credit from returns); every payment (−) and refund (+).
They add up to the stored balance due; if a provider is missing or a stored figure drifted, the gap
shows as a "Not itemised" row instead of being hidden (`check_balances` finds why).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from invoicing import registry, selectors
from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES


@dataclass(frozen=True)
class DocumentDebt:
    currency: str
    rows: list
    balance_due: object
    is_posted: bool
    not_itemised: object = ZERO


def _payment_url(payment):
    try:
        return reverse("admin:invoicing_payment_change", args=[payment.pk])
    except NoReverseMatch:  # the payments list is not mounted (e.g. a site without it)
        return None


def document_debt(*, document, ctx=None):
    """The Debt tab's rows in a constant number of queries: the payments, plus each extension's own."""
    ctx = ctx or registry.HookContext()
    rows = [registry.DebtRow(label="Total", amount=document.amount_total, reference=document.display_number)]
    if document.status not in POSTED_STATUSES:
        return DocumentDebt(document.currency, rows, ZERO, is_posted=False)
    rows.extend(registry.collect("debt_rows", document, ctx))
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
    explained = sum((row.amount for row in rows), ZERO)
    return DocumentDebt(
        document.currency,
        rows,
        document.balance_due,
        is_posted=True,
        not_itemised=document.balance_due - explained,
    )
