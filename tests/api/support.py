"""Master data for the API tests (set up once, as an administrator would); everything else goes through the API."""

from dataclasses import dataclass

from tests import factories
from tests.returns.helpers import sales_type


@dataclass
class Setup:
    invoice_type: int
    customer: int
    company: int
    vat: int
    bank: int
    cash: int


def master_data():
    return Setup(
        invoice_type=sales_type().pk,
        customer=factories.PartnerFactory(is_customer=True, is_vendor=False).pk,
        company=factories.CompanyFactory().pk,
        vat=factories.TaxFactory().pk,
        bank=factories.PaymentMethodFactory().pk,
        cash=factories.PaymentMethodFactory(name="Cash").pk,
    )


def invoice_body(setup, lines, **extra):
    return {
        "kind": "invoice",
        "type": setup.invoice_type,
        "partner": setup.customer,
        "company": setup.company,
        "lines": lines,
        **extra,
    }


def goods(quantity, unit_price="10.00", setup=None, **extra):
    return {"description": "Goods", "quantity": str(quantity), "unit_price": unit_price, "taxes": [setup.vat], **extra}


def ok(response, status=200):
    assert response.status_code == status, response.content
    return response.json() if response.content else None


def create_posted_invoice(api, setup, quantity=5, unit_price="10.00"):
    document = ok(api.post("/documents", invoice_body(setup, [goods(quantity, unit_price, setup)])), 201)
    return ok(api.post(f"/documents/{document['id']}/post"))


def pay(api, document, amount, method, kind="payment"):
    return ok(
        api.post(f"/documents/{document['id']}/payments", {"kind": kind, "method": method, "amount": amount}), 201
    )
