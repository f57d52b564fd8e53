"""Money as people read it, in one place (ARCHITECTURE "Presentation"): thousands separated and the
currency's own minor unit (JPY has none), with the locale's symbols and the currency's digits from Babel.

A card shows hundreds of figures, and Babel's `format_currency` parses its pattern on every call (about
60 µs a figure, a third of a 200-line card): the locale's symbols and each currency's digits are looked up
once, and the figure is laid out by Python's own formatting. The test suite checks that both agree."""

from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_precision

from invoicing.amounts import round_money

LOCALE = "en_US"


@lru_cache
def _symbols(locale):
    """Python's format characters → the locale's: group, decimal and minus signs."""
    symbols = Locale.parse(locale).number_symbols["latn"]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]})


@lru_cache
def _places(currency):
    return get_currency_precision(currency)


def format_money(amount, currency, *, with_code=True):
    """1234.5 USD → "1,234.50 USD"; 1234 JPY → "1,234 JPY"; None → ""."""
    if amount in (None, ""):
        return ""
    code = str(currency)
    places = _places(code)
    value = round_money(Decimal(amount), code).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    text = format(value, f",.{places}f").translate(_symbols(LOCALE))
    return f"{text} {code}" if with_code else text
