from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from invoicing import selectors
from invoicing.models import POSTED_STATUSES, Document, Kind
from tests import factories
from tests.corrections.support import correct

D = Decimal
TODAY = timezone.localdate()


def doc(kind, amount, *, days, partner, company=None, currency="USD"):
    """A posted document of `amount` (no tax) due `days` from today (negative: overdue)."""
    company = company or factories.CompanyFactory()
    document = factories.document(
        kind=kind,
        partner=partner,
        company=company,
        currency=currency,
        date=TODAY - timedelta(days=60),
        due_date=TODAY + timedelta(days=days),
        lines=[factories.line(unit_price=amount, taxes=[])],
    )
    return factories.posted(document)


@pytest.fixture
def dataset():
    """Northwind: an overdue USD invoice (100, 30 paid), a USD invoice due in 10 days (50), a EUR invoice
    (40) and a USD bill (25). Globex: a USD bill due in 3 days (80), a paid bill and a draft (left out)."""
    northwind, globex = factories.PartnerFactory(name="Northwind"), factories.PartnerFactory(name="Globex")
    acme = factories.CompanyFactory(name="Acme Ltd")
    overdue = doc(Kind.INVOICE, "100.00", days=-5, partner=northwind, company=acme)
    factories.pay(overdue, "30.00")
    doc(Kind.INVOICE, "50.00", days=10, partner=northwind, company=acme)
    doc(Kind.INVOICE, "40.00", days=2, partner=northwind, company=acme, currency="EUR")
    doc(Kind.BILL, "25.00", days=-1, partner=northwind, company=acme)
    doc(Kind.BILL, "80.00", days=3, partner=globex, company=acme)
    paid = doc(Kind.BILL, "99.00", days=1, partner=globex, company=acme)
    factories.pay(paid, "99.00")
    factories.bill(partner=globex, company=acme, lines=[factories.line(unit_price="500.00", taxes=[])])
    return {"northwind": northwind, "globex": globex, "acme": acme}


def by_key(rows):
    return {(row["partner_name"], row["currency"]): row for row in rows}


def test_partner_balances_split_receivable_payable_and_overdue_per_currency(dataset):
    rows = by_key(selectors.partner_balances())
    assert set(rows) == {("Globex", "USD"), ("Northwind", "EUR"), ("Northwind", "USD")}
    usd = rows[("Northwind", "USD")]
    assert (usd["receivable"], usd["payable"], usd["net"]) == (D("120.00"), D("25.00"), D("95.00"))
    assert (usd["overdue_receivable"], usd["overdue_payable"]) == (D("70.00"), D("25.00"))
    eur = rows[("Northwind", "EUR")]
    assert (eur["receivable"], eur["payable"], eur["net"], eur["overdue_receivable"]) == (
        D("40.00"),
        D("0.00"),
        D("40.00"),
        D("0.00"),
    )
    globex = rows[("Globex", "USD")]
    assert (globex["receivable"], globex["payable"], globex["net"]) == (D("0.00"), D("80.00"), D("-80.00"))


def test_partner_balances_filters_and_sorts(dataset):
    rows = list(selectors.partner_balances(currency="EUR"))
    assert [(r["partner_name"], r["currency"]) for r in rows] == [("Northwind", "EUR")]
    rows = list(selectors.partner_balances(partner=dataset["globex"]))
    assert [r["partner_name"] for r in rows] == ["Globex"]
    rows = list(selectors.partner_balances(order=["-net"]))
    assert [r["net"] for r in rows] == [D("95.00"), D("40.00"), D("-80.00")]


def test_partner_balance_totals_never_add_currencies(dataset):
    totals = {row["currency"]: row for row in selectors.partner_balance_totals()}
    assert set(totals) == {"EUR", "USD"}
    assert (totals["USD"]["receivable"], totals["USD"]["payable"], totals["USD"]["net"]) == (
        D("120.00"),
        D("105.00"),
        D("15.00"),
    )
    assert totals["EUR"]["receivable"] == D("40.00")


def test_open_credit_lowers_the_receivable():
    """A negative balance (open credit) is money the other way: it reduces what the partner owes."""
    partner = factories.PartnerFactory(name="Credit Co")
    invoice = doc(Kind.INVOICE, "10.00", days=5, partner=partner)
    doc(Kind.INVOICE, "30.00", days=5, partner=partner)
    factories.pay(invoice, "10.00")
    correct(invoice, lines=[factories.line(unit_price="6.00", taxes=[])])  # 10.00 paid for 6.00: 4.00 credit
    (row,) = selectors.partner_balances(partner=partner)
    assert row["receivable"] == D("26.00")


