"""The list route keeps a constant number of queries at any page size and table size (ARCHITECTURE budgets)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.api.support import master_data

LIST_QUERIES = 6  # token, last used, the user's and their groups' permissions, count, the page of rows


def _documents(count):
    user = factories.accountant()
    for _ in range(count):
        document = factories.invoice(user=user)
        factories.posted(document, user=user)


def _queries(api, **params):
    with CaptureQueriesContext(connection) as context:
        response = api.get("/documents", params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("table_size", [6, 60])
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_document_list_takes_the_same_queries_at_two_page_and_table_sizes(accountant_api, table_size, page_size):
    master_data()
    _documents(table_size)
    assert _queries(accountant_api, page_size=page_size, status="to_pay", q="INV") == LIST_QUERIES
