"""`check_balances`: the stored balances agree with first principles after any sequence of operations."""

from decimal import ROUND_DOWN, Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corrections import services as corrections
from invoicing import selectors, services
from invoicing.models import Allocation, Document, DocumentType, Kind, PaymentKind, Status
from returns import services as returns
from tests import factories

D = Decimal
SLOTS = 4


def run_check():
    out = StringIO()
    call_command("check_balances", stdout=out)
    return out.getvalue()


class Rollback(Exception):
    """Raised at the end of each example so the next one starts from an empty database."""


def types():
    credit_note = DocumentType.objects.get_or_create(
        kind=Kind.BILL, name="Credit note", defaults={"series": "CN", "is_return": True}
    )[0]
    refund = DocumentType.objects.get_or_create(
        kind=Kind.INVOICE, name="Refund", defaults={"series": "RF", "is_return": True}
    )[0]
    invoice_type, bill_type = factories.invoice_type(), factories.bill_type()
    invoice_type.return_type, bill_type.return_type = credit_note, refund
    invoice_type.save()
    bill_type.save()
    return {Kind.INVOICE: invoice_type, Kind.BILL: bill_type}


def fraction_of(amount, fraction):
    return max((amount * D(fraction) / 100).quantize(D("0.01"), rounding=ROUND_DOWN), D("0.01"))


class Operations:
    """Documents in a few slots, driven by the services; refused operations are simply refused."""

    def __init__(self):
        self.user = factories.accountant()
        self.method = factories.PaymentMethodFactory()
        self.partner = factories.PartnerFactory()
        self.types = types()
        self.slots = [None] * SLOTS

    def fresh(self, slot):
        document = self.slots[slot]
        return Document.objects.select_related("type", "partner").get(pk=document.pk) if document else None

    def apply(self, op, slot, value):
        document = self.fresh(slot)
        try:
            with transaction.atomic():
                self._apply(op, slot, value, document)
        except ValidationError:
            pass

    def _apply(self, op, slot, value, document):
        if op in ("create_invoice", "create_bill"):
            kind = Kind.INVOICE if op == "create_invoice" else Kind.BILL
            self.slots[slot] = factories.document(
                kind=kind,
                type=self.types[kind],
                partner=self.partner,
                user=self.user,
                lines=[factories.line(quantity=1 + value % 5, unit_price=f"{10 + value}.35")],
            )
        elif document is None:
            return
        elif op == "post":
            services.document_post(document=document, user=self.user)
        elif op in ("pay", "refund"):
            balance = document.balance_due if op == "pay" else -document.balance_due
            kind = PaymentKind.PAYMENT if op == "pay" else PaymentKind.REFUND
            services.payment_register(
                document=document, kind=kind, method=self.method, amount=fraction_of(balance, value), user=self.user
            )
        elif op == "cancel":
            services.document_cancel(document=document, user=self.user)
        elif op == "reset":
            services.document_reset_to_draft(document=document, user=self.user)
        elif op == "correct":
            correction = corrections.correction_create(document=document, user=self.user, reason="Audit")
            lines = [
                {**line, "unit_price": D(value) + D("0.50")} for line in selectors.draft_line_data(document=correction)
            ]
            services.document_draft_save(document=correction, user=self.user, lines=lines)
            services.document_post(document=correction, user=self.user)
            self.slots[(slot + 1) % SLOTS] = correction  # so that later operations may cancel it
        elif op == "return":
            credit = returns.return_create(document=document, user=self.user, reason="Audit")
            services.document_post(document=credit, user=self.user)
            self.slots[(slot + 1) % SLOTS] = credit
        elif op == "allocate":
            counterpart = self.fresh((slot + 1 + value % (SLOTS - 1)) % SLOTS)
            if counterpart is None:
                return
            most = min(abs(document.balance_due), abs(counterpart.balance_due))
            services.allocation_create(
                document=document, counterpart=counterpart, amount=fraction_of(most, value), user=self.user
            )
        elif op == "unallocate":
            allocation = Allocation.objects.touching(document).in_force().filter(is_automatic=False).last()
            if allocation is not None:
                services.allocation_reverse(allocation=allocation, user=self.user)
        elif op == "reverse_payment":
            payment = document.payments.filter(reversed_at__isnull=True).order_by("pk").last()
            if payment is not None:
                services.payment_reverse(payment=payment, user=self.user, reason=f"Mistake {value}")


CORE_OPERATIONS = ["create_invoice", "create_bill", "post", "pay", "refund", "cancel", "reset"]
ALL_OPERATIONS = CORE_OPERATIONS + ["correct", "return"]
MONEY_OPERATIONS = ALL_OPERATIONS + ["allocate", "unallocate", "reverse_payment", "allocate", "pay"]


def steps(operations):
    return st.lists(
        st.tuples(st.sampled_from(operations), st.integers(0, SLOTS - 1), st.integers(1, 100)),
        min_size=1,
        max_size=25,
    )


def check_after(sequence):
    try:
        with transaction.atomic():
            operations = Operations()
            for op, slot, value in sequence:
                operations.apply(op, slot, value)
            assert selectors.balance_audit() == []
            run_check()
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps(CORE_OPERATIONS))
def test_no_difference_after_random_core_operations(sequence):
    check_after(sequence)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps(ALL_OPERATIONS))
