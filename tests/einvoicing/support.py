"""Parties with the master data of SPEC 2, and the documents of the worked examples, for the export tests."""

from decimal import Decimal

from invoicing.models import Company, Partner
from returns.services import return_create
from tests import factories
from tests.returns.helpers import sales_type, set_quantity

D = Decimal


def company(currency="USD"):
    name = "Acme Ltd" if currency == "USD" else f"Acme {currency}"
    return Company.objects.get_or_create(
        name=name,
        defaults={
            "currency": currency,
            "legal_name": f"{name} GmbH",
            "street": "Kassenweg 12",
            "postcode": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "DE136695976",
            "registration_number": "HRB 123456 B",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
            "email": "billing@acme.example",
            "peppol_scheme": "9930",
            "peppol_id": "DE136695976",
        },
    )[0]


def customer(**overrides):
    data = {
        "name": "Northwind Traders",
        "is_customer": True,
        "street": "Rue de la Paix 5",
        "postcode": "75002",
        "city": "Paris",
        "country": "FR",
        "vat_id": "FR40303265045",
        "email": "ap@northwind.example",
        "peppol_scheme": "9957",
        "peppol_id": "FR40303265045",
        **overrides,
    }
    return Partner.objects.create(**data)


def invoice_of_60(currency="USD", partner=None, unit_price="10.00", post=True):
    """Worked example 5's invoice: 5 × 10.00 + VAT 20% = 60.00, posted (JPY: 5 × 1,000 + 20%)."""
    invoice = factories.invoice(
        type=sales_type(),
        company=company(currency),
        partner=partner or customer(),
        currency=currency,
        lines=[factories.line(quantity=5, unit_price=unit_price, description="Chair")],
    )
    return factories.posted(invoice) if post else invoice


def credit_note_of_2(invoice, reason="Damaged in transit"):
    """Worked example 5's credit note: 2 of the 5 chairs come back (24.00), posted."""
    credit_note = return_create(document=invoice, user=factories.accountant(), reason=reason)
    set_quantity(credit_note, 2)
    return factories.posted(credit_note)
