"""The card reads payments, allocations, a correction chain and returns only when its document has them: the
query of the document answers whether each exists (`card_exists`), so a plain card is its few queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services
from invoicing.models import Document, PaymentKind
from invoicing.registry import HookContext
from tests import factories
from tests.corrections.support import correct

# The user, the document (with whether it has payments, allocations, corrections, returns and open counterparts),
# the user's and their groups' permissions, the lines, their taxes, the history.
PLAIN_CARD_QUERIES = 7


def card_sql(client, document):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def tables_read_from(sql):
    """The table of each query's first column: what it reads rows of (not the tables its subqueries name)."""
    return [re.match(r'SELECT \(?"(\w+)"', query).group(1) for query in sql if query.startswith("SELECT")]


@pytest.fixture
def accountant_client(client):
    client.force_login(factories.accountant())
    return client


@pytest.mark.parametrize("size", [10, 200])
def test_a_plain_posted_card_reads_none_of_what_its_document_lacks(accountant_client, size):
    tax = factories.TaxFactory()
    invoice = factories.posted(factories.invoice(lines=[factories.line(taxes=[tax]) for _ in range(size)]))
    accountant_client.get(invoice.get_absolute_url())  # per-process caches (content types)

    sql = card_sql(accountant_client, invoice)

    assert len(sql) == PLAIN_CARD_QUERIES
    read = tables_read_from(sql)
    for table in ("invoicing_payment", "invoicing_allocation"):
        assert table not in read
    assert read.count("invoicing_document") == 1  # the document itself: no chain, no open counterparts
    assert not any(" UNION " in query for query in sql)  # never sent: its history is its status changes alone


def test_a_card_reads_what_its_document_has_and_shows_it(accountant_client):
    tax = factories.TaxFactory()
    user = factories.accountant()
    invoice = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00", taxes=[tax])]))
    services.payment_register(document=invoice, kind=PaymentKind.PAYMENT, method=factories.PaymentMethodFactory(),
                              amount=invoice.balance_due / 2, user=user, date=invoice.date)  # fmt: skip
    correction = correct(invoice, "80.00", user=user)
    accountant_client.get(invoice.get_absolute_url())

    sql = card_sql(accountant_client, invoice)
    page = accountant_client.get(invoice.get_absolute_url()).content.decode()

    read = tables_read_from(sql)
    assert "invoicing_payment" in read
    assert read.count("invoicing_document") >= 2  # the document and its chain
    assert correction.display_number in page
    assert 'Payments <span class="badge">1</span>' in page
    assert len(sql) > PLAIN_CARD_QUERIES


def test_what_the_card_found_is_known_of_its_own_document_only():
    ctx = HookContext(found={"returns": False}, found_pk=1)
    assert not ctx.may_have("returns", Document(pk=1))
    assert ctx.may_have("returns", Document(pk=2))  # a hook asking about another document reads it
    assert ctx.may_have("allocations", Document(pk=1))  # not asked by the card's query: read it
