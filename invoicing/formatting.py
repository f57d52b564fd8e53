"""Money and dates as people read them, in one place (ARCHITECTURE "Presentation"): thousands separated and the
currency's own minor unit (JPY has none), with the locale's symbols and the currency's digits from Babel.

A card shows hundreds of figures, and Babel's `format_currency` parses its pattern on every call (about
60 µs a figure, a third of a 200-line card): the locale's symbols and each currency's digits are looked up
once, and the figure is laid out by Python's own formatting. The test suite checks that both agree."""

import html
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import get_currency_precision
from django.core.signals import setting_changed
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format, get_format
from django.utils.translation import get_language

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


# ----------------------------------------------------------------------------- dates
# Django's `date_format` builds a formatter and looks the format up on every call (about 20 µs); a list shows
# two dates a row. The back office's date formats ("j M Y", config/formats) use only these characters, so the
# layout of a format is worked out once per language and filled in with plain string operations.
_DATE_PARTS = {
    "j": lambda d, months: str(d.day),
    "d": lambda d, months: f"{d.day:02d}",
    "n": lambda d, months: str(d.month),
    "m": lambda d, months: f"{d.month:02d}",
    "M": lambda d, months: months[d.month],
    "Y": lambda d, months: f"{d.year:04d}",
    "y": lambda d, months: f"{d.year % 100:02d}",
}


@lru_cache
def _date_layout(language, format_name):
    """[(part or None, literal text)] of a named date format in `language`; None when the format uses a
    character this does not lay out itself (Django then formats the date)."""
    fmt = get_format(format_name)
    if "\\" in fmt:
        return None
    layout = []
    for char in fmt:
        if char in _DATE_PARTS:
            layout.append((_DATE_PARTS[char], ""))
        elif char.isalpha():
            return None
        else:
            layout.append((None, char))
    months = {number: str(name).title() for number, name in MONTHS_3.items()}
    return layout, months


def _forget_date_layouts(*, setting, **kwargs):
    # As Django forgets its own formats when a test overrides them.
    if setting in ("FORMAT_MODULE_PATH", "LANGUAGE_CODE") or setting.endswith("_FORMAT"):
        _date_layout.cache_clear()


setting_changed.connect(_forget_date_layouts)


def format_date(value, format_name="DATE_FORMAT"):
    """A date as `django.utils.formats.date_format(value, format_name)` writes it: "22 Nov 2026"."""
    if value is None:
        return ""
    layout = _date_layout(get_language(), format_name)
    if layout is None:
        return date_format(value, format_name)
    parts, months = layout
    return "".join(part(value, months) if part else text for part, text in parts)


def html_text(value):
    """HTML of a value: safe HTML as it is, anything else escaped (the standard library's escape: Django's checks
    every argument for lazy text first, ~5 µs a call, which a 500-line table calls thousands of times)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))
