"""Demo data for `make run`: idempotent, so running it again changes nothing."""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from invoicing import registry, services
from invoicing.amounts import round_money
from invoicing.models import (
    Company,
    Document,
    DocumentType,
    Item,
    Kind,
    Partner,
    PaymentKind,
    PaymentMethod,
    Reason,
    Tax,
)

USERS = [
    # username, password, role, superuser
    ("admin", "admin", "Administrator", True),
    ("accountant", "accountant", "Accountant", False),
    ("reviewer", "reviewer", "Reviewer", False),
]
CUSTOMERS = ["Northwind Traders", "Contoso Retail", "Blue Yonder Airlines", "Fabrikam Stores", "Tailspin Toys"]
VENDORS = ["Globex Supplies", "Initech Hardware", "Umbrella Logistics", "Wayne Paper Co."]
ITEMS = [
    ("DESK-01", "Standing desk", "pcs", "420.00"),
    ("CHAIR-02", "Office chair", "pcs", "180.00"),
    ("LAMP-03", "Desk lamp", "pcs", "35.50"),
    ("PAPER-A4", "A4 paper, box", "box", "24.90"),
    ("CONS-HR", "Consulting", "h", "95.00"),
    ("SHIP", "Shipping", "pcs", "12.00"),
]

# What an issued invoice states of us (SPEC 2, 11): addresses, VAT IDs, bank details, Peppol endpoints.
COMPANIES = {
    "Ledgerline Demo Ltd": {
        "currency": "USD", "legal_name": "Ledgerline Demo Limited", "street": "1 Ledger Lane", "postcode": "EC1A 1BB",
        "city": "London", "country": "GB", "vat_id": "GB980780684", "registration_number": "Companies House 01234567",
        "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L", "email": "billing@ledgerline.example",
        "peppol_scheme": "9932", "peppol_id": "GB980780684",
    },
    "Ledgerline Europe GmbH": {
        "currency": "EUR", "legal_name": "Ledgerline Europe GmbH", "street": "Kassenweg 12", "postcode": "10115",
        "city": "Berlin", "country": "DE", "vat_id": "DE136695976", "registration_number": "HRB 123456 B",
        "iban": "DE89370400440532013000", "bic": "COBADEFFXXX", "email": "rechnung@ledgerline.example",
        "peppol_scheme": "9930", "peppol_id": "DE136695976",
    },
}  # fmt: skip
ADDRESSES = {
    "Northwind Traders": {"street": "Rue de la Paix 5", "postcode": "75002", "city": "Paris", "country": "FR",
                          "vat_id": "FR40303265045", "peppol_scheme": "9957", "peppol_id": "FR40303265045"},
    "Contoso Retail": {"street": "Keizersgracht 100", "postcode": "1015 CX", "city": "Amsterdam", "country": "NL",
                       "vat_id": "NL004495445B01", "peppol_scheme": "9944", "peppol_id": "NL004495445B01"},
    "Blue Yonder Airlines": {"street": "Rue Royale 1", "postcode": "1000", "city": "Brussels", "country": "BE",
                             "vat_id": "BE0403170701", "peppol_scheme": "0208", "peppol_id": "0403170701"},
    "Fabrikam Stores": {"street": "Via Roma 10", "postcode": "00184", "city": "Rome", "country": "IT",
                        "vat_id": "IT00743110157"},
    "Globex Supplies": {"street": "Ringstrasse 3", "postcode": "1010", "city": "Vienna", "country": "AT",
                        "vat_id": "ATU13585627"},
}  # fmt: skip
REASONS = ["Price agreed after delivery", "Quantity delivered differs", "Damaged in transit", "Not as ordered",
           "Goods returned in part", "Wrong VAT rate"]  # fmt: skip


