"""Report pages of the back office: partner balances, the debt and payment calendar, and the open
documents behind their figures. Figures come from `invoicing.selectors` (aggregated in SQL); these
views parse filters, page the rows and lay out the chart.

Mounted by `BackOfficeSite.get_urls()` behind `admin_view` (staff only); anyone who may view documents
(accountants, reviewers) may read them.
"""

import csv
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from invoicing import selectors
from invoicing.aggregates import exact_sum
from invoicing.amounts import round_money
from invoicing.forms import BoundedDateField
from invoicing.models import Company, Kind, Partner

ROWS_PER_PAGE = 50


def _require_viewer(request):
    if not request.user.has_perm("invoicing.view_document"):
        raise PermissionDenied


def _page_context(request, title, **context):
    return {**admin.site.each_context(request), "title": title, **context}


def _url(name, **params):
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return reverse(f"admin:{name}") + (f"?{query}" if query else "")


class _DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    company = forms.ModelChoiceField(Company.objects.all(), required=False, empty_label="All companies")
    partner = forms.ModelChoiceField(Partner.objects.all(), required=False, empty_label="All partners")
    currency = forms.ChoiceField(
        choices=[("", "All currencies"), *((code, code) for code in settings.CURRENCIES)], required=False
    )

    def filters(self):
        """The valid filters as selector arguments; an invalid filter is shown and left out."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.fields if name not in self.errors}

    def params(self):
        """The filters as query parameters, for the links out of the page."""
        values = self.filters()
        return {
            name: getattr(value, "pk", value.isoformat() if hasattr(value, "isoformat") else value)
            for name, value in values.items()
            if value is not None
        }


class CalendarFilterForm(ReportFilterForm):
    date_from = BoundedDateField(label="Due from", required=False, widget=_DateInput)
    date_to = BoundedDateField(label="Due until", required=False, widget=_DateInput)
    bucket = forms.ChoiceField(choices=[("week", "Weeks"), ("day", "Days")], required=False)

    MAX_PERIOD = timedelta(days=731)

    def clean(self):
        # A bounded page: at most two years of rows (and of chart) per currency.
        cleaned = super().clean()
        start = cleaned.get("date_from") or timezone.localdate()
        end = cleaned.get("date_to")
        if end and end - start > self.MAX_PERIOD:
            self.add_error("date_to", "Choose a period of at most two years; later balances show under “Later”.")
        return cleaned


class OpenDocumentsFilterForm(ReportFilterForm):
    kind = forms.ChoiceField(choices=[("", "Bills and invoices"), *Kind.choices], required=False)
    overdue = forms.ChoiceField(
        choices=[("", "Any due date"), ("1", "Overdue only"), ("0", "Not yet due")], required=False
    )
    due_from = BoundedDateField(label="Due from", required=False, widget=_DateInput)
    due_to = BoundedDateField(label="Due until", required=False, widget=_DateInput)


# ----------------------------------------------------------------------------- partner balances
BALANCE_COLUMNS = [
    # key, label, kind of the documents behind the figure, overdue only
    ("receivable", "Receivable", Kind.INVOICE, None),
    ("payable", "Payable", Kind.BILL, None),
    ("net", "Net", None, None),
    ("overdue_receivable", "Overdue receivable", Kind.INVOICE, "1"),
    ("overdue_payable", "Overdue payable", Kind.BILL, "1"),
]
TEXT_COLUMNS = [("partner", "Partner"), ("company", "Company"), ("currency", "Currency")]


def _sort_headers(order, params):
    """Column headers that sort by themselves on click, flipping direction when already sorted."""
    current = order[0] if order else "partner"
    headers = []
    for key, label in TEXT_COLUMNS + [(key, label) for key, label, _, _ in BALANCE_COLUMNS]:
        sorted_here = current.lstrip("-") == key
        descending = sorted_here and current.startswith("-")
        next_order = f"-{key}" if sorted_here and not descending else key
        headers.append(
            {
                "label": label,
                "url": _url("report_partner_balances", **params, o=next_order),
                "sorted": sorted_here,
                "descending": descending,
                "numeric": key not in dict(TEXT_COLUMNS),
            }
        )
    return headers


def partner_balances_view(request):
    _require_viewer(request)
    form = ReportFilterForm(request.GET or None)
    filters, params = form.filters(), form.params()
    requested = request.GET.get("o", "partner")
    order = [requested] if requested.lstrip("-") in selectors.BALANCE_ORDER_FIELDS else ["partner"]
    balances, balance_totals = selectors.partner_balance_report(**filters, order=order)
    page = Paginator(balances, ROWS_PER_PAGE).get_page(request.GET.get("p"))
    sorted_by = {**params, "o": order[0]}
    rows = []
    for row in page.object_list:
        scope = {"partner": row["partner_id"], "company": row["company_id"], "currency": row["currency"]}
        cells = [
            {"value": row[key], "url": _url("report_open_documents", **scope, kind=kind, overdue=overdue)}
            for key, _, kind, overdue in BALANCE_COLUMNS
        ]
        rows.append(
            {
                **row,
                "cells": cells,
                "calendar_url": _url("report_payment_calendar", **scope),
                "statement_url": _url("report_partner_statement", **scope),
            }
        )
    totals = [
        {
            "currency": total["currency"],
            "cells": [
                {
                    "value": total[key],
                    "url": _url(
                        "report_open_documents", **{**params, "currency": total["currency"]}, kind=kind, overdue=over
                    ),
                }
                for key, _, kind, over in BALANCE_COLUMNS
            ],
        }
        for total in balance_totals
    ]
    context = _page_context(
        request,
        "Partner balances",
        form=form,
        headers=_sort_headers(order, params),
        extra_params=[("o", order[0])],
        rows=rows,
        totals=totals,
        page=page,
        page_urls={
            "previous": page.has_previous() and _url("report_partner_balances", **sorted_by, p=page.number - 1),
            "next": page.has_next() and _url("report_partner_balances", **sorted_by, p=page.number + 1),
        },
    )
    return TemplateResponse(request, "invoicing/reports/partner_balances.html", context)


# ----------------------------------------------------------------------------- calendar
CHART_HEIGHT = 240
CHART_SLOT = 44
CHART_LEFT = 100
CHART_TOP = 16


def _chart_value_label(amount, currency):
    """An axis label in the chart's currency: "12,500 USD" (whole units, thousands separated)."""
    return f"{amount:,.0f} {currency}"