def test_open_documents_drill_down(dataset):
    northwind = dataset["northwind"]
    usd = selectors.open_documents(partner=northwind, currency="USD")
    assert sorted(d.balance_due for d in usd) == [D("25.00"), D("50.00"), D("70.00")]
    overdue_invoices = selectors.open_documents(partner=northwind, currency="USD", kind=Kind.INVOICE, overdue=True)
    assert [d.balance_due for d in overdue_invoices] == [D("70.00")]
    upcoming = selectors.open_documents(overdue=False, currency="USD")
    assert sorted(d.balance_due for d in upcoming) == [D("50.00"), D("80.00")]


def test_payment_calendar_buckets_per_currency(dataset):
    calendars = {c.currency: c for c in selectors.payment_calendar(bucket="day", date_to=TODAY + timedelta(days=6))}
    assert set(calendars) == {"EUR", "USD"}
    usd = calendars["USD"]
    overdue = usd.buckets[0]
    assert overdue.is_overdue and (overdue.incoming, overdue.outgoing, overdue.net) == (
        D("70.00"),
        D("25.00"),
        D("45.00"),
    )
    assert len(usd.buckets) == 1 + 7 + 1  # overdue, seven days, later
    in_three_days = usd.buckets[1 + 3]
    assert in_three_days.start == TODAY + timedelta(days=3)
    assert (in_three_days.incoming, in_three_days.outgoing, in_three_days.cumulative) == (
        D("0.00"),
        D("80.00"),
        D("-35.00"),
    )
    later = usd.buckets[-1]
    assert later.incoming == D("50.00") and later.cumulative == D("15.00")
    assert (usd.incoming, usd.outgoing, usd.net) == (D("120.00"), D("105.00"), D("15.00"))
    assert calendars["EUR"].buckets[1 + 2].incoming == D("40.00")


def test_payment_calendar_weekly_buckets_start_on_monday(dataset):
    (usd,) = selectors.payment_calendar(bucket="week", currency="USD", date_to=TODAY + timedelta(weeks=4))
    weeks = usd.buckets[1:-1]
    assert all(b.label.startswith("Week of") for b in weeks)
    assert weeks[0].start == TODAY and all(b.start.weekday() == 0 for b in weeks[1:])
    assert sum(b.incoming for b in weeks) == D("50.00") and sum(b.outgoing for b in weeks) == D("80.00")
    assert usd.buckets[-1].cumulative == D("15.00")


def test_payment_calendar_filters_by_company_and_partner(dataset):
    other = factories.CompanyFactory(name="Other Co")
    doc(Kind.INVOICE, "7.00", days=1, partner=dataset["globex"], company=other)
    (usd,) = selectors.payment_calendar(company=other)
    assert usd.incoming == D("7.00")
    (usd,) = selectors.payment_calendar(partner=dataset["globex"], company=dataset["acme"])
    assert (usd.incoming, usd.outgoing) == (D("0.00"), D("80.00"))


# ----------------------------------------------------------------------------- pages
PAGES = ["admin:report_partner_balances", "admin:report_payment_calendar", "admin:report_open_documents"]


@pytest.mark.parametrize("role", ["accountant", "reviewer"])
@pytest.mark.parametrize("page", PAGES)
def test_report_pages_render_for_accountants_and_reviewers(client, dataset, role, page):
    client.force_login(getattr(factories, role)())
    response = client.get(reverse(page))
    assert response.status_code == 200
    assert b"Northwind" in response.content


@pytest.mark.parametrize("page", PAGES)
def test_report_pages_send_anonymous_users_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_report_pages_refuse_staff_without_document_access(client):
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(reverse("admin:report_partner_balances")).status_code == 403


def test_reports_are_in_the_navigation(client):
    client.force_login(factories.reviewer())
    content = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:report_partner_balances") in content
    assert "Debt and payment calendar" in content


def test_partner_balances_page_links_each_figure_to_its_documents(client, dataset):
    client.force_login(factories.accountant())
    response = client.get(reverse("admin:report_partner_balances"), {"currency": "USD", "o": "-net"})
    rows = response.context["rows"]
    assert [row["partner_name"] for row in rows] == ["Northwind", "Globex"]
    overdue_receivable = rows[0]["cells"][3]
    assert overdue_receivable["value"] == D("70.00")
    drill = client.get(overdue_receivable["url"])
    assert [row["document"].balance_due for row in drill.context["rows"]] == [D("70.00")]
    assert [(t["currency"], t["total"]) for t in drill.context["totals"]] == [("USD", D("70.00"))]


