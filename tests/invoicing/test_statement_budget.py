"""ARCHITECTURE's budget for the services: create a 5-line document, post it, pay it in ≤ 20 statements,
BEGIN and COMMIT included, the same at 5 and 50 lines."""

import pytest

from invoicing import services
from invoicing.models import Kind, PaymentKind, PaymentMethod
from tests import factories
from tests.queries import count_queries

TRANSACTIONS = 3  # one per service call: create, post, pay


def create_post_pay(size, *, user, tax, type, partner, company, method):
    lines = [factories.line(unit_price="12.50", taxes=[tax]) for _ in range(size)]
    document = services.document_create(
        kind=Kind.INVOICE, type=type, user=user, partner=partner, company=company, lines=lines
    )
    services.document_post(document=document, user=user)
    services.payment_register(document=document, kind=PaymentKind.PAYMENT, method=method,
                              amount=document.balance_due, user=user, date=document.date)  # fmt: skip
    return document


@pytest.mark.django_db
def test_create_post_and_pay_take_at_most_20_statements_at_5_and_50_lines():
    user, tax = factories.accountant(), factories.TaxFactory()
    first = factories.posted(factories.invoice(lines=[factories.line(unit_price="1.00", taxes=[tax])]))
    setup = {"user": user, "tax": tax, "type": first.type, "partner": first.partner, "company": first.company,
             "method": PaymentMethod.objects.create(name="Transfer")}  # fmt: skip
    create_post_pay(5, **setup)  # the type's number sequence exists from here on, as in a running office
    counts = []
    for size in (5, 50):
        with count_queries() as queries:
            document = create_post_pay(size, **setup)
        document.refresh_from_db()
        assert document.status == "paid" and document.lines.count() == size
        # In the test's transaction each service's BEGIN/COMMIT is a savepoint, left out of the count.
        counts.append(len(queries) + 2 * TRANSACTIONS)
    assert counts[0] == counts[1] <= 20, (counts, queries.sql)
