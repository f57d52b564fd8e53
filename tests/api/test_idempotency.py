"""Idempotency-Key: a repeat returns the first answer and creates nothing; another body is a 422."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from api.models import IdempotencyKey
from invoicing.models import Document, Payment
from tests import factories
from tests.api.conftest import ApiClient, token_for
from tests.api.support import create_posted_invoice, invoice_body, master_data, ok


def test_a_repeated_document_creation_returns_the_first_answer_and_creates_nothing(accountant_api):
    setup = master_data()
    body = invoice_body(setup, [{"description": "x", "quantity": "2", "unit_price": "5.00"}])
    first = accountant_api.post("/documents", body, **{"Idempotency-Key": "order-1"})
    again = accountant_api.post("/documents", body, **{"Idempotency-Key": "order-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Document.objects.count() == 1


def test_a_repeated_payment_returns_the_first_answer_and_another_body_is_422(accountant_api):
    setup = master_data()
    invoice = create_posted_invoice(accountant_api, setup)
    path = f"/documents/{invoice['id']}/payments"
    first = ok(accountant_api.post(path, {"method": setup.bank, "amount": "10.00"}, **{"Idempotency-Key": "p1"}), 201)
    again = ok(accountant_api.post(path, {"method": setup.bank, "amount": "10.00"}, **{"Idempotency-Key": "p1"}), 201)
    assert first == again and Payment.objects.count() == 1
    other = accountant_api.post(path, {"method": setup.bank, "amount": "11.00"}, **{"Idempotency-Key": "p1"})
    assert other.status_code == 422 and other["Content-Type"] == "application/problem+json"
    assert "p1" in other.json()["detail"]
    assert Payment.objects.count() == 1
    ok(accountant_api.post(path, {"method": setup.bank, "amount": "10.00"}, **{"Idempotency-Key": "p2"}), 201)
    assert Payment.objects.count() == 2


def test_an_error_is_not_stored_so_a_corrected_retry_runs(accountant_api):
    setup = master_data()
    invoice = create_posted_invoice(accountant_api, setup)
    path = f"/documents/{invoice['id']}/payments"
    refused = accountant_api.post(path, {"method": setup.bank, "amount": "100.00"}, **{"Idempotency-Key": "k"})
    assert refused.status_code == 400 and not IdempotencyKey.objects.exists()
    ok(accountant_api.post(path, {"method": setup.bank, "amount": "60.00"}, **{"Idempotency-Key": "k"}), 201)


def test_keys_expire_after_24_hours_and_belong_to_one_user(accountant_api, client):
    setup = master_data()
    body = invoice_body(setup, [{"description": "x"}])
    ok(accountant_api.post("/documents", body, **{"Idempotency-Key": "k"}), 201)
    other_user = ApiClient(Client(), token_for(factories.accountant("second")))
    ok(other_user.post("/documents", body, **{"Idempotency-Key": "k"}), 201)
    IdempotencyKey.objects.update(
        created=IdempotencyKey.objects.get(user__username="accountant").created - timedelta(hours=25)
    )
    ok(accountant_api.post("/documents", body, **{"Idempotency-Key": "k"}), 201)
    assert Document.objects.count() == 3


@pytest.mark.postgres
def test_two_concurrent_payments_with_one_key_create_one_payment_on_postgresql(require_postgres, transactional_db):
    setup = master_data()
    user = factories.accountant()
    token = token_for(user)
    invoice = factories.posted(factories.invoice(lines=[factories.line(quantity="5")], user=user), user=user)
    barrier, answers = threading.Barrier(2), []

    def pay():
        try:
            api = ApiClient(Client(), token)
            barrier.wait()
            response = api.post(
                f"/documents/{invoice.pk}/payments", {"method": setup.bank, "amount": "10.00"},
                **{"Idempotency-Key": "race"},
            )  # fmt: skip
            answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert Payment.objects.filter(document=invoice).count() == 1
