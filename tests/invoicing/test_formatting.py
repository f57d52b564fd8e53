"""Money formatting: the fast layout agrees with Babel's own `format_currency` for every currency and sign."""

from decimal import Decimal

from babel.numbers import format_currency
from hypothesis import given
from hypothesis import strategies as st

from invoicing.amounts import round_money
from invoicing.formatting import LOCALE, format_money

CURRENCIES = ["USD", "EUR", "JPY", "KWD", "BHD", "CLF", "ISK", "HUF", "VND", "TND", "CHF", "GBP"]


def babel_money(amount, currency, *, with_code):
    pattern = "#,##0.00 ¤¤" if with_code else "#,##0.00"
    value = round_money(Decimal(amount), currency)
    return format_currency(value, currency, format=pattern, locale=LOCALE, currency_digits=True)


@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False),
    currency=st.sampled_from(CURRENCIES),
    with_code=st.booleans(),
)
def test_format_money_agrees_with_babel(amount, currency, with_code):
    assert format_money(amount, currency, with_code=with_code) == babel_money(amount, currency, with_code=with_code)


def test_examples_as_people_read_them():
    assert format_money(Decimal("1234.5"), "USD") == "1,234.50 USD"
    assert format_money(Decimal("-1234.5"), "EUR", with_code=False) == "-1,234.50"
    assert format_money(Decimal("1234.4"), "JPY") == "1,234 JPY"
    assert format_money(Decimal("0.125"), "KWD") == "0.125 KWD"
    assert format_money(None, "USD") == ""
