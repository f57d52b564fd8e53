"""Template helpers of the back office."""

import html
from decimal import Decimal

from django import forms, template
from django.contrib.admin.templatetags import admin_list
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from invoicing import selectors
from invoicing.changelist import DateHierarchyChangeList
from invoicing.formatting import format_date, format_money, html_text

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


def _attrs(attrs):
    """` name="value"` pairs (a boolean attribute alone when True, left out when False or None)."""
    out = []
    for name, value in attrs.items():
        if value is True:
            out.append(f" {name}")
        elif value is not False and value is not None:
            out.append(f' {name}="{html.escape(str(value))}"')
    return "".join(out)


def _widget_html(field, name, attrs, value):
    """The HTML of a form field's widget (an <input>, a checkbox or checkboxes) named `name` with `attrs` and
    `value`, as the widget's template renders it, without a template render (a 500-line editor has ~4,000).
    Plain <input>s: the editor works without JavaScript."""
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple):
        chosen = {str(v) for v in (value or ())}
        base_id = attrs.pop("id", None)
        boxes = []
        for index, (choice, label) in enumerate(field.choices):
            box = {**attrs, "id": f"{base_id}_{index}" if base_id else None, "value": choice}
            box["checked"] = str(choice) in chosen
            boxes.append(f'<label><input type="checkbox" name="{html.escape(name)}"{_attrs(box)}> '
                         f"{html.escape(str(label))}</label>")  # fmt: skip
        return "".join(boxes)
    if isinstance(widget, forms.CheckboxInput):
        attrs["checked"] = widget.check_test(value)
    attrs["value"] = widget.format_value(value)
    return f'<input type="{widget.input_type}" name="{html.escape(name)}"{_attrs(attrs)}>'


def _input_html(field):
    """A bound field's input(s) (see `_widget_html`)."""
    widget = field.field.widget
    attrs = field.build_widget_attrs(widget.build_attrs(widget.attrs, {"id": field.auto_id} if field.auto_id else {}))
    return _widget_html(field.field, field.html_name, attrs, field.value())


@register.simple_tag
def plain_input(field):
    """`{% plain_input form.quantity %}`: the field's <input>(s), without a template render (see `_input_html`)."""
    return mark_safe(_input_html(field))


_LINE_INPUTS = ("id", "position", "description", "quantity", "unit_price", "discount", "taxes", "DELETE")


def _line_row_html(inputs, item_select, total, errors):
    cells = [
        f"<td>{inputs['id']}{inputs['position']}</td>",
        f"<td>{item_select}</td>",
        f"<td>{inputs['description']}</td>",
        *(f'<td class="num">{inputs[name]}</td>' for name in ("quantity", "unit_price", "discount")),
        f'<td class="line-taxes">{inputs["taxes"]}</td>',
        f'<td class="num line-total">{"—" if total in (None, "") else html.escape(str(total))}</td>',
        f"<td>{inputs['DELETE']}</td>",
    ]
    row = f'<tr class="line-row{" errors" if errors else ""}">{"".join(cells)}</tr>'
    if errors:
        messages = " ".join(
            f'<span class="errorlist">{html.escape(str(e))}</span>' for es in errors.values() for e in es
        )
        row += f'<tr class="line-errors"><td colspan="9">{messages} </td></tr>'
    return row


def _item_select(name, auto_id, item_options, value):
    """The item <select>: the page's <option>s (`options_once`) with this line's item selected."""
    return (f'<select name="{html.escape(name)}" id="{html.escape(auto_id)}" aria-label="Item">'
            f"{with_selected(item_options, value)}</select>")  # fmt: skip


@register.simple_tag
def line_row(form, item_options, total=None):
    """One row of the lines editor from a form (with its errors), built in one pass: plain inputs and the page's
    item <option>s with this line's item selected. No template render per row or per widget."""
    item = form["item"]
    inputs = {name: _input_html(form[name]) for name in _LINE_INPUTS}
    return mark_safe(_line_row_html(inputs, _item_select(item.html_name, item.auto_id, item_options, item.value()),
                                    total, form.errors))  # fmt: skip


