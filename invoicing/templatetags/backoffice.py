"""Template helpers of the back office."""

from django import template
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

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
