import os

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _enable_db(db):
    """Every test may use the database (roles come from a data migration)."""


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but the suite runs on SQLite: set DATABASE_URL to a PostgreSQL database.")
        pytest.skip("needs PostgreSQL row locks (SQLite serialises writers); CI runs it with DATABASE_URL set")
