"""Money as people read it, in one place (ARCHITECTURE "Presentation"): thousands separated and the
currency's own minor unit (JPY has none), through Babel."""

from decimal import Decimal

from babel.numbers import format_currency

from invoicing.amounts import round_money

LOCALE = "en_US"


def format_money(amount, currency, *, with_code=True):
    """1234.5 USD → "1,234.50 USD"; 1234 JPY → "1,234 JPY"; None → ""."""
    if amount in (None, ""):
        return ""
    value = round_money(Decimal(amount), str(currency))
    pattern = "#,##0.00 ¤¤" if with_code else "#,##0.00"
    return format_currency(value, str(currency), format=pattern, locale=LOCALE, currency_digits=True)
