"""Money and date formatting: the fast layouts agree with Babel's `format_currency` for every currency and sign,
and with Django's `date_format` for every date and format the back office uses."""

from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from django.utils.formats import date_format
from django.utils.translation import override
from hypothesis import given
from hypothesis import strategies as st

from invoicing.amounts import round_money
from invoicing.formatting import LOCALE, format_date, format_money

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


FORMATS = [
    "DATE_FORMAT",
    "SHORT_DATE_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
    "d/m/y n",
    "j M Y",
    "D j M Y",
    r"j \d\e F",
]


@given(
    day=st.dates(min_value=date(1, 1, 1)), format_name=st.sampled_from(FORMATS), language=st.sampled_from(["en", "fr"])
)
def test_format_date_agrees_with_django(day, format_name, language):
    with override(language):
        assert format_date(day, format_name) == date_format(day, format_name)


def test_dates_as_people_read_them():
    assert format_date(date(2026, 11, 2)) == "2 Nov 2026"
    assert format_date(date(2026, 11, 2), "SHORT_DATE_FORMAT") == "2 Nov 2026"
    assert format_date(None) == ""
