"""The lists' date hierarchy reads months and years off the date's text in SQL: the same answer as Django's."""

from datetime import date

import pytest
from django.db import models

from invoicing.models import Invoice, Payment, PaymentKind, PaymentMethod
from tests import factories

DAYS = [date(1999, 7, 4), date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 15), date(2026, 3, 2), date(2999, 12, 1)]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["year", "month"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_months_and_years_of_the_lists_are_the_ones_django_finds(kind, order):
    for day in DAYS:
        factories.invoice(date=day)
    invoices = Invoice.objects.all()
    assert list(invoices.dates("date", kind, order)) == list(models.QuerySet.dates(invoices, "date", kind, order))
    assert len(invoices.dates("date", kind, order)) == (4 if kind == "year" else 5)


@pytest.mark.django_db
def test_the_payments_list_has_the_same_periods():
    document = factories.posted(factories.invoice(lines=[factories.line(unit_price="100.00")]))
    method = PaymentMethod.objects.create(name="Transfer")
    for day in (date(2026, 1, 5), date(2026, 2, 5)):
        Payment.objects.create(document=document, kind=PaymentKind.PAYMENT, method=method, amount=1, date=day,
                               currency=document.currency)  # fmt: skip
    payments = Payment.objects.all()
    assert list(payments.dates("date", "month")) == list(models.QuerySet.dates(payments, "date", "month"))
