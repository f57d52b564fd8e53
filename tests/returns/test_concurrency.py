"""Check returned quantity under concurrent posts (SPEC 7): row locks on the sold lines, PostgreSQL only."""

import time

import pytest

from invoicing.models import Document, Status
from returns import rules
from returns.services import return_create
from tests import factories
from tests.concurrency import post_at_once
from tests.returns.helpers import invoice_of_60, set_quantity


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_returns_posted_at_once_never_exceed_the_sold_quantity(require_postgres, monkeypatch):
    invoice = invoice_of_60(check_returned_quantity=True)  # 5 sold
    user = factories.accountant()
    first = set_quantity(return_create(document=invoice, user=user, reason="Damaged"), 3)
    second = set_quantity(return_create(document=invoice, user=user, reason="Damaged"), 3)

    # Widen the window between summing the returned quantity and committing: without the row locks
    # both posts would sum 0 here and both succeed.
    summed = rules.selectors.returned_quantities

    def slow_sum(**kwargs):
        result = summed(**kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(rules.selectors, "returned_quantities", slow_sum)

    outcomes = post_at_once([first, second], user)

    assert list(outcomes.values()).count("posted") == 1, outcomes
    refused = [message for message in outcomes.values() if message != "posted"]
    assert len(refused) == 1, outcomes
    assert "only 2 remaining" in refused[0]
    statuses = sorted(Document.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == sorted([Status.DRAFT, Status.PAID])
    invoice.refresh_from_db()
    assert invoice.allocated == invoice.amount_total * 3 / 5
