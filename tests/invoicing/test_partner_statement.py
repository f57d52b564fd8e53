"""The partner statement (SPEC 8): every movement with a running balance that agrees with Partner balances."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from corrections.services import correction_create
from invoicing import selectors, services
from invoicing.models import PaymentKind
from returns.services import return_create
from tests import factories
from tests.returns.helpers import invoice_of_60, set_quantity

D = Decimal
FAR = {"date_from": date(2000, 1, 1), "date_to": date(2999, 12, 31)}


def history(partner, company, size=1):
    """Invoices, a bill, payments, a refund, a reversed payment, a correction, a return and an allocation."""
    user = factories.accountant()
    for n in range(size):
        invoice = factories.posted(
            factories.invoice(partner=partner, company=company, lines=[factories.line(unit_price=f"{100 + n}.15")])
        )
        factories.pay(invoice, "50.00")
        bill = factories.posted(
            factories.bill(partner=partner, company=company, lines=[factories.line(unit_price="33.33")])
        )
        factories.pay(bill, "10.00")
    paid = factories.posted(
        factories.invoice(partner=partner, company=company, lines=[factories.line(unit_price="100.00")])
    )
    mistake = factories.pay(paid, "120.00")
    services.payment_reverse(payment=mistake, user=user, reason="Wrong invoice")
    paid.refresh_from_db()
    factories.pay(paid, "120.00")
    correction = correction_create(document=paid, user=user)
    factories.posted(factories.edit_lines(correction, **{"1": {"unit_price": D("80.00")}}))
    paid.refresh_from_db()
    factories.pay(paid, "24.00", kind=PaymentKind.REFUND)
    sold = invoice_of_60(partner=partner, company=company)
    credit_note = factories.posted(set_quantity(return_create(document=sold, user=user), 1))
    open_invoice = factories.posted(
        factories.invoice(partner=partner, company=company, lines=[factories.line(unit_price="10.00")])
    )
    other = factories.posted(
        factories.invoice(partner=partner, company=company, lines=[factories.line(unit_price="5.00")])
    )
    factories.pay(other, "6.00")
    bill = factories.posted(factories.bill(partner=partner, company=company, lines=[factories.line(unit_price="2.50")]))
    services.allocation_create(document=open_invoice, counterpart=bill, amount="3.00", user=user)
    return credit_note


def net_of(partner, company, currency="USD"):
    [row] = list(selectors.partner_balances(partner=partner, company=company, currency=currency))
    return row["net"]


def test_closing_balance_equals_the_partner_balances_net_to_the_cent():
    partner, company = factories.PartnerFactory(), factories.CompanyFactory()
    history(partner, company, size=3)
    statement = selectors.partner_statement(partner=partner, company=company, currency="USD", **FAR)
    assert statement.opening == 0
    assert statement.closing == net_of(partner, company)
    assert statement.rows[-1].balance == statement.closing
    whats = {row.what for row in statement.rows}
    assert {"Invoice", "Bill", "Corrections", "Payment (Bank transfer)", "Payment reversed", "Allocation"} <= whats
    assert {"Refund (Bank transfer)", "Automatic allocation (return)"} <= whats
    assert all(row.amount == 0 for row in statement.rows if row.allocated is not None)  # allocations move nothing
    assert selectors.balance_audit() == []


def test_opening_balance_carries_what_happened_before_the_period():
    partner, company = factories.PartnerFactory(), factories.CompanyFactory()
    old = factories.posted(
        factories.invoice(
            partner=partner, company=company, date=date(2025, 3, 1), lines=[factories.line(unit_price="100.00")]
        )
    )
    factories.pay(old, "20.00")  # dated today
    factories.posted(
        factories.bill(
            partner=partner, company=company, date=date(2025, 6, 1), lines=[factories.line(unit_price="10.00")]
        )
    )
    today = timezone.localdate()
    statement = selectors.partner_statement(
        partner=partner, company=company, currency="USD", date_from=date(2025, 5, 1), date_to=today
    )
    assert statement.opening == D("120.00")
    assert [row.amount for row in statement.rows] == [D("-12.00"), D("-20.00")]
    assert statement.closing == net_of(partner, company) == D("88.00")
    before = selectors.partner_statement(
        partner=partner, company=company, currency="USD", date_from=date(2025, 1, 1), date_to=today - timedelta(days=1)
    )
    assert before.closing == D("108.00")  # the payment of today is not in it yet


@pytest.mark.parametrize("size", [1, 15])
def test_partner_statement_runs_a_constant_number_of_queries(size):
    partner, company = factories.PartnerFactory(), factories.CompanyFactory()
    history(partner, company, size=size)
    with CaptureQueriesContext(connection) as queries:
        selectors.partner_statement(partner=partner, company=company, currency="USD", **FAR)
    assert len(queries) == 5


def test_statement_page_print_and_csv(accountant_client):
    partner, company = factories.PartnerFactory(name="=Evil Corp"), factories.CompanyFactory()
    history(partner, company)
    params = {"partner": partner.pk, "company": company.pk, "currency": "USD", "date_from": "2000-01-01"}
    page = accountant_client.get(reverse("admin:report_partner_statement"), params).content.decode()
    closing = net_of(partner, company)
    assert f'id="statement-closing">{closing} USD' in page and "Opening balance" in page
    printed = accountant_client.get(reverse("admin:report_partner_statement_print"), params)
    assert printed.status_code == 200 and "Statement of account" in printed.content.decode()
    response = accountant_client.get(reverse("admin:report_partner_statement_csv"), params)
    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().splitlines()
    assert lines[1].startswith("2000-01-01,Opening balance") and f"Closing balance,,,,,{closing},USD" in lines[-1]
    assert "'=Evil Corp" not in lines[0]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"partner": "x", "company": "999", "currency": "XXX"},
        {"partner": "1", "date_from": "not a date", "date_to": "2026-13-45"},
        {"date_from": "2026-05-01", "date_to": "2026-01-01"},
    ],
)
def test_statement_page_never_fails_on_bad_filters(accountant_client, params):
    response = accountant_client.get(reverse("admin:report_partner_statement"), params)
    assert response.status_code == 200
    assert accountant_client.get(reverse("admin:report_partner_statement_csv"), params).status_code == 400
    assert accountant_client.get(reverse("admin:report_partner_statement_print"), params).status_code == 400


def test_statement_is_in_the_reports_navigation_and_linked_from_partner_balances(accountant_client):
    partner, company = factories.PartnerFactory(), factories.CompanyFactory()
    factories.posted(factories.invoice(partner=partner, company=company))
    assert reverse("admin:report_partner_statement") in accountant_client.get("/").content.decode()
    html = accountant_client.get(reverse("admin:report_partner_balances")).content.decode()
    assert 'class="statement-link"' in html
