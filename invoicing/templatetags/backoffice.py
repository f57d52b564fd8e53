"""Template helpers of the back office."""

from decimal import Decimal

from django import template
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

from invoicing import selectors
from invoicing.formatting import format_money

register = template.Library()


@register.simple_tag
def options_once(choices):
    """The <option>s of a choice list, rendered once per page (not once per line)."""
    return format_html_join("", '<option value="{}">{}</option>', choices)


@register.simple_tag
def with_selected(options, value):
    """`options` (from `options_once`) with `value` selected: a string edit, not a template render per line."""
    if value in (None, ""):
        return options
    marker = f'<option value="{escape(value)}">'
    return mark_safe(str(options).replace(marker, f'<option value="{escape(value)}" selected>', 1))


@register.filter
def money(amount, currency):
    """`{{ amount|money:document.currency }}`: "1,234.50 USD", "1,234 JPY" (see invoicing.formatting)."""
    return format_money(amount, currency)


@register.filter
def amount(value, currency):
    """`{{ value|amount:currency }}`: the same figure without the currency code, for table cells."""
    return format_money(value, currency, with_code=False)


@register.filter
def taxes_of(line):
    """The names of a line's (prefetched) taxes: "VAT 20%, Eco levy 1%"."""
    return ", ".join(tax.name for tax in line.taxes.all()) if line is not None else ""


@register.filter
def number(value):
    """A quantity, discount or rate as a person writes it: 5.000 → "5", 2.500 → "2.5", 10 → "10"."""
    if value in (None, ""):
        return ""
    return f"{Decimal(value).normalize():f}"


@register.filter
def status_words(document):
    """What a document's status says (SPEC 4 "Paid and settled"), see `selectors.status_words`."""
    return selectors.status_words(document=document)


@register.filter
def sign(value):
    """ "negative" for an amount below zero: the class that makes it visible as such."""
    try:
        return "negative" if Decimal(value) < 0 else ""
    except (TypeError, ValueError, ArithmeticError):
        return ""
