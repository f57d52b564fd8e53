"""Schemathesis against /api/v1/openapi.json with an accountant's token: no 5xx, every answer matches its schema.

Bounded: a few examples per operation and a deadline, about a minute for the ~26 operations on SQLite."""

import pytest
import schemathesis
from django.db import connection
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

# CI runs this on its SQLite pass. On PostgreSQL, calling the WSGI app directly inside the test's transaction
# finds the connection closed after the first request (unhooking close_old_connections did not help; the
# cause is not found yet), so every case would report a harness failure rather than an answer of the API.
pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="the in-transaction WSGI call loses its PostgreSQL connection; CI runs schemathesis on its SQLite pass",
)


@pytest.fixture
def token(client):
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
    response = case.call(app=application)  # through the WSGI app, inside the test's transaction
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
