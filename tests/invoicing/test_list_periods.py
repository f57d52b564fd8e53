"""The lists' date hierarchy finds its months and years with an index seek each (`selectors.periods_present`),
or, over a span too long to probe, reads them off the date's text in SQL: the same answer as Django's."""

from datetime import date

import pytest
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from invoicing import selectors
from invoicing.models import Invoice, Payment, PaymentKind, PaymentMethod
from invoicing.templatetags.backoffice import list_date_hierarchy
from tests import factories

DAYS = [date(1999, 7, 4), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 15), date(2026, 3, 2), date(2999, 12, 1)]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["year", "month"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_months_and_years_of_the_lists_are_the_ones_django_finds(kind, order):
    for day in DAYS:
        factories.invoice(date=day)
    invoices = Invoice.objects.all()
    assert list(invoices.dates("date", kind, order)) == list(models.QuerySet.dates(invoices, "date", kind, order))
    assert len(invoices.dates("date", kind, order)) == (4 if kind == "year" else 5)


@pytest.mark.django_db
def test_the_payments_list_has_the_same_periods():
    document = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00")]))
    method = PaymentMethod.objects.create(name="Transfer")
    for day in (date(2026, 1, 5), date(2026, 2, 5)):
        Payment.objects.create(document=document, kind=PaymentKind.PAYMENT, method=method, amount=1, date=day,
                               currency=document.currency)  # fmt: skip
    payments = Payment.objects.all()
    assert list(payments.dates("date", "month")) == list(models.QuerySet.dates(payments, "date", "month"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["year", "month"])
@pytest.mark.parametrize(
    "first, last",
    [
        (date(2025, 12, 31), date(2026, 3, 2)),  # February has no invoice: its probe finds nothing
        (date(2026, 1, 1), date(2026, 1, 15)),
        (date(1999, 7, 4), date(2999, 12, 1)),  # too long a span to probe: read the plain way
    ],
)
def test_the_periods_present_are_the_ones_django_finds(kind, first, last):
    for day in DAYS:
        factories.invoice(date=day)
    invoices = Invoice.objects.filter(date__range=(first, last))

    found = selectors.periods_present(queryset=invoices, field="date", kind=kind, first=first, last=last)

    assert found == list(models.QuerySet.dates(invoices, "date", kind))


@pytest.mark.django_db
def test_an_empty_list_has_no_periods():
    found = selectors.periods_present(
        queryset=Invoice.objects.all(), field="date", kind="month", first=date(2026, 1, 1), last=date(2026, 12, 31)
    )
    assert found == []


def hierarchy_queries(render, changelist):
    with CaptureQueriesContext(connection) as queries:
        shown = render(changelist)
    return shown, [query["sql"] for query in queries]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "days, query, probed",
    [
        (DAYS[2:5], "", True),  # one year: its months, within the first and last dates read
        (DAYS[2:5], "?date__year=2026", True),
        (DAYS, "?date__year=2026&status__exact=draft", True),
        (DAYS[1:5], "", True),  # two years: the years
        (DAYS, "", False),  # a thousand years: read the plain way
        (DAYS, "?date__year=2026&date__month=1", False),  # the days of a month: the admin's own
    ],
)
def test_the_lists_date_hierarchy_is_the_admins_in_no_more_queries(client, days, query, probed):
    for day in days:
        factories.invoice(date=day)
    client.force_login(factories.reviewer())
    with CaptureQueriesContext(connection) as page_queries:
        response = client.get(reverse("admin:invoicing_invoice_changelist") + query)
    assert response.status_code == 200
    changelist = response.context["cl"]

    ours, our_queries = hierarchy_queries(list_date_hierarchy, changelist)
    admins, admin_queries = hierarchy_queries(date_hierarchy, changelist)

    assert ours == admins
    assert len(our_queries) == len(admin_queries)
    html = response.content.decode()
    for choice in ours["choices"]:  # the page shows this hierarchy: its links, not only the dates of its rows
        assert f'<a href="{escape(choice["link"])}">{choice["title"]}</a>' in html
    assert probed == any("period_0" in query["sql"] for query in page_queries)
    assert probed == all("DISTINCT" not in query["sql"] for query in page_queries)


@pytest.mark.django_db
def test_the_payments_list_finds_its_months_by_probes(client):
    document = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00")]))
    method = PaymentMethod.objects.create(name="Transfer")
    for day in (date(2026, 1, 5), date(2026, 3, 5)):
        Payment.objects.create(document=document, kind=PaymentKind.PAYMENT, method=method, amount=1, date=day,
                               currency=document.currency)  # fmt: skip
    client.force_login(factories.reviewer())

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:invoicing_payment_changelist"))

    html = response.content.decode()
    assert "?date__month=1&amp;date__year=2026" in html and "?date__month=3&amp;date__year=2026" in html
    assert "date__month=2&" not in html
    assert not any("DISTINCT" in query["sql"] for query in queries)


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["invoice", "payment"])
@pytest.mark.parametrize(
    "query", ["?date__year=9999", "?date__year=9999&date__month=12", "?date__year=9999&date__month=12&date__day=31"]
)
def test_a_year_without_an_end_sends_back_to_the_list(client, model, query):
    """The admin works out the end of the year chosen, and 9999 has none: no error page."""
    client.force_login(factories.reviewer())
    response = client.get(reverse(f"admin:invoicing_{model}_changelist") + query)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