def _bar(x, value, zero_y, y):
    """A bar from the zero line to `value`: above the axis when positive, below it when negative."""
    top = y(value)
    return {
        "x": x,
        "y": min(top, zero_y),
        "height": round(abs(zero_y - top), 1),
        "negative": value < 0,
        "value": value,
    }


def cashflow_chart(calendar):
    """Geometry of the weekly cash-flow chart of one currency, drawn by the template as inline SVG.

    Incoming bars rise from the zero line, outgoing bars fall from it; a negative figure (refunds larger
    than payments) is drawn on the other side of the axis. The line is the cumulative net. The open-ended
    Later bucket is left out: it has no week to stand on.
    """
    buckets = [b for b in calendar.buckets if b.end is not None]
    scale_max = max(
        [abs(b.incoming) for b in buckets] + [abs(b.outgoing) for b in buckets] + [abs(b.cumulative) for b in buckets]
    )
    scale_max = scale_max or Decimal("1")
    half = CHART_HEIGHT / 2
    zero_y = CHART_TOP + half

    def y(amount):
        return round(zero_y - float(amount / scale_max) * half, 1)

    slots, points = [], []
    for index, b in enumerate(buckets):
        x = CHART_LEFT + index * CHART_SLOT
        slots.append(
            {
                "x": x,
                "incoming": _bar(x + 6, b.incoming, zero_y, y),
                "outgoing": _bar(x + 22, -b.outgoing, zero_y, y),
                "label": "Overdue" if b.is_overdue else date_format(b.start, "MONTH_DAY_FORMAT"),
                "label_x": x + CHART_SLOT / 2,
                "bucket": b,
            }
        )
        points.append(f"{x + CHART_SLOT / 2},{y(b.cumulative)}")
    width = CHART_LEFT + len(buckets) * CHART_SLOT + 16
    return {
        "currency": calendar.currency,
        "width": width,
        "height": CHART_TOP + CHART_HEIGHT + 40,
        "zero_y": zero_y,
        "top_y": CHART_TOP,
        "bottom_y": CHART_TOP + CHART_HEIGHT,
        "axis_x": CHART_LEFT - 4,
        "label_y": CHART_TOP + CHART_HEIGHT + 16,
        "right_x": width - 8,
        "max_label": _chart_value_label(scale_max, calendar.currency),
        "min_label": _chart_value_label(-scale_max, calendar.currency),
        "slots": slots,
        "points": " ".join(points),
    }


