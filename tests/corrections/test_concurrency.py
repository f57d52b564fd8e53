"""Two corrections of one original posted at once get distinct indexes and both count (PostgreSQL only)."""

import time

import pytest

from corrections import selectors
from corrections import services as correction_services
from tests import factories
from tests.concurrency import post_at_once
from tests.corrections.support import correct, fresh


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_corrections_posted_at_once_take_distinct_indexes(require_postgres, monkeypatch):
    bill = factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))
    user = factories.accountant()
    first = correct(bill, "80.00", post=False, user=user)
    reversal = correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="10.00")], post=False)
    # (Both also queue on the type's numbering sequence; the index must come out distinct either way.)

    # Widen the window between reading the last index and committing; without the lock on the
    # original both posts would read "no index yet" and take index 1.
    effective_total = correction_services.effective_total

    def slow_effective_total(**kwargs):
        time.sleep(0.3)
        return effective_total(**kwargs)

    monkeypatch.setattr(correction_services, "effective_total", slow_effective_total)

    outcomes = post_at_once([first, reversal], user)

    assert set(outcomes.values()) == {"posted"}, outcomes
    assert sorted([fresh(first).correction_index, fresh(reversal).correction_index]) == [1, 2]
    # 80 × 1.2 − 12: both amount corrections reached the original's debt
    assert fresh(bill).balance_due == selectors.effective_amounts(original=bill).total == 84