def test_no_difference_after_random_operations_with_corrections_and_returns(sequence):
    check_after(sequence)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps(MONEY_OPERATIONS))
def test_no_difference_after_random_operations_with_allocations_removals_and_payment_reversals(sequence):
    check_after(sequence)


def test_the_random_operations_do_reach_allocations_removals_and_reversals():
    operations = Operations()
    for op, slot, value in [
        ("create_invoice", 0, 3),
        ("post", 0, 0),
        ("pay", 0, 100),
        ("create_invoice", 1, 4),
        ("post", 1, 0),
        ("correct", 0, 5),  # slot 1 now holds the correction; the invoice of slot 0 has open credit
        ("create_invoice", 2, 9),
        ("post", 2, 0),
        ("allocate", 0, 1),  # slot 0 against slot 2
        ("reverse_payment", 0, 1),
        ("unallocate", 0, 1),
        ("allocate", 0, 1),
    ]:
        operations.apply(op, slot, value)
    invoice, other = operations.fresh(0), operations.fresh(2)
    allocations = Allocation.objects.filter(is_automatic=False)
    assert allocations.count() == 1 and allocations.filter(reversed_at__isnull=False).count() == 1
    assert invoice.payments.get().is_reversed and invoice.net_paid == 0
    assert other.balance_due == other.amount_total
    assert selectors.balance_audit() == []


def test_check_balances_reports_an_allocated_figure_that_drifted():
    partner = factories.PartnerFactory()
    invoice = factories.posted(factories.invoice(partner=partner, lines=[factories.line(unit_price="100.00")]))
    bill = factories.posted(factories.bill(partner=partner))
    services.allocation_create(document=invoice, counterpart=bill, amount="5.00", user=factories.accountant())
    Document.objects.filter(pk=invoice.pk).update(allocated=D("4.00"))
    found = {(d.document_id, d.field): (d.stored, d.expected) for d in selectors.balance_audit()}
    assert found == {(invoice.pk, "allocated"): (D("4.00"), D("5.00"))}


def test_check_balances_passes_on_consistent_data():
    invoice = factories.posted(factories.invoice())
    factories.pay(invoice, "5.00")
    factories.posted(factories.bill())
    factories.invoice()
    assert "All 3 document(s) agree" in run_check()


def test_check_balances_reports_a_corrupted_balance_and_fails():
    invoice = factories.posted(factories.invoice())
    factories.pay(invoice, "5.00")
    Document.objects.filter(pk=invoice.pk).update(balance_due=D("1.00"))
    out = StringIO()
    with pytest.raises(CommandError, match="1 difference"):
        call_command("check_balances", stdout=out)
    assert f"(id {invoice.pk}): balance_due is 1.00, expected 7.00" in out.getvalue()


def test_check_balances_reports_net_paid_and_status_that_drifted():
    invoice = factories.posted(factories.invoice())
    factories.pay(invoice, "12.00")
    assert invoice.status == Status.PAID
    Document.objects.filter(pk=invoice.pk).update(net_paid=D("10.00"), balance_due=D("2.00"))
    found = {(d.document_id, d.field): (d.stored, d.expected) for d in selectors.balance_audit()}
    assert found == {
        (invoice.pk, "net_paid"): (D("10.00"), D("12.00")),
        (invoice.pk, "balance_due"): (D("2.00"), D("0.00")),
    }
    Document.objects.filter(pk=invoice.pk).update(net_paid=D("12.00"), balance_due=D("0.00"), status=Status.TO_PAY)
    found = {(d.field, d.stored, d.expected) for d in selectors.balance_audit()}
    assert found == {("status", Status.TO_PAY, Status.PAID)}


def test_balance_audit_reads_in_a_few_queries_whatever_the_payments():
    def count():
        with CaptureQueriesContext(connection) as queries:
            selectors.balance_audit()
        return len(queries)

    invoice = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00")]))
    factories.pay(invoice, "1.00")
    few = count()
    for _ in range(10):
        factories.pay(factories.posted(factories.invoice()), "1.00")
    assert count() == few


def test_the_random_operations_do_reach_corrections_and_returns():
    """The property tests are only as good as their operations: this sequence must build each kind."""
    operations = Operations()
    for op, slot, value in [
        ("create_invoice", 0, 3),
        ("post", 0, 0),
        ("pay", 0, 100),
        ("correct", 0, 5),
        ("refund", 0, 100),
        ("create_bill", 2, 7),
        ("post", 2, 0),
        ("return", 2, 0),
    ]:
        operations.apply(op, slot, value)
    original, correction, credit = operations.fresh(0), operations.fresh(1), operations.fresh(3)
    assert correction.original_id and correction.status == Status.PAID
    assert credit.type.is_return and credit.status in (Status.TO_PAY, Status.PAID)
    assert correction.original_id == original.pk
    assert original.status == Status.PAID and 0 < original.net_paid < original.amount_total  # open credit refunded
    assert selectors.balance_audit() == []