def _bucket_links(bucket, scope):
    """Where each figure of a bucket leads: the open documents due in it."""
    if bucket.is_overdue:
        due = {"overdue": "1"}
    else:
        due = {
            "due_from": bucket.start.isoformat() if bucket.start else None,
            "due_to": bucket.end.isoformat() if bucket.end else None,
        }
    return {
        "incoming": _url("report_open_documents", **scope, **due, kind=Kind.INVOICE),
        "outgoing": _url("report_open_documents", **scope, **due, kind=Kind.BILL),
        "net": _url("report_open_documents", **scope, **due),
    }


def payment_calendar_view(request):
    _require_viewer(request)
    form = CalendarFilterForm(request.GET or None)
    filters = form.filters()
    bucket = filters.pop("bucket", None) or "week"
    params = {key: value for key, value in form.params().items() if key not in ("date_from", "date_to", "bucket")}
    today = timezone.localdate()
    filters["date_to"] = filters.get("date_to") or today + timedelta(weeks=12)
    # The chart is always weekly; with daily rows it needs the weekly figures too, from the same queries.
    calendars_by_bucket = selectors.payment_calendars(**filters, buckets=(bucket, "week"), today=today)
    calendars, weekly = calendars_by_bucket[bucket], calendars_by_bucket["week"]
    sections = []
    charts = {chart["currency"]: chart for chart in map(cashflow_chart, weekly)}
    for calendar in calendars:
        scope = {**params, "currency": calendar.currency}
        rows = [{"bucket": b, "links": _bucket_links(b, scope)} for b in calendar.buckets]
        sections.append({"calendar": calendar, "rows": rows, "chart": charts.get(calendar.currency)})
    context = _page_context(
        request,
        "Debt and payment calendar",
        form=form,
        sections=sections,
        bucket=bucket,
        today=today,
        date_to=filters["date_to"],
        balances_url=_url("report_partner_balances", **params),
    )
    return TemplateResponse(request, "invoicing/reports/payment_calendar.html", context)


# ----------------------------------------------------------------------------- drill-down
def open_documents_view(request):
    _require_viewer(request)
    form = OpenDocumentsFilterForm(request.GET or None)
    filters = form.filters()
    overdue = filters.pop("overdue", None)
    filters["overdue"] = {"1": True, "0": False}.get(overdue)
    today = timezone.localdate()
    documents = selectors.open_documents(**filters, today=today)
    page = Paginator(documents, ROWS_PER_PAGE).get_page(request.GET.get("p"))
    totals = [
        {"currency": row["currency"], "total": round_money(row["total"], row["currency"])}
        for row in documents.select_related(None).order_by().values("currency").annotate(total=exact_sum("balance_due"))
    ]
    params = form.params()
    rows = [
        {
            "document": document,
            "days_overdue": (today - document.due).days if document.due < today else None,
        }
        for document in page.object_list
    ]
    context = _page_context(
        request,
        "Open documents",
        form=form,
        rows=rows,
        totals=sorted(totals, key=lambda row: row["currency"]),
        page=page,
        page_urls={
            "previous": page.has_previous() and _url("report_open_documents", **params, p=page.number - 1),
            "next": page.has_next() and _url("report_open_documents", **params, p=page.number + 1),
        },
        balances_url=_url("report_partner_balances"),
        calendar_url=_url("report_payment_calendar"),
    )
    return TemplateResponse(request, "invoicing/reports/open_documents.html", context)