def refuse_unless_demo_database(*, force=False):
    """seed_demo resets the demo users' passwords: never with production settings, and only on a database
    that is empty or holds nothing but its own demo data, unless --force says so."""
    environment = getattr(settings, "LEDGERLINE_ENVIRONMENT", "")
    if environment == "production" or (not settings.DEBUG and environment != "test"):
        raise CommandError(
            "seed_demo never runs with production settings (or with DEBUG off): it resets the demo passwords."
        )
    if force:
        return
    others = {
        "users": User.objects.exclude(username__in=[username for username, *_ in USERS]),
        "companies": Company.objects.exclude(name__in=list(COMPANIES)),
        "partners": Partner.objects.exclude(name__in=[*CUSTOMERS, *VENDORS, "Acme Corporation"]),
    }
    found = [what for what, rows in others.items() if rows.exists()]
    if found:
        raise CommandError(
            f"This database holds {', '.join(found)} that the demo did not create: seed_demo would reset "
            "the passwords of admin, accountant and reviewer here. Point DATABASE_URL at a scratch database, "
            "or run `seed_demo --force` if that is really what you want."
        )


class Command(BaseCommand):
    help = "Load demo data: company, partners, taxes, methods, the four types, users and documents."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load into a database that holds data other than the demo's (never with production settings).",
        )

    def handle(self, *args, **options):
        refuse_unless_demo_database(force=options["force"])
        with transaction.atomic():
            users = self.users()
            company = self.master_data()
            if Document.objects.filter(company=company).exists():
                self.stdout.write("Demo data already loaded; users and passwords refreshed.")
                return
            self.documents(company, users["accountant"])
            self.european_documents(users["accountant"])
            for extension in registry.extensions():
                extension.seed_demo(company=company, user=users["accountant"], stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded. Log in as admin/admin, accountant/accountant or reviewer/reviewer.")
        )

    def users(self):
        users = {}
        for username, password, role, superuser in USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff, user.is_superuser = True, superuser
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[username] = user
        return users

    def master_data(self):
        company, _ = Company.objects.get_or_create(
            name="Ledgerline Demo Ltd", defaults=COMPANIES["Ledgerline Demo Ltd"]
        )
        Company.objects.get_or_create(name="Ledgerline Europe GmbH", defaults=COMPANIES["Ledgerline Europe GmbH"])
        for name in CUSTOMERS:
            Partner.objects.get_or_create(
                name=name, defaults={"is_customer": True, "email": "ap@example.com", **ADDRESSES.get(name, {})}
            )
        for name in VENDORS:
            Partner.objects.get_or_create(
                name=name, defaults={"is_vendor": True, "payment_terms_days": 45, **ADDRESSES.get(name, {})}
            )
        Partner.objects.get_or_create(name="Acme Corporation", defaults={"is_customer": True, "is_vendor": True})
        for text in REASONS:
            Reason.objects.get_or_create(text=text)
        vat20, _ = Tax.objects.get_or_create(name="VAT 20%", defaults={"rate": Decimal("20"), "group": "VAT"})
        Tax.objects.get_or_create(name="VAT 10%", defaults={"rate": Decimal("10"), "group": "VAT"})
        Tax.objects.get_or_create(name="VAT 0%", defaults={"rate": Decimal("0"), "group": "VAT"})
        Tax.objects.get_or_create(name="Eco levy 1%", defaults={"rate": Decimal("1"), "group": "Levy"})
        for name in ["Cash", "Card", "Bank transfer", "Check", "Store credit"]:
            PaymentMethod.objects.get_or_create(name=name)
        for sku, name, unit, price in ITEMS:
            item, created = Item.objects.get_or_create(
                sku=sku, defaults={"name": name, "unit": unit, "default_price": Decimal(price)}
            )
            if created:
                item.default_taxes.set([vat20])
        credit_note, _ = DocumentType.objects.get_or_create(
            kind=Kind.BILL, name="Credit note", defaults={"series": "CN", "is_return": True}
        )
        refund, _ = DocumentType.objects.get_or_create(
            kind=Kind.INVOICE, name="Refund", defaults={"series": "RF", "is_return": True}
        )
        DocumentType.objects.get_or_create(
            kind=Kind.INVOICE,
            name="Invoice",
            defaults={"series": "INV", "return_type": credit_note, "check_returned_quantity": True},
        )
        DocumentType.objects.get_or_create(
            kind=Kind.BILL, name="Bill", defaults={"series": "BILL", "return_type": refund}
        )
        return company

    def documents(self, company, user):
        rng = random.Random(2026)
        today = timezone.localdate()
        types = {t.name: t for t in DocumentType.objects.all()}
        vat20 = Tax.objects.get(name="VAT 20%")
        items = list(Item.objects.all())
        methods = list(PaymentMethod.objects.all())
        customers = list(Partner.objects.filter(is_customer=True))
        vendors = list(Partner.objects.filter(is_vendor=True))
        for n in range(36):
            kind = Kind.INVOICE if n % 3 else Kind.BILL
            lines = []
            for _ in range(rng.randint(1, 4)):
                item = rng.choice(items)
                lines.append(
                    {
                        "item": item,
                        "description": item.name,
                        "quantity": Decimal(rng.randint(1, 8)),
                        "unit_price": item.default_price,
                        "discount": Decimal(rng.choice([0, 0, 5, 10])),
                        "taxes": [vat20],
                    }
                )
            document = services.document_create(
                kind=kind,
                type=types["Invoice" if kind == Kind.INVOICE else "Bill"],
                company=company,
                partner=rng.choice(customers if kind == Kind.INVOICE else vendors),
                user=user,
                date=today - timedelta(days=rng.randint(0, 75)),
                lines=lines,
                vendor_reference=f"V-{1000 + n}" if kind == Kind.BILL else "",
            )
            fate = (n // 3 + n) % 6  # 0 draft, 1 to pay, 2 partly paid, 3 and 4 paid, 5 canceled
            if fate == 0:
                continue
            if fate == 5:
                services.document_cancel(document=document, user=user)
                continue
            services.document_post(document=document, user=user)
            if fate == 2:
                amount = round_money(document.balance_due / 2, document.currency)
                self.pay(document, amount, rng.choice(methods), user)
            elif fate in (3, 4):
                self.pay(document, document.balance_due, rng.choice(methods), user)

    def european_documents(self, user):
        """A second company invoicing in EUR, so reports show one row per currency."""
        company = Company.objects.get(name="Ledgerline Europe GmbH")
        vat20 = Tax.objects.get(name="VAT 20%")
        today = timezone.localdate()
        customers = list(Partner.objects.filter(is_customer=True).order_by("name")[:3])
        for n, customer in enumerate(customers):
            document = services.document_create(
                kind=Kind.INVOICE, type=DocumentType.objects.get(kind=Kind.INVOICE, name="Invoice"), company=company,
                partner=customer, user=user, currency="EUR", date=today - timedelta(days=20 * n + 5),
                lines=[{"description": "Consulting (EU)", "quantity": Decimal(4 + n), "unit_price": Decimal("110.00"),
                        "discount": Decimal("0"), "taxes": [vat20]}],
            )  # fmt: skip
            services.document_post(document=document, user=user)
            if n == 0:
                self.pay(document, document.balance_due, PaymentMethod.objects.get(name="Bank transfer"), user)
            if n == 1:
                # A payment typed on the wrong invoice, reversed: the row stays, struck through, with the reason.
                payment = services.payment_register(
                    document=document, kind=PaymentKind.PAYMENT, method=PaymentMethod.objects.get(name="Card"),
                    amount=document.balance_due, user=user, date=document.date + timedelta(days=2),
                    reference=f"CARD-{document.pk}",
                )  # fmt: skip
                services.payment_reverse(
                    payment=payment, user=user, reason="Card payment belonged to another customer's invoice"
                )

    def pay(self, document, amount, method, user):
        services.payment_register(
            document=document,
            kind=PaymentKind.PAYMENT,
            method=method,
            amount=amount,
            user=user,
            date=min(document.date + timedelta(days=3), timezone.localdate()),
            reference=f"PAY-{document.pk}",
        )
