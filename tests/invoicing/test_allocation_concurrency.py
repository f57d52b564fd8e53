"""Allocations made at the same moment (SPEC 10): row locks on both documents, taken in key order (PostgreSQL)."""

import time
from decimal import Decimal

import pytest

from invoicing import services
from invoicing.models import Allocation, Document, Status
from returns.services import return_create
from tests import factories
from tests.concurrency import run_at_once
from tests.returns.helpers import invoice_of_60, sales_type, set_quantity

D = Decimal


def open_credit_note_of_24(partner, user):
    sold = invoice_of_60(partner=partner)
    factories.pay(sold, "60.00")
    return factories.posted(set_quantity(return_create(document=sold, user=user), 2))


def invoice_of_100(partner):
    return factories.posted(
        factories.invoice(partner=partner, type=sales_type(), lines=[factories.line(unit_price="100.00", taxes=[])])
    )


def allocation(document, counterpart, amount, user):
    def action():
        services.allocation_create(
            document=Document.objects.get(pk=document.pk),
            counterpart=Document.objects.get(pk=counterpart.pk),
            amount=amount,
            user=user,
        )
        return "allocated"

    return action


def slow_locks(monkeypatch):
    """Hold each row lock a while before taking the next: two transactions locking the same two rows in
    opposite orders would each hold one and wait for the other."""
    lock = services.document_lock

    def slow_lock(document):
        locked = lock(document)
        time.sleep(0.3)
        return locked

    monkeypatch.setattr(services, "document_lock", slow_lock)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_allocations_of_the_same_credit_at_once_never_exceed_it(require_postgres, monkeypatch):
    user = factories.accountant()
    partner = factories.PartnerFactory(is_customer=True, is_vendor=False)
    first, second = invoice_of_100(partner), invoice_of_100(partner)
    credit_note = open_credit_note_of_24(partner, user)
    slow_locks(monkeypatch)

    outcomes = run_at_once(
        [allocation(first, credit_note, "24.00", user), allocation(second, credit_note, "24.00", user)]
    )

    assert sorted(outcomes, key=str).count("allocated") == 1, outcomes
    [refused] = [o for o in outcomes if o != "allocated"]
    assert "Nothing is open on" in refused, outcomes
    credit_note.refresh_from_db()
    assert credit_note.balance_due == 0 and credit_note.status == Status.PAID
    assert sum(a.amount for a in Allocation.objects.filter(is_automatic=False)) == D("24.00")
    balances = sorted(Document.objects.filter(pk__in=[first.pk, second.pk]).values_list("balance_due", flat=True))
    assert balances == [D("76.00"), D("100.00")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_opposite_allocations_between_the_same_documents_do_not_deadlock(require_postgres, monkeypatch):
    user = factories.accountant()
    partner = factories.PartnerFactory(is_customer=True, is_vendor=False)
    invoice = invoice_of_100(partner)
    credit_note = open_credit_note_of_24(partner, user)
    slow_locks(monkeypatch)

    outcomes = run_at_once(
        [allocation(invoice, credit_note, "10.00", user), allocation(credit_note, invoice, "10.00", user)]
    )

    assert outcomes == ["allocated", "allocated"], outcomes
    invoice.refresh_from_db()
    credit_note.refresh_from_db()
    assert invoice.balance_due == D("80.00") and credit_note.balance_due == D("4.00")
