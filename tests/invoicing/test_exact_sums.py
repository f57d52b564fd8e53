"""Sums of money and quantities come back as exact Decimals at their column's scale on every engine."""

from decimal import Decimal

from invoicing import selectors
from invoicing.aggregates import exact_sum
from invoicing.models import Payment
from tests import factories

D = Decimal


def test_payments_that_floats_cannot_add_sum_exactly_and_audit_with_no_difference():
    invoice = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00", taxes=[])]))
    for amount in ("0.10", "0.20", "0.70", "33.33", "33.33", "32.34"):
        factories.pay(invoice, amount)
    total = Payment.objects.filter(document=invoice).aggregate(total=exact_sum("amount"))["total"]
    assert total == D("100.00") and total.as_tuple().exponent == -2
    assert selectors.balance_audit() == []


def test_an_empty_sum_is_zero_not_none():
    assert Payment.objects.aggregate(total=exact_sum("amount"))["total"] == D("0.00")


def test_report_figures_come_back_at_the_currency_scale():
    partner = factories.PartnerFactory()
    for price in ("0.10", "0.20"):
        factories.posted(factories.invoice(partner=partner, lines=[factories.line(unit_price=price, taxes=[])]))
    (row,) = selectors.partner_balances(partner=partner)
    assert row["receivable"] == D("0.30") and row["net"] == D("0.30")
    assert str(row["receivable"]) == "0.30"
