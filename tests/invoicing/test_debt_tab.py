from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from invoicing import registry
from invoicing.debt import document_debt
from invoicing.models import Document
from tests import factories

D = Decimal


def posted_invoice(amount="100.00"):
    return factories.posted(factories.invoice(lines=[factories.line(unit_price=amount, taxes=[])]))


def render_tab(document, user=None):
    request = RequestFactory().get("/")
    request.user = user or factories.reviewer()
    context = {"debt": document_debt(document=document)}
    return context, render_to_string("invoicing/debt_tab.html", {**context, "document": document}, request=request)


def test_debt_rows_add_up_to_the_balance_due():
    invoice = posted_invoice()
    factories.pay(invoice, "30.00")
    factories.pay(invoice, "20.00")
    debt = document_debt(document=invoice)
    assert [(row.label, row.amount) for row in debt.rows] == [
        ("Total", D("100.00")),
        ("Payment (Bank transfer)", D("-30.00")),
        ("Payment (Bank transfer)", D("-20.00")),
    ]
    assert debt.balance_due == D("50.00") and debt.not_itemised == 0
    assert all(row.url for row in debt.rows[1:])


def test_debt_tab_renders_each_row_and_links_payments():
    invoice = posted_invoice()
    payment = factories.pay(invoice, "100.00")
    _, html = render_tab(invoice)
    assert "Total" in html and "-100.00 USD" in html and "0.00 USD" in html
    assert f"/invoicing/payment/{payment.pk}/change/" in html
    assert "Not itemised" not in html


def test_debt_tab_shows_a_gap_it_cannot_explain():
    invoice = posted_invoice()
    Document.objects.filter(pk=invoice.pk).update(balance_due=D("90.00"))
    invoice.refresh_from_db()
    debt, html = render_tab(invoice)
    assert debt["debt"].not_itemised == D("-10.00") and "Not itemised" in html


def test_debt_tab_on_a_draft_says_nothing_is_due():
    draft = factories.invoice()
    context, html = render_tab(draft)
    assert context["debt"].balance_due == 0 and "Nothing is due on a draft document" in html


def test_debt_rows_include_what_other_apps_provide():
    invoice = posted_invoice()

    class CreditRows(registry.DocumentExtension):
        name = "test-credit-rows"

        def debt_rows(self, document, ctx):
            return [registry.DebtRow(label="Credit from a return", amount=D("-10.00"), url="/returns/1/")]

    before = registry.extensions()
    registry.register(CreditRows())
    try:
        debt = document_debt(document=invoice)
    finally:
        registry._extensions[:] = before
    assert ("Credit from a return", D("-10.00")) in [(row.label, row.amount) for row in debt.rows]
    assert debt.not_itemised == D("10.00")  # the stored balance did not move: the gap shows


@pytest.mark.parametrize("payments", [0, 1])
def test_debt_tab_query_count_does_not_grow_with_payments(payments):
    reviewer = factories.reviewer()

    def queries_for(count):
        invoice = posted_invoice(amount="1000.00")
        for _ in range(count):
            factories.pay(invoice, "1.00")
        with CaptureQueriesContext(connection) as captured:
            render_tab(invoice, user=reviewer)
        return len(captured)

    assert queries_for(payments) == queries_for(25) <= 5


def test_the_card_shows_the_debt_tab(client):
    invoice = posted_invoice()
    factories.pay(invoice, "40.00")
    client.force_login(factories.reviewer())
    content = client.get(invoice.get_absolute_url()).content.decode()
    assert 'href="#tab-debt"' in content and 'id="debt-rows"' in content
    assert "60.00 USD" in content


def test_debt_tab_writes_amounts_and_dates_as_the_rest_of_the_card():
    invoice = posted_invoice(amount="1234.50")
    payment = factories.pay(invoice, "1000.00")
    _, html = render_tab(invoice)
    assert '<td class="num">1,234.50 USD</td>' in html and "-1,000.00 USD" in html
    assert f"<td>{payment.date.day} {payment.date:%b %Y}</td>" in html
    assert "<strong>234.50 USD</strong>" in html
