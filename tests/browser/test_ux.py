"""Issue 13 in a real Chromium: money as people read it, few clicks, and pages that fit at 1366 px."""

from decimal import Decimal

import pytest

from invoicing.models import Document, Kind, Status
from returns.services import return_create
from tests import factories
from tests.browser.conftest import login, screenshot
from tests.corrections.support import correct
from tests.returns.helpers import invoice_of_60, set_quantity

VIEWPORTS = [(1366, 900), (1920, 1080)]


def no_horizontal_scroll(page):
    """Neither the page nor a box inside it (the admin's results box scrolls by itself) scrolls sideways."""
    return page.evaluate(
        """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
        && [...document.querySelectorAll('#content *')].every(
            e => !['auto', 'scroll'].includes(getComputedStyle(e).overflowX) || e.scrollWidth <= e.clientWidth + 1)"""
    )


def summary(page):
    """The card's money summary as {label: value}."""
    rows = page.locator("#money-summary > div").all()
    return {row.locator("dt").inner_text(): row.locator("dd").inner_text() for row in rows}


class Clicks:
    """Counts what a person clicks (buttons, links, checkboxes, choices in a select)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector):
        self.count += 1
        self.page.click(selector)

    def check(self, locator):
        self.count += 1
        locator.check()

    def select(self, selector, label):
        self.count += 1
        self.page.select_option(selector, label=label)


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_lists_card_and_reports_fit_without_sideways_scrolling(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    login(page, "accountant")
    invoice = Document.objects.filter(kind=Kind.INVOICE, status=Status.TO_PAY, type__is_return=False).first()
    pages = {
        "invoice-list": "/invoicing/invoice/",
        "bill-list": "/invoicing/bill/",
        "credit-note-list": "/invoicing/bill/?returns=only",
        "invoice-card": invoice.get_absolute_url(),
        "report-balances": "/reports/partner-balances/",
        "report-calendar": "/reports/payment-calendar/",
        "report-open-documents": "/reports/open-documents/",
        "report-statement": "/reports/partner-statement/",
    }
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_selector("#content")
        screenshot(page, f"fit-{name}-{width}")
        assert no_horizontal_scroll(page), f"{name} scrolls sideways at {width} px"


def test_list_shows_totals_per_currency_drafts_by_partner_and_overdue_rows(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "accountant")
    page.goto("/invoicing/invoice/")
    page.wait_for_selector("#result_list")
    assert page.locator("#page-totals tr[data-currency=USD]").count() == 1
    assert page.locator("#page-totals tr[data-currency=EUR]").count() == 1
    assert page.locator("h1").first.inner_text() == "Invoices"
    draft = Document.objects.filter(kind=Kind.INVOICE, status=Status.DRAFT).select_related("partner").first()
    if draft is not None:
        assert page.locator(f'#result_list a:has-text("Draft · {draft.partner}")').count() >= 1
    assert page.locator("#result_list .due.overdue").count() >= 1
    # Amounts read "1,104.00 USD": thousands separated, right-aligned.
    align = page.eval_on_selector("#result_list td.field-total", "td => getComputedStyle(td).textAlign")
    assert align == "right"
    screenshot(page, "list-1366")
    # Credit notes are a list of their own in the navigation.
    page.goto("/")
    page.click('#content-main a:text-is("Credit notes")')
    page.wait_for_selector("#result_list")
    assert page.locator("h1").first.inner_text() == "Credit notes"


def test_money_summary_of_worked_example_6_and_settled_by_credit(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    user = factories.accountant()
    invoice = invoice_of_60(user=user)
    credit_note = set_quantity(return_create(document=invoice, user=user), 2)
    factories.posted(credit_note, user=user)

    login(page, "accountant")
    page.goto(invoice.get_absolute_url())
    page.wait_for_selector("#money-summary")
    assert summary(page) == {"Total": "60.00 USD", "Credited / allocated": "24.00 USD", "Balance due": "36.00 USD"}
    screenshot(page, "summary-example-6-invoice")

    page.goto(credit_note.get_absolute_url())
    page.wait_for_selector("#money-summary")
    assert summary(page) == {
        "Total": "24.00 USD",
        "Credited / allocated": "24.00 USD",
        "Balance due": "0.00 USD",
        "Settled": "Settled by credit",
    }
    assert page.inner_text(".card-header .status-badge") == "Settled by credit"
    assert page.locator("label:has-text('Customer')").count() >= 1  # a credit note names its customer
    page.click(".card-tabs >> text=History")
    assert "Settled by credit" in page.inner_text("#tab-history")
    screenshot(page, "summary-example-6-credit-note")


def test_money_summary_of_worked_example_10(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    user = factories.accountant()
    invoice = factories.posted(
        factories.invoice(user=user, lines=[factories.line(unit_price="100.00", taxes=[])]), user
    )
    factories.pay(invoice, "100.00", user=user)
    correct(invoice, lines=[factories.line(unit_price="80.00", taxes=[])], user=user)

    login(page, "accountant")
    page.goto(invoice.get_absolute_url())
    page.wait_for_selector("#money-summary")
    assert summary(page) == {"Effective total": "80.00 USD", "Paid": "100.00 USD", "Open credit": "20.00 USD"}
    screenshot(page, "summary-example-10-open-credit")

    page.click("text=Register payment / refund")
    assert page.locator("#id_kind option:checked").inner_text().startswith("Refund to customer")
    page.click("#fill-amount")
    page.click("#register-payment")
    page.wait_for_selector(".messagelist")
    assert summary(page) == {"Effective total": "80.00 USD", "Paid": "80.00 USD", "Balance due": "0.00 USD",
                             "Settled": "Paid"}  # fmt: skip
    invoice.refresh_from_db()
    assert invoice.status == Status.PAID
    screenshot(page, "summary-example-10-paid")


def test_jpy_amounts_have_no_decimals(page):
    user = factories.accountant()
    invoice = factories.invoice(
        user=user, currency="JPY", lines=[factories.line(quantity=3, unit_price="12345", taxes=[])]
    )
    login(page, "accountant")
    page.goto(factories.posted(invoice, user).get_absolute_url())
    page.wait_for_selector("#money-summary")
    assert summary(page)["Total"] == "37,035 JPY"
    assert page.inner_text("#total-total") == "37,035 JPY"


def test_cash_flow_chart_draws_a_negative_bar_below_the_axis(page):
    user = factories.accountant()
    invoice = factories.posted(
        factories.invoice(user=user, lines=[factories.line(unit_price="100.00", taxes=[])]), user
    )
    factories.pay(invoice, "100.00", user=user)
    correct(invoice, lines=[factories.line(unit_price="40.00", taxes=[])], user=user)  # 60.00 open credit: negative
    login(page, "accountant")
    page.goto("/reports/payment-calendar/")
    page.wait_for_selector(".cashflow-chart")
    bars = page.locator(".cashflow-chart rect.negative")
    assert bars.count() >= 1
    assert float(bars.first.get_attribute("height")) > 0
    chart = page.locator(".cashflow-chart:has(rect.negative)").first
    assert "USD" in chart.text_content()  # the axis is labelled in the chart's currency
    screenshot(page, "chart-negative-bar")


def test_a_new_three_line_invoice_reaches_paid_in_at_most_15_clicks(page):
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, "accountant")
    page.goto("/invoicing/invoice/")
    clicks = Clicks(page)
    clicks.click(".object-tools a.addlink")
    clicks.select("#id_type", "Invoice")
    clicks.select("#id_partner", "Northwind Traders")
    clicks.select("#id_company", "Ledgerline Demo Ltd")
    for n in range(3):
        page.fill(f"#id_lines-{n}-description", f"Item {n + 1}")
        page.fill(f"#id_lines-{n}-quantity", "2")
        page.fill(f"#id_lines-{n}-unit_price", "1000.00")
        clicks.check(page.locator(f"tr:has(#id_lines-{n}-description) label:has-text('VAT 20%') input"))
    clicks.click("input[name=_continue]")
    page.wait_for_selector(".card-actions")
    clicks.click("#transition-post")
    page.wait_for_selector(".messagelist")
    clicks.click("text=Register payment / refund")
    assert page.locator("#id_method option:checked").inner_text() != "---------"  # the last method used
    clicks.click("#fill-amount")
    clicks.click("#register-payment")
    page.wait_for_selector(".messagelist")
    invoice = Document.objects.filter(kind=Kind.INVOICE).latest("pk")
    assert invoice.status == Status.PAID and invoice.amount_total == Decimal("7200.00")
    assert summary(page)["Total"] == "7,200.00 USD"
    print(f"clicks to Paid: {clicks.count}")
    assert clicks.count <= 15, clicks.count


def test_reviewer_gets_a_product_403_page(page):
    login(page, "reviewer")
    response = page.goto("/invoicing/invoice/add/")
    assert response.status == 403
    assert "Django administration" not in page.content()
    assert "Ledgerline" in page.title()
    invoice = Document.objects.filter(kind=Kind.INVOICE, status=Status.TO_PAY).first()
    page.goto(invoice.get_absolute_url())
    page.click(".card-tabs >> text=Corrections")
    assert "Create Correction" not in page.inner_text("#tab-corrections")
