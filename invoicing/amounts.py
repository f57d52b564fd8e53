"""Every amount of a document is computed here, and rounded by `round_money` alone (SPEC 3)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from moneyed import get_currency

ZERO = Decimal("0")
HUNDRED = Decimal("100")


def minor_unit_exponent(currency_code):
    """Decimal("0.01") for USD, Decimal("1") for JPY: the currency's smallest unit."""
    sub_unit = get_currency(currency_code).sub_unit or 1
    return Decimal(1) / Decimal(sub_unit)


def round_money(amount, currency_code):
    """Round half-up to the currency's minor unit: the one rounding rule of the product."""
    return Decimal(amount).quantize(minor_unit_exponent(currency_code), rounding=ROUND_HALF_UP)


def net_unit_price(unit_price, discount):
    """Price after discount, unrounded (the line amount is what gets rounded)."""
    return Decimal(unit_price) * (1 - Decimal(discount) / HUNDRED)


@dataclass
class Amounts:
    untaxed: Decimal = ZERO
    taxes: dict = field(default_factory=dict)  # tax id -> amount

    @property
    def tax(self):
        return sum(self.taxes.values(), ZERO)

    @property
    def total(self):
        return self.untaxed + self.tax

    def __add__(self, other):
        taxes = defaultdict(lambda: ZERO, self.taxes)
        for tax_id, amount in other.taxes.items():
            taxes[tax_id] += amount
        return Amounts(self.untaxed + other.untaxed, dict(taxes))

    def __sub__(self, other):
        return self + other.negated()

    def negated(self):
        return Amounts(-self.untaxed, {k: -v for k, v in self.taxes.items()})

    def stored_taxes(self):
        """The per-tax amounts as `Document.tax_amounts` keeps them: {"tax id": "amount"}."""
        return {str(tax_id): str(amount) for tax_id, amount in sorted(self.taxes.items())}

    @classmethod
    def stored(cls, untaxed, tax_amounts):
        """Amounts from a document's stored untaxed amount and `tax_amounts`."""
        return cls(untaxed, {int(tax_id): Decimal(amount) for tax_id, amount in tax_amounts.items()})


def line_amounts(*, quantity, unit_price, discount, rates, prices_include_tax, currency):
    """Amounts of one line. `rates` maps tax id -> rate in percent.

    Prices exclude tax: each tax is rounded from the untaxed amount.
    Prices include tax: the typed amount is the gross, kept exactly; the untaxed part is rounded
    and the taxes are split so that untaxed + taxes == gross (the rounding remainder goes to the
    largest tax).
    """
    amount = round_money(Decimal(quantity) * net_unit_price(unit_price, discount), currency)
    if not prices_include_tax:
        taxes = {tax_id: round_money(amount * Decimal(rate) / HUNDRED, currency) for tax_id, rate in rates.items()}
        return Amounts(amount, taxes)

    total_rate = sum((Decimal(rate) for rate in rates.values()), ZERO)
    untaxed = round_money(amount * HUNDRED / (HUNDRED + total_rate), currency)
    taxes = {tax_id: round_money(untaxed * Decimal(rate) / HUNDRED, currency) for tax_id, rate in rates.items()}
    remainder = amount - untaxed - sum(taxes.values(), ZERO)
    if taxes and remainder:
        largest = max(taxes, key=lambda tax_id: (Decimal(rates[tax_id]), str(tax_id)))
        taxes[largest] += remainder
    elif remainder:
        untaxed += remainder
    return Amounts(untaxed, taxes)


# ----------------------------------------------------------------------------- input and storage bounds
# Every stored figure has a column of 14 digits: amounts with 2 decimals, quantities with 3, discounts
# 5 digits with 2. A value that does not fit is refused before anything is written (SPEC 3).
AMOUNT_PLACES, QUANTITY_PLACES, RATE_PLACES = 2, 3, 4
MAX_DIGITS = 14


def column_limit(places, max_digits=MAX_DIGITS):
    """The smallest magnitude that no longer fits a column of `max_digits` digits with `places` decimals."""
    return Decimal(10) ** (max_digits - places)


def fits(value, places, max_digits=MAX_DIGITS):
    return abs(value) < column_limit(places, max_digits)


def parse_decimal(value):
    """A number as a person types it: a dot or a comma as the decimal separator ("12,50" is 12.50),
    thousands grouped by the other one ("1,234.50", "1.234,50"). Anything that cannot be read one way
    only ("1,234.5,6", "1e5", "NaN") raises ValueError: it is never guessed."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite number")
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace("'", "")
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = ("-" if text[0] == "-" else ""), text[1:]
    if not text or any(c not in "0123456789.," for c in text):
        raise ValueError("not a number")
    commas, dots = text.count(","), text.count(".")
    if commas and dots:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        group_mark = "," if decimal_mark == "." else "."
        if text.count(decimal_mark) > 1:
            raise ValueError("ambiguous")
        whole, fraction = text.split(decimal_mark)
        groups = whole.split(group_mark)
        if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise ValueError("ambiguous")
        text = "".join(groups) + "." + fraction
    elif commas + dots > 1:
        raise ValueError("ambiguous")
    else:
        text = text.replace(",", ".")
    if not any(c.isdigit() for c in text):
        raise ValueError("not a number")
    return Decimal(sign + text)


def decimals_of(value):
    return max(-value.as_tuple().exponent, 0)
