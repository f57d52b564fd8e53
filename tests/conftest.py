import os

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection

from tests import factories


@pytest.fixture(autouse=True)
def _enable_db(db):
    """Every test may use the database (a test that asks for transactional_db or live_server gets a
    transactional one). The roles come from a data migration; a transactional test's flush removes
    them, so they are put back when missing."""
    if not Group.objects.filter(name="Accountant").exists():
        from importlib import import_module

        import_module("invoicing.migrations.0002_roles").create_roles(apps, None)


@pytest.fixture
def accountant_client(client):
    client.force_login(factories.accountant())
    return client


@pytest.fixture
def reviewer_client(client):
    client.force_login(factories.reviewer())
    return client


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but the suite runs on SQLite: set DATABASE_URL to a PostgreSQL database.")
        pytest.skip("needs PostgreSQL row locks (SQLite serialises writers); CI runs it with DATABASE_URL set")
