"""What `check_balances` should find in `debt_total`, recomputed from the chains themselves.

Only `debt_total` is given (the core audits payments and allocations): a correction carries no debt
of its own, and a posted original with corrections carries its effective total.
"""

from corrections.selectors import effective_totals
from invoicing.amounts import ZERO


def expected_balances(*, documents):
    documents = list(documents)
    expected = {d.pk: {"debt_total": ZERO} for d in documents if d.original_id}
    originals = [d for d in documents if not d.original_id and d.is_posted]
    for pk, total in effective_totals(originals=originals).items():
        expected[pk] = {"debt_total": total}
    return expected