@register.simple_tag
def line_rows(formset, item_options, totals=()):
    """`{% line_rows lines_editor item_options line_totals %}`: every row of the lines editor, `totals` the
    stored lines' totals. A posted formset's rows come from its forms (their values and errors, `line_row`).
    One that was not posted holds nothing but its initial data, and its rows are built from that: each field's
    widget and attributes are looked up once, on the empty form, instead of on a form per line (each form
    deep-copies its fields: a fifth of a 500-line editor)."""
    if formset.is_bound:
        return mark_safe("".join(line_row(form, item_options) for form in formset.forms))
    shared = formset.empty_form
    fields = {name: shared.fields[name] for name in _LINE_INPUTS}
    widget_attrs = {name: field.widget.build_attrs(field.widget.attrs) for name, field in fields.items()}
    initial_count = formset.initial_form_count()
    rows = []
    for index in range(formset.total_form_count()):
        initial = formset.initial[index] if index < initial_count else {}
        prefix = formset.add_prefix(index)
        inputs = {}
        for name, field in fields.items():
            html_name = f"{prefix}-{name}"
            attrs = {**widget_attrs[name], "id": shared.auto_id % html_name}
            inputs[name] = _widget_html(field, html_name, attrs, field.prepare_value(_initial(initial, name, field)))
        item_name = f"{prefix}-item"
        item = shared.fields["item"].prepare_value(_initial(initial, "item", shared.fields["item"]))
        select = _item_select(item_name, shared.auto_id % item_name, item_options, item)
        total = totals[index] if index < len(totals) else None
        rows.append(_line_row_html(inputs, select, total, {}))
    return mark_safe("".join(rows))


def _initial(initial, name, field):
    """What a form shows in an unbound field (`Form.get_initial_for_field`)."""
    value = initial.get(name, field.initial)
    return value() if callable(value) else value


def _number_text(value):
    return "" if value in (None, "") else f"{Decimal(value).normalize():f}"


_FIGURES = {3, 4, 5, 7, 8}  # the right-aligned cells of a read-only line


@register.simple_tag
def posted_line_rows(rows, currency):
    """`{% posted_line_rows card.lines currency %}`: the read-only lines table's rows, built in one pass (no
    template render per cell): position, item, description, quantity, unit price, discount, taxes, untaxed,
    total, then the extensions' cells (returned quantities…)."""
    out = []
    for row in rows:
        line = row["line"]
        cells = [
            html_text(line.position),
            html_text(line.item.name if line.item_id else ""),
            html_text(line.description),
            _number_text(line.quantity),
            format_money(line.unit_price, currency, with_code=False),
            _number_text(line.discount),
            html_text(", ".join(tax.name for tax in row["taxes"])),
            format_money(line.amount_untaxed, currency, with_code=False),
            format_money(line.amount_total, currency, with_code=False),
        ]
        html_cells = [f'<td class="num">{c}</td>' if i in _FIGURES else f"<td>{c}</td>" for i, c in enumerate(cells)]
        html_cells += [f'<td class="num">{html_text(cell)}</td>' for cell in row["extra"]]
        out.append(f"<tr>{''.join(html_cells)}</tr>")
    return mark_safe("\n".join(out))


@register.simple_tag
def readonly_fieldsets(adminform):
    """`{% readonly_fieldsets adminform %}`: a read-only card's fieldsets in the markup of the admin's
    `admin/includes/fieldset.html`. A fieldset whose lines are each one read-only field is built here in one pass
    (the admin's template builds each field's helper twice and tests a dozen conditions per field: ~2 ms of a 17 ms
    posted card); any other (an editable field, several fields on a line) is rendered by the admin's template."""
    out = []
    for index, fieldset in enumerate(adminform):
        lines = [(line, list(line)) for line in fieldset]
        if all(len(fields) == 1 and fields[0].is_readonly for _line, fields in lines):
            out.append(_readonly_fieldset_html(fieldset, index, lines))
        else:
            context = {"fieldset": fieldset, "heading_level": 2, "prefix": "fieldset", "id_prefix": 0}
            context["id_suffix"] = index  # as change_form.html numbers its fieldsets
            out.append(render_to_string("admin/includes/fieldset.html", context))
    return mark_safe("\n".join(out))


