"""The bills and invoices lists' page: the totals of the rows shown, the rows rendered in one pass, and the
date hierarchy's periods found by index seeks (also on the payments list).

The admin's `items_for_result` works out, for every cell of every row, what its column is (a model field, an
admin method, a callable), its label and its link, and reverses the card's URL. A page of 50 documents spent
more time there than in everything else it does. `DocumentChangeList.rows_html` works each column out once per
page and renders the same cells; `tests/invoicing/test_list_rows.py` holds it to the admin's own output.
"""

import datetime
import html

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import F, Max, Min
from django.utils.safestring import mark_safe

from invoicing import selectors
from invoicing.formatting import format_date, html_text


class BackOfficeChangeList(ChangeList):
    def get_filters(self, request):
        self._check_the_period_chosen_ends()
        return super().get_filters(request)

    def chosen_year(self):
        """The year chosen in the date hierarchy, or None (none chosen, or not a year: the admin says so)."""
        try:
            year = int(self.params.get(f"{self.date_hierarchy}__year", ""))
        except ValueError:
            return None
        return year if datetime.MINYEAR <= year <= datetime.MAXYEAR else None

    def _check_the_period_chosen_ends(self):
        """The admin filters a chosen year, month or day up to the day after it, and 31 Dec 9999 has none: such a
        link goes back to the list with the admin's "bad filter" flag rather than to an error page."""
        year = self.chosen_year() if self.date_hierarchy else None
        if year is None:
            return
        month, day = self.params.get(f"{self.date_hierarchy}__month"), self.params.get(f"{self.date_hierarchy}__day")
        try:
            start = datetime.date(year, int(month or 1), int(day or 1))
        except ValueError:
            return  # not a date: the admin says so itself
        try:
            if day:
                start + datetime.timedelta(days=1)
            elif month:
                start + datetime.timedelta(days=32)  # how the admin reaches the next month
            else:
                start.replace(year=start.year + 1)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


class DocumentChangeList(BackOfficeChangeList):
    def get_results(self, request):
        super().get_results(request)
        self.currency_totals = selectors.page_totals(rows=self.result_list)  # of the rows shown, no query more

    def rows_html(self):
        """[HTML of a row's cells] for the page, as `items_for_result` renders them; None when a column or the
        page is of a kind this does not render (a model property as a column, a popup), and the admin's own
        rendering is then used."""
        if self.is_popup or self.to_field or self.formset is not None:
            return None
        columns = []
        link_seen = False
        for index, name in enumerate(self.list_display):
            render = self._column_renderer(name)
            if render is None:
                return None
            field_name = name if isinstance(name, str) else getattr(name, "__name__", f"{index}")
            # The first column that links to the card is the row's header cell (`items_for_result`).
            links = self._links_to_card(index, name)
            tag = "th" if links and not link_seen else "td"
            link_seen = link_seen or links
            columns.append((f"field-{field_name}", render, links, tag))
        rows = []
        suffix = None
        for document in self.result_list:
            cells = []
            for css, render, links, tag in columns:
                text, nowrap = render(document)
                classes = f"{css} nowrap" if nowrap else css
                if links:
                    url = document.get_absolute_url()
                    if suffix is None:  # the list's filters, kept for the way back: the same for every row
                        preserved = {"preserved_filters": self.preserved_filters, "opts": self.opts}
                        suffix = add_preserved_filters(preserved, url)[len(url) :]
                    text = f'<a href="{html.escape(url + suffix)}">{text}</a>'
                cells.append(f'<{tag} class="{classes}">{text}</{tag}>')
            rows.append(mark_safe("".join(cells)))
        return rows

    def _links_to_card(self, index, name):
        if self.list_display_links is None:
            return False
        if not self.list_display_links:
            return index == 0
        return name in self.list_display_links

    def _column_renderer(self, name):
        """document → (the cell's HTML, whether it is `nowrap`), as `lookup_field` and `items_for_result` do."""
        model_admin = self.model_admin
        empty = model_admin.get_empty_value_display()
        field = None
        if isinstance(name, str):
            try:
                field = self.lookup_opts.get_field(name)
            except FieldDoesNotExist:
                field = None
        if field is not None:
            # A column of the model's own data, or a foreign key by its name; anything else (the pk, a relation
            # seen from the other side, a key's `_id` column) is left to the admin.
            plain = not field.is_relation or (field.many_to_one and field.related_model and field.name == name)
            return self._field_renderer(field, empty) if plain and not field.auto_created else None
        if callable(name):
            method = name
        elif isinstance(name, str) and name != "__str__" and hasattr(model_admin, name):
            method = getattr(model_admin, name)
        else:
            return None  # a model attribute or property: the admin renders those
        empty = getattr(method, "empty_value_display", empty)
        boolean = getattr(method, "boolean", False)

        def render(document):
            value = method(document)
            nowrap = isinstance(value, (datetime.date, datetime.time))
            return html_text(display_for_value(value, empty, boolean)), nowrap

        return render

    @staticmethod
    def _field_renderer(field, empty):
        nowrap = isinstance(field, (models.DateField, models.TimeField, models.ForeignKey))
        if isinstance(field.remote_field, models.ManyToOneRel):

            def render(document):
                related = getattr(document, field.name)
                return html_text(empty if related is None else related), nowrap

            return render

        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField) and not field.choices:

            def render(document):
                value = getattr(document, field.attname)
                return (empty if value is None else format_date(value)), nowrap

            return render

        def render(document):
            return html_text(display_for_field(getattr(document, field.attname), field, empty)), nowrap

        return render


class DateHierarchyChangeList:
    """A `BackOfficeChangeList` as the admin's date hierarchy (`admin_list.date_hierarchy`) reads it, its
    queryset's years and months found by `selectors.periods_present` within the dates the list is known to hold:
    the year chosen, or the first and last dates the hierarchy has just read. Everything else is the list's own,
    and a list whose hierarchy is of moments (a DateTimeField: `datetimes`, not `dates`) is read the admin's
    way."""

    def __init__(self, changelist):
        self._changelist = changelist
        self.queryset = _ProbedDates(changelist.queryset, changelist.date_hierarchy, changelist.chosen_year())

    def __getattr__(self, name):
        return getattr(self._changelist, name)


class _ProbedDates:
    def __init__(self, queryset, field, year):
        self._queryset = queryset
        self._field = field
        self._range = (datetime.date(year, 1, 1), datetime.date(year, 12, 31)) if year else None

    def aggregate(self, **aggregates):
        found = self._queryset.aggregate(**aggregates)
        first, last = found.get("first"), found.get("last")
        # Remembered only when it is what it looks like: the first and last dates of the list's own field.
        if (
            self._reads_first_or_last(aggregates.get("first"), Min)
            and self._reads_first_or_last(aggregates.get("last"), Max)
            and type(first) is datetime.date
            and type(last) is datetime.date
        ):
            self._range = (first, last)
        return found

    def _reads_first_or_last(self, aggregate, kind):
        return (
            type(aggregate) is kind
            and aggregate.filter is None
            and aggregate.get_source_expressions()[0] == F(self._field)
        )

    def dates(self, field_name, kind, order="ASC"):
        if self._range is None or field_name != self._field or kind not in ("year", "month"):
            return self._queryset.dates(field_name, kind, order)
        first, last = self._range
        found = selectors.periods_present(queryset=self._queryset, field=field_name, kind=kind, first=first, last=last)
        return found[::-1] if order == "DESC" else found

    def __getattr__(self, name):
        return getattr(self._queryset, name)
