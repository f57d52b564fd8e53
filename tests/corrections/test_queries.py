"""The chain is read in a constant number of queries, whatever its length (ARCHITECTURE budgets)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corrections import selectors
from corrections.card import card_tabs
from invoicing.registry import HookContext
from tests import factories
from tests.corrections.support import correct, fresh

CHAIN_QUERIES = 2  # the original and its corrections (stored amounts), the names of their taxes


def chain_of_size(size):
    bill = factories.posted(factories.bill(lines=[factories.line(unit_price="100.00")]))
    user = factories.accountant()
    for n in range(size):
        if n % 5 == 4:
            correct(bill, reversal=True, lines=[factories.line(quantity=-1, unit_price="1.00")], user=user)
        else:
            correct(bill, f"{90 - n}.00", user=user, post=n % 7 != 6)
    return fresh(bill)


def count(function):
    with CaptureQueriesContext(connection) as queries:
        function()
    return len(queries)


@pytest.mark.parametrize("size", [2, 50])
def test_chain_selectors_take_the_same_queries_at_2_and_50_corrections(size):
    bill = chain_of_size(size)
    assert count(lambda: selectors.correction_chain(original=bill)) == CHAIN_QUERIES
    assert count(lambda: selectors.effective_amounts(original=bill)) == CHAIN_QUERIES
    last = bill.corrections.order_by("-pk").first()
    assert count(lambda: selectors.correction_amount(correction=last)) == CHAIN_QUERIES
    assert len(selectors.correction_chain(original=bill)) == size


@pytest.mark.parametrize("size", [2, 50])
def test_corrections_tab_takes_the_same_queries_at_2_and_50_corrections(size, rf):
    bill = chain_of_size(size)
    user = factories.reviewer()
    user.has_perm("invoicing.view_bill")  # the permissions are read once per request, before the tab
    assert count(lambda: card_tabs(bill, HookContext(user=user))) == CHAIN_QUERIES


def card_queries(client, document):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


def test_the_card_of_an_original_and_of_a_correction_do_not_grow_with_the_chain(client):
    client.force_login(factories.accountant())
    small, large = chain_of_size(2), chain_of_size(50)
    card_queries(client, small)  # warm up the per-process caches (content types, permissions)
    assert card_queries(client, small) == card_queries(client, large)
    small_correction, large_correction = small.corrections.last(), large.corrections.last()
    assert card_queries(client, small_correction) == card_queries(client, large_correction)
    assert card_queries(client, large) <= 15


def test_the_lists_do_not_grow_with_the_corrections(client):
    client.force_login(factories.accountant())
    chain_of_size(3)
    url = reverse("admin:invoicing_bill_changelist")
    card_queries_url(client, url)
    small = card_queries_url(client, url)
    chain_of_size(20)
    assert card_queries_url(client, url) == small


def card_queries_url(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
