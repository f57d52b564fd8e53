"""SPEC 5's invariants under random sequences of corrections, posts, cancels, payments and refunds."""

from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corrections import balances, selectors, services
from invoicing import services as core
from invoicing.amounts import Amounts
from invoicing.models import Document, Kind, Payment, PaymentKind, Status
from tests import factories
from tests.corrections.support import fresh, set_lines

D = Decimal
CENT = D("0.01")

cents = st.integers(min_value=0, max_value=50_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("replace"), cents, cents),
        st.tuples(st.just("reverse"), cents, cents),
        st.tuples(st.just("post"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("cancel"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("pay"), st.integers(1, 100), st.just(0)),
        st.tuples(st.just("refund"), st.integers(1, 100), st.just(0)),
    ),
    max_size=14,
)


class Rollback(Exception):
    """Undo one example's rows: hypothesis runs every example inside the same test's transaction."""


def lines(vat_cents, levy_cents, sign=1):
    vat, levy = factories.TaxFactory(), factories.TaxFactory(name="Eco levy 1%", rate=D("1"), group="Levy")
    return [
        factories.line(quantity=sign, unit_price=D(vat_cents) * CENT, taxes=[vat]),
        factories.line(quantity=sign, unit_price=D(levy_cents) * CENT, taxes=[vat, levy], discount="5"),
    ]


def nonzero(amounts):
    return amounts.untaxed, {k: v for k, v in amounts.taxes.items() if v}


def check_invariants(original):
    chain = selectors.chain_of(original=original)
    counted = [row for row in chain.rows if row.is_counted]
    summed = chain.original_amounts
    for row in counted:
        summed = summed + row.amount_correction
    effective = selectors.effective_amounts(original=original)
    # original + Σ amount corrections of the counted corrections = effective amounts
    assert nonzero(summed) == nonzero(effective)
    # the model of SPEC 5: latest counted replacement (or the original) + Σ counted reversals
    replacement = next((row.amounts for row in reversed(counted) if not row.is_reversal), chain.original_amounts)
    reversals = sum((row.amounts for row in counted if row.is_reversal), Amounts())
    assert nonzero(replacement + reversals) == nonzero(effective)

    original = fresh(original)
    payments = Payment.objects.filter(document=original)
    paid = sum((p.amount for p in payments if p.kind == PaymentKind.PAYMENT), D("0"))
    refunded = sum((p.amount for p in payments if p.kind == PaymentKind.REFUND), D("0"))
    assert original.balance_due == effective.total - paid + refunded
    assert original.status == (Status.PAID if original.balance_due == 0 else Status.TO_PAY)
    expected = balances.expected_balances(documents=Document.objects.filter(pk=original.pk))
    assert original.debt_total == expected[original.pk]["debt_total"] == effective.total
    for row in chain.rows:
        assert row.document.balance_due == 0 and row.document.debt_total == 0
        assert row.document.status == (Status.PAID if row.is_counted else row.document.status)
    indexes = [row.index for row in chain.rows if row.index]
    assert indexes == list(range(1, len(indexes) + 1))


def run(kind, steps):
    user = factories.accountant()
    original = factories.posted(factories.document(kind=kind, lines=lines(10_000, 2_500)), user=user)
    corrections = []
    for name, a, b in steps:
        if name in ("replace", "reverse"):
            reversal = name == "reverse" and kind == Kind.BILL
            draft = services.correction_create(document=original, user=user, reversal=reversal, reason="Property")
            set_lines(draft, lines(a, b, sign=-1 if reversal else 1))
            corrections.append(draft)
        elif name == "post":
            drafts = [c for c in corrections if fresh(c).status == Status.DRAFT]
            if drafts:
                core.document_post(document=fresh(drafts[a % len(drafts)]), user=user)
        elif name == "cancel":
            standing = [c for c in corrections if fresh(c).status != Status.CANCELED]
            if standing:
                core.document_cancel(document=fresh(standing[a % len(standing)]), user=user)
        else:
            balance = fresh(original).balance_due
            payment_kind = PaymentKind.PAYMENT if name == "pay" else PaymentKind.REFUND
            due = balance if name == "pay" else -balance
            if due > 0:
                amount = max((due * a / 100).quantize(CENT), CENT)
                factories.pay(fresh(original), amount, kind=payment_kind, user=user)
        check_invariants(original)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from([Kind.BILL, Kind.INVOICE]), steps=operations)
def test_effective_amounts_and_balance_follow_any_sequence_of_corrections(kind, steps):
    try:
        with transaction.atomic():
            run(kind, steps)
            raise Rollback
    except Rollback:
        pass
