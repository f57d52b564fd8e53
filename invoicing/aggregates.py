"""Sums of money and quantities that come back exact, as Decimals at their column's scale, on every engine.

SQLite keeps decimals as binary floats, and its SUM adds them as floats (0.1 + 0.2 ≠ 0.3). There, each
value is turned into a whole number of its smallest unit before it is added, so the sum is integer
arithmetic, and is scaled back when read. PostgreSQL adds exact numerics and is left as it is.
"""

from decimal import Decimal

from django.db.models import DecimalField, Func, Sum, Value
from django.db.models.functions import Coalesce


class ExactDecimalField(DecimalField):
    """The output of `exact_sum`: on SQLite the database answers in whole smallest units."""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if connection.vendor == "sqlite":
            return Decimal(int(value)).scaleb(-self.decimal_places)
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places))


class _SmallestUnits(Func):
    """A decimal expression as a whole number of its smallest unit (SQLite), unchanged elsewhere."""

    def __init__(self, expression, places):
        self.places = places
        super().__init__(expression, output_field=DecimalField(max_digits=28, decimal_places=places))

    def as_sql(self, compiler, connection, **extra_context):
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(ROUND(({sql}) * {10**self.places}) AS INTEGER)", params


def exact_field(places=2):
    return ExactDecimalField(max_digits=28, decimal_places=places)


def exact_sum(expression, places=2):
    """SUM(expression) as an exact Decimal with `places` decimals; 0 when there is nothing to add."""
    field = exact_field(places)
    return Coalesce(Sum(_SmallestUnits(expression, places), output_field=field), Value(0), output_field=field)


def exact_difference(left, right, places=2):
    """`left − right` of two `exact_sum` annotations, read the same way."""
    from django.db.models import ExpressionWrapper, F

    return ExpressionWrapper(F(left) - F(right), output_field=exact_field(places))