def test_calendar_page_draws_one_chart_per_currency(client, dataset):
    client.force_login(factories.accountant())
    response = client.get(reverse("admin:report_payment_calendar"), {"company": dataset["acme"].pk, "bucket": "day"})
    content = response.content.decode()
    assert content.count('class="cashflow-chart"') == 2 and 'aria-label="Weekly cash flow in EUR"' in content
    usd = next(s for s in response.context["sections"] if s["calendar"].currency == "USD")
    overdue = usd["rows"][0]
    drill = client.get(overdue["links"]["outgoing"])
    assert [row["document"].balance_due for row in drill.context["rows"]] == [D("25.00")]


def test_calendar_page_shows_invalid_filters_instead_of_failing(client, dataset):
    client.force_login(factories.accountant())
    response = client.get(reverse("admin:report_payment_calendar"), {"date_from": "not a date", "company": "999"})
    assert response.status_code == 200 and response.context["form"].errors


def _documents(count, company):
    partners = [factories.PartnerFactory() for _ in range(3)]
    for n in range(count):
        kind = Kind.INVOICE if n % 2 else Kind.BILL
        document = doc(kind, "10.00", days=n % 20 - 5, partner=partners[n % 3], company=company)
        if n % 4 == 0:
            factories.pay(document, "4.00")


@pytest.mark.parametrize("page", PAGES)
def test_report_pages_run_the_same_number_of_queries_at_two_sizes(client, page):
    company = factories.CompanyFactory(name="Acme Ltd")
    client.force_login(factories.reviewer())
    counts = []
    for added in (5, 55):  # 5 documents, then 60
        _documents(added, company)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(page), {"company": company.pk}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def test_partner_balance_report_totals_come_from_the_rows_per_currency(dataset):
    rows, totals = selectors.partner_balance_report(order=["currency", "-payable"])
    assert [(r["currency"], r["partner_name"]) for r in rows] == [
        ("EUR", "Northwind"),
        ("USD", "Globex"),
        ("USD", "Northwind"),
    ]
    assert totals == selectors.partner_balance_totals()


def test_payment_calendar_keeps_what_falls_due_before_the_period(dataset):
    calendars = {c.currency: c for c in selectors.payment_calendar(bucket="day", date_from=TODAY + timedelta(days=5))}
    usd = calendars["USD"]
    before = usd.buckets[1]
    assert before.label.startswith("Due before") and before.outgoing == D("80.00")
    assert (usd.incoming, usd.outgoing, usd.net) == (D("120.00"), D("105.00"), D("15.00"))


def test_payment_calendar_refuses_a_period_longer_than_two_years(accountant_client):
    url = reverse("admin:report_payment_calendar")
    response = accountant_client.get(url, {"bucket": "day", "date_to": str(TODAY + timedelta(days=3000))})
    assert response.status_code == 200 and "at most two years" in response.content.decode()


def test_weekly_calendar_is_its_days_added_up(dataset):
    both = selectors.payment_calendars(buckets=("day", "week"), date_to=TODAY + timedelta(weeks=3))
    for days, weeks in zip(both["day"], both["week"], strict=True):
        assert days.currency == weeks.currency
        assert (days.incoming, days.outgoing) == (weeks.incoming, weeks.outgoing)
        for week in weeks.buckets[1:-1]:
            inside = [d for d in days.buckets[1:-1] if week.start <= d.start <= week.end]
            assert week.incoming == sum((d.incoming for d in inside), D(0))
            assert week.outgoing == sum((d.outgoing for d in inside), D(0))
    assert both["week"] == selectors.payment_calendar(bucket="week", date_to=TODAY + timedelta(weeks=3))


def test_calendar_by_day_runs_the_queries_of_the_calendar_by_week(client, dataset):
    """The daily page's weekly chart comes from the same two queries, not from a second calendar."""
    client.force_login(factories.accountant())
    counts = []
    for bucket in ("week", "day"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("admin:report_payment_calendar"), {"bucket": bucket}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_posted_document_always_has_a_due_date(dataset):
    assert not Document.objects.filter(status__in=POSTED_STATUSES, due_date__isnull=True).exists()
    posted = Document.objects.filter(status__in=POSTED_STATUSES).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.filter(pk=posted.pk).update(due_date=None)