def _readonly_fieldset_html(fieldset, index, lines):
    heading = f"fieldset-0-{index}-heading"  # the ids change_form.html gives its fieldsets
    labelled = f' aria-labelledby="{heading}"' if fieldset.name else ""
    out = [f'<fieldset class="module aligned {html.escape(fieldset.classes)}"{labelled}>']
    if fieldset.name:
        title = f'<h2 id="{heading}" class="fieldset-heading">{html_text(fieldset.name)}</h2>'
        out.append(f"<details><summary>{title}</summary>" if fieldset.is_collapsible else title)
    if fieldset.description:  # trusted HTML, as the admin's template marks it safe
        out.append(f'<div class="description">{fieldset.description}</div>')
    for line, (field,) in lines:
        about = field.field  # the admin's dict of the field: name, label, help_text, is_hidden
        row_class = "form-row" + ("" if line.has_visible_field else " hidden")
        if about["name"]:
            row_class += f" field-{about['name']}"
        help_html = ""
        if about["help_text"]:  # trusted HTML, as the admin's template marks it safe
            hidden = " hidden" if about["is_hidden"] else ""
            help_html = f'<div class="help{hidden}"><div>{about["help_text"]}</div></div>'
        out.append(
            f'<div class="{html.escape(row_class)}"><div><div class="flex-container">{field.label_tag()}'
            f'<div class="readonly">{field.contents()}</div></div>{help_html}</div></div>'
        )
    if fieldset.name and fieldset.is_collapsible:
        out.append("</details>")
    out.append("</fieldset>")
    return "".join(out)


@register.inclusion_tag("admin/change_list_results.html")
def document_result_list(cl):
    """The admin's `{% result_list cl %}`, each row's cells from `DocumentChangeList.rows_html` in one piece."""
    rows = cl.rows_html()
    if rows is None:
        return admin_list.result_list(cl)
    headers = list(admin_list.result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(admin_list.result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": [[row] for row in rows],
    }


@register.inclusion_tag("admin/date_hierarchy.html")
def list_date_hierarchy(cl):
    """The admin's `{% date_hierarchy cl %}`, its years and months found by an index seek each
    (`DateHierarchyChangeList`); always the default template (no per-model `date_hierarchy.html` is looked for)."""
    return admin_list.date_hierarchy(DateHierarchyChangeList(cl))


# (sections, links of the current page, language) -> the sidebar's HTML. The sections are the site's, built once
# per set of permissions (`BackOfficeSite.get_app_list`) and kept alive here, so their id stays theirs.
_NAVIGATION = {}


@register.simple_tag(takes_context=True)
def navigation_sections(context):
    """The sidebar's `admin/app_list.html`, which every page renders (~1.5 ms of a 17 ms card): the same HTML
    for the same sections, the same links marked current (those in the page's path, as the template tests
    them) and the same language, so rendered once for them."""
    sections, request = context.get("available_apps") or [], context["request"]
    path = urlencode(request.path)
    current = tuple(
        url
        for app in sections
        for url in (app.get("app_url"), *(model.get("admin_url") for model in app["models"]))
        if url and url in path
    )
    key = (id(sections), current, get_language())
    found = _NAVIGATION.get(key)
    if found is None:
        if len(_NAVIGATION) > 1024:  # sections × pages × languages are few; a bound all the same
            _NAVIGATION.clear()
        context = {"app_list": sections, "show_changelinks": False, "request": request}
        found = _NAVIGATION[key] = (sections, mark_safe(render_to_string("admin/app_list.html", context)))
    return found[1]


@register.simple_tag
def debt_rows(debt):
    """`{% debt_rows debt %}`: the Debt tab's rows, built in one pass (a chain of 200 corrections is 200 rows):
    the document's total, then each row signed as it moves the balance due."""
    rows = []
    for index, row in enumerate(debt.rows):
        label = html_text(row.label)
        if row.url:
            label = f'<a href="{html.escape(row.url)}">{label}</a>'
        sign = "+" if index and row.amount >= 0 else ""
        rows.append(
            f"<tr><td>{label}</td><td>{html_text(row.reference)}</td><td>{format_date(row.date)}</td>"
            f'<td class="num">{sign}{format_money(row.amount, debt.currency)}</td></tr>'
        )
    return mark_safe("\n".join(rows))


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