# ----------------------------------------------------------------------------- partner statement
class StatementFilterForm(forms.Form):
    partner = forms.ModelChoiceField(Partner.objects.all(), empty_label="Choose a partner")
    company = forms.ModelChoiceField(Company.objects.all(), empty_label="Choose a company")
    currency = forms.ChoiceField(choices=[("", "Choose a currency"), *((code, code) for code in settings.CURRENCIES)])
    date_from = forms.DateField(label="From", required=False, widget=_DateInput)
    date_to = forms.DateField(label="Until", required=False, widget=_DateInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The period ends before it starts.")
        return cleaned

    def statement_arguments(self):
        """The selector's arguments when the filters are valid, else None (the page shows what to fix)."""
        if not self.is_bound or not self.is_valid():
            return None
        data = self.cleaned_data
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        return {
            "partner": data["partner"],
            "company": data["company"],
            "currency": data["currency"],
            "date_from": data.get("date_from") or date_to.replace(month=1, day=1),
            "date_to": date_to,
        }


def _statement_form(request):
    return StatementFilterForm(request.GET or None)


def _statement_params(arguments):
    return {
        "partner": arguments["partner"].pk,
        "company": arguments["company"].pk,
        "currency": arguments["currency"],
        "date_from": arguments["date_from"].isoformat(),
        "date_to": arguments["date_to"].isoformat(),
    }


def partner_statement_view(request):
    _require_viewer(request)
    form = _statement_form(request)
    arguments = form.statement_arguments()
    statement = selectors.partner_statement(**arguments) if arguments else None
    params = _statement_params(arguments) if arguments else {}
    context = _page_context(
        request,
        "Partner statement",
        form=form,
        statement=statement,
        print_url=_url("report_partner_statement_print", **params) if statement else None,
        csv_url=_url("report_partner_statement_csv", **params) if statement else None,
        balances_url=_url("report_partner_balances", **{k: params.get(k) for k in ("partner", "company", "currency")}),
    )
    return TemplateResponse(request, "invoicing/reports/partner_statement.html", context)


def partner_statement_print_view(request):
    """The statement as a printable page (the browser's Print → PDF gives the PDF)."""
    _require_viewer(request)
    arguments = _statement_form(request).statement_arguments()
    if arguments is None:
        return HttpResponse("Choose a partner, a company and a currency.", status=400, content_type="text/plain")
    context = {"statement": selectors.partner_statement(**arguments), "today": timezone.localdate()}
    return TemplateResponse(request, "invoicing/reports/partner_statement_print.html", context)


def partner_statement_csv_view(request):
    _require_viewer(request)
    arguments = _statement_form(request).statement_arguments()
    if arguments is None:
        return HttpResponse("Choose a partner, a company and a currency.", status=400, content_type="text/plain")
    statement = selectors.partner_statement(**arguments)
    response = HttpResponse(content_type="text/csv")
    name = f"statement-{statement.partner.pk}-{statement.currency}-{statement.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["Date", "Movement", "Description", "Reference", "Amount", "Allocated", "Balance", "Currency"])
    writer.writerow([statement.date_from, "Opening balance", "", "", "", "", statement.opening, statement.currency])
    for row in statement.rows:
        writer.writerow(
            [row.date, _csv_text(row.what), _csv_text(row.description), _csv_text(row.reference), row.amount,
             "" if row.allocated is None else row.allocated, row.balance, statement.currency]
        )  # fmt: skip
    writer.writerow([statement.date_to, "Closing balance", "", "", "", "", statement.closing, statement.currency])
    return response


def _csv_text(value):
    """Typed names made safe for spreadsheets (a leading = + - @ would run as a formula)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
