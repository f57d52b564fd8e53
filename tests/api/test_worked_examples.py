"""SPEC 9, examples 5, 6, 10 and 11, driven entirely through the API."""

import pytest

from tests import factories
from tests.api.support import create_posted_invoice, master_data, ok, pay


@pytest.fixture
def setup():
    return master_data()


def _return_of(api, document, setup, quantity):
    """Create the credit note, edit it to `quantity` units (a full replace with the version read), post it."""
    note = ok(api.post(f"/documents/{document['id']}/returns", {"reason": "Damaged"}), 201)
    assert note["is_return"] and note["kind"] == "bill" and note["amount_total"] == "60.00"
    line = note["lines"][0]
    body = {
        "version": note["version"],
        "type": note["type"]["id"],
        "partner": note["partner"]["id"],
        "company": note["company"]["id"],
        "date": note["date"],
        "reason": note["reason"],
        "note": note["note"],
        "lines": [{**line, "quantity": str(quantity)}],
    }
    edited = ok(api.put(f"/documents/{note['id']}", body))
    assert edited["amount_total"] == "24.00"
    return ok(api.post(f"/documents/{note['id']}/post"))


def test_worked_example_5_return_of_a_paid_invoice_is_refunded_by_cash(accountant_api, setup):
    invoice = create_posted_invoice(accountant_api, setup)
    assert invoice["amount_total"] == "60.00" and invoice["status"] == "to_pay"
    pay(accountant_api, invoice, "60.00", setup.bank)
    assert ok(accountant_api.get(f"/documents/{invoice['id']}"))["status_words"] == "Paid"

    note = _return_of(accountant_api, invoice, setup, 2)
    assert note["status"] == "to_pay" and note["balance_due"] == "24.00"
    assert ok(accountant_api.get(f"/documents/{invoice['id']}"))["status"] == "paid"

    pay(accountant_api, note, "24.00", setup.cash)
    note = ok(accountant_api.get(f"/documents/{note['id']}"))
    assert note["status"] == "paid" and note["balance_due"] == "0.00"
    assert [p["method"]["name"] for p in note["payments"]] == ["Cash"]
    assert [r["id"] for r in ok(accountant_api.get(f"/documents/{invoice['id']}"))["returns"]] == [note["id"]]


def test_worked_example_6_return_of_an_unpaid_invoice_credits_it(accountant_api, setup):
    invoice = create_posted_invoice(accountant_api, setup)
    note = _return_of(accountant_api, invoice, setup, 2)
    assert note["balance_due"] == "0.00" and note["status"] == "paid"
    invoice = ok(accountant_api.get(f"/documents/{invoice['id']}"))
    assert invoice["balance_due"] == "36.00" and invoice["status"] == "to_pay"
    assert [a["amount"] for a in invoice["allocations"]] == ["24.00"]


def test_worked_example_10_a_correction_below_the_paid_amount_leaves_open_credit_refunded(accountant_api, setup):
    # The example's total of 100.00: one tax-free line.
    document = ok(
        accountant_api.post(
            "/documents",
            {"kind": "invoice", "type": setup.invoice_type, "partner": setup.customer, "company": setup.company,
             "lines": [{"description": "Service", "quantity": "1", "unit_price": "100.00"}]},
        ),
        201,
    )  # fmt: skip
    invoice = ok(accountant_api.post(f"/documents/{document['id']}/post"))
    pay(accountant_api, invoice, "100.00", setup.bank)
    assert ok(accountant_api.get(f"/documents/{invoice['id']}"))["status"] == "paid"

    correction = ok(accountant_api.post(f"/documents/{invoice['id']}/corrections", {"reason": "Price agreed"}), 201)
    line = correction["lines"][0]
    body = {
        "version": correction["version"],
        "type": correction["type"]["id"],
        "partner": correction["partner"]["id"],
        "company": correction["company"]["id"],
        "reason": "Price agreed",
        "lines": [{**line, "unit_price": "80.00"}],
    }
    ok(accountant_api.put(f"/documents/{correction['id']}", body))
    ok(accountant_api.post(f"/documents/{correction['id']}/post"))
    invoice = ok(accountant_api.get(f"/documents/{invoice['id']}"))
    assert invoice["balance_due"] == "-20.00" and invoice["status"] == "to_pay"
    assert [c["id"] for c in invoice["corrections"]] == [correction["id"]]

    pay(accountant_api, invoice, "20.00", setup.bank, kind="refund")
    invoice = ok(accountant_api.get(f"/documents/{invoice['id']}"))
    assert invoice["balance_due"] == "0.00" and invoice["status"] == "paid"


def test_worked_example_11_allocating_a_credit_note_to_another_invoice_and_removing_it(accountant_api, setup):
    first = create_posted_invoice(accountant_api, setup)
    pay(accountant_api, first, "60.00", setup.bank)
    note = _return_of(accountant_api, first, setup, 2)
    assert note["balance_due"] == "24.00"
    i1 = create_posted_invoice(accountant_api, setup, quantity=1, unit_price="83.33")  # 83.33 + 16.67 = 100.00
    assert i1["amount_total"] == "100.00"

    counterparts = ok(accountant_api.get(f"/documents/{note['id']}/counterparts"))
    assert [(c["document"]["id"], c["most"]) for c in counterparts] == [(i1["id"], "24.00")]

    refused = accountant_api.post(f"/documents/{note['id']}/allocations", {"counterpart": i1["id"], "amount": "30.00"})
    assert refused.status_code == 400 and refused["Content-Type"] == "application/problem+json"
    assert "at most 24.00" in refused.json()["detail"]

    allocation = ok(
        accountant_api.post(f"/documents/{note['id']}/allocations", {"counterpart": i1["id"], "amount": "24.00"}), 201
    )
    note_now, i1_now = (ok(accountant_api.get(f"/documents/{d['id']}")) for d in (note, i1))
    assert note_now["status_words"] == "Settled by credit" and note_now["balance_due"] == "0.00"
    assert i1_now["balance_due"] == "76.00"

    ok(accountant_api.delete(f"/allocations/{allocation['id']}"))
    note_now, i1_now = (ok(accountant_api.get(f"/documents/{d['id']}")) for d in (note, i1))
    assert (note_now["status"], note_now["balance_due"]) == ("to_pay", "24.00")
    assert (i1_now["status"], i1_now["balance_due"]) == ("to_pay", "100.00")


def test_worked_example_11_refuses_a_credit_note_of_another_customer(accountant_api, setup):
    first = create_posted_invoice(accountant_api, setup)
    pay(accountant_api, first, "60.00", setup.bank)
    note = _return_of(accountant_api, first, setup, 2)
    other = master_data()
    other.customer = factories.PartnerFactory(is_customer=True).pk
    foreign = create_posted_invoice(accountant_api, other)
    refused = accountant_api.post(f"/documents/{note['id']}/allocations", {"counterpart": foreign["id"], "amount": "1"})
    assert refused.status_code == 400
    assert "credit only settles documents of the same partner" in refused.json()["detail"]
