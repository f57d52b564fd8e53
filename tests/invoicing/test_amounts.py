from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing.amounts import line_amounts, round_money
from invoicing.models import Kind
from tests import factories

D = Decimal


def test_worked_example_1_invoice_with_discount_and_vat():
    invoice = factories.invoice(lines=[factories.line(quantity=3, unit_price="10.00", discount=10)])
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (D("27.00"), D("5.40"), D("32.40"))


def test_round_money_is_half_up_to_the_minor_unit():
    assert round_money(D("0.125"), "USD") == D("0.13")
    assert round_money(D("-0.125"), "USD") == D("-0.13")
    assert round_money(D("100.5"), "JPY") == D("101")


def test_jpy_amounts_have_no_minor_unit():
    amounts = line_amounts(
        quantity=D("3"),
        unit_price=D("333"),
        discount=D("5"),
        rates={1: D("10")},
        prices_include_tax=False,
        currency="JPY",
    )
    assert amounts.untaxed == D("949")  # 3 × 316.35 = 949.05
    assert amounts.taxes == {1: D("95")}


def test_prices_including_tax_keep_the_gross_exactly():
    amounts = line_amounts(
        quantity=D("1"),
        unit_price=D("10.00"),
        discount=D("0"),
        rates={1: D("20"), 2: D("7")},
        prices_include_tax=True,
        currency="USD",
    )
    assert amounts.untaxed == D("7.87")
    assert amounts.total == D("10.00")
    assert sum(amounts.taxes.values()) == D("2.13")


def test_document_type_with_prices_including_tax_stores_gross_total():
    doc_type = factories.invoice_type(name="Retail", series="RET", prices_include_tax=True)
    invoice = factories.invoice(type=doc_type, lines=[factories.line(quantity=1, unit_price="12.00")])
    assert (invoice.amount_untaxed, invoice.amount_tax, invoice.amount_total) == (D("10.00"), D("2.00"), D("12.00"))


money = st.decimals(min_value=D("-1000"), max_value=D("100000"), places=2, allow_nan=False, allow_infinity=False)
quantities = st.decimals(min_value=D("-50"), max_value=D("1000"), places=3, allow_nan=False, allow_infinity=False)
rates = st.dictionaries(
    st.integers(min_value=1, max_value=6),
    st.decimals(min_value=D("0"), max_value=D("30"), places=2, allow_nan=False, allow_infinity=False),
    max_size=3,
)


@given(
    quantity=quantities,
    price=money,
    discount=st.decimals(min_value=0, max_value=100, places=2),
    rates=rates,
    include=st.booleans(),
    currency=st.sampled_from(["USD", "JPY", "EUR"]),
)
def test_line_untaxed_plus_tax_equals_total_in_both_tax_modes(quantity, price, discount, rates, include, currency):
    amounts = line_amounts(
        quantity=quantity,
        unit_price=price,
        discount=discount,
        rates=rates,
        prices_include_tax=include,
        currency=currency,
    )
    assert amounts.untaxed + sum(amounts.taxes.values()) == amounts.total
    for value in [amounts.untaxed, *amounts.taxes.values()]:
        assert round_money(value, currency) == value
    if include:
        gross = round_money(quantity * price * (1 - discount / 100), currency)
        assert amounts.total == gross


@settings(max_examples=25, deadline=None)
@given(
    lines=st.lists(
        st.tuples(quantities, money, st.decimals(min_value=0, max_value=100, places=2)), min_size=1, max_size=5
    ),
    include=st.booleans(),
)
def test_document_untaxed_plus_tax_equals_total_and_sums_its_lines(lines, include):
    tax = factories.TaxFactory()
    doc_type = factories.invoice_type(name=f"Type {include}", series=f"T{int(include)}", prices_include_tax=include)
    invoice = factories.document(
        kind=Kind.INVOICE,
        type=doc_type,
        lines=[factories.line(quantity=q, unit_price=p, discount=d, taxes=[tax]) for q, p, d in lines],
    )
    stored = list(invoice.lines.all())
    assert invoice.amount_untaxed + invoice.amount_tax == invoice.amount_total
    assert invoice.amount_total == sum(line.amount_total for line in stored)
    assert invoice.amount_untaxed == sum(line.amount_untaxed for line in stored)
    for line in stored:
        assert line.amount_untaxed + line.amount_tax == line.amount_total
