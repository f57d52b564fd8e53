"""Schemathesis against /api/v1/openapi.json with an accountant's token: no 5xx, every answer matches its schema.

Bounded: a few examples per operation and a deadline, about a minute for the ~26 operations on SQLite."""

from contextlib import contextmanager

import pytest
import schemathesis
from django.apps import apps
from django.core.management.color import no_style
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.api import api
from api.models import ApiToken
from config.wsgi import application
from tests import factories
from tests.api.conftest import ApiClient
from tests.api.support import create_posted_invoice, master_data

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


@contextmanager
def connection_kept_in_the_test_transaction():
    """What Django's test client does around each request, for a call through the real WSGI handler.

    The handler sends request_started (and request_finished when the response is closed), and Django's
    `close_old_connections` receiver drops any connection whose autocommit differs from the setting or whose
    CONN_MAX_AGE (0 here) has passed. Inside the test's transaction autocommit is off, so it closes the
    connection; in an atomic block Django closes the PostgreSQL connection for real and only marks it
    `closed_in_transaction`, so the next query fails with "the connection is closed". (SQLite's test database
    is in memory, and Django never closes an in-memory SQLite connection: why SQLite passed.)

    Unhooked around each call rather than once: the test client reconnects the receiver after every request it
    makes (the fixture's setup requests are some), which undoes an unhook made before the fixture runs."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def ids_start_after_the_committed_rows():
    """On PostgreSQL, as on SQLite, this test's rows are numbered from just after the committed ones.

    SQLite's AUTOINCREMENT counters roll back with the test's transaction, PostgreSQL's sequences do not: after the
    earlier tests the fixture's documents got ids far above the small ones Hypothesis generates, and every
    operation on one id answered 404 without reaching its service. setval to the highest committed id (what
    `sqlsequencereset` does) gives the same numbering as SQLite and is safe for the tests that follow."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models(include_auto_created=True)):
                cursor.execute(statement)


@pytest.fixture
def token(client):
    ids_start_after_the_committed_rows()
    user = factories.accountant()
    secret = ApiToken.issue(user=user, name="schemathesis")[1]
    setup = master_data()
    api_client = ApiClient(client, secret)
    create_posted_invoice(api_client, setup)  # ids 1.. exist, so some generated requests reach the services
    return secret


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_route_answers_within_its_schema_and_never_5xx(case, token):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    with connection_kept_in_the_test_transaction():
        # Through the WSGI app, inside the test's transaction; buffered, so the response is closed (and
        # request_finished sent) within the call, as a WSGI server does.
        response = case.call(app=application, buffered=True)
    assert response.status_code != 401, "the accountant's token must authenticate every request"
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
