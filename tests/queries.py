"""Query counting for budgets measured on services, outside the test's own transaction."""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


class Queries(list):
    @property
    def sql(self):
        return "\n".join(self)


@contextmanager
def count_queries():
    """Capture the statements that do work; SAVEPOINT/RELEASE are left out because they exist only
    because the test wraps everything in a transaction (in a request they are BEGIN/COMMIT)."""
    queries = Queries()
    with CaptureQueriesContext(connection) as context:
        yield queries
    queries.extend(q["sql"] for q in context.captured_queries if "SAVEPOINT" not in q["sql"])
