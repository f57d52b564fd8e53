"""Factories for the suite. Non-draft states are reached through the services (see `posted`)."""

from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from invoicing import models, selectors, services
from invoicing.models import Kind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def accountant(username="accountant"):
    return UserFactory(username=username, role="Accountant")


def reviewer(username="reviewer"):
    return UserFactory(username=username, role="Reviewer")


def administrator(username="administrator"):
    return UserFactory(username=username, role="Administrator")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Company
        django_get_or_create = ("name",)

    name = "Acme Ltd"
    currency = "USD"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Partner

    name = factory.Sequence(lambda n: f"Partner {n}")
    is_customer = True
    is_vendor = True


class TaxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Tax
        django_get_or_create = ("name",)

    name = "VAT 20%"
    rate = Decimal("20")
    group = "VAT"


class PaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PaymentMethod
        django_get_or_create = ("name",)

    name = "Bank transfer"


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Item

    name = factory.Sequence(lambda n: f"Item {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    default_price = Decimal("10.00")


class DocumentTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DocumentType

    kind = Kind.INVOICE
    name = factory.Sequence(lambda n: f"Type {n}")
    series = factory.Sequence(lambda n: f"S{n}")


def invoice_type(**kwargs):
    kwargs.setdefault("name", "Invoice")
    kwargs.setdefault("series", "INV")
    return models.DocumentType.objects.get_or_create(kind=Kind.INVOICE, name=kwargs.pop("name"), defaults=kwargs)[0]


def bill_type(**kwargs):
    kwargs.setdefault("name", "Bill")
    kwargs.setdefault("series", "BILL")
    return models.DocumentType.objects.get_or_create(kind=Kind.BILL, name=kwargs.pop("name"), defaults=kwargs)[0]


def line(quantity="1", unit_price="10.00", discount="0", taxes=None, **extra):
    return {
        "description": extra.pop("description", "Goods"),
        "quantity": Decimal(str(quantity)),
        "unit_price": Decimal(str(unit_price)),
        "discount": Decimal(str(discount)),
        "taxes": [TaxFactory()] if taxes is None else taxes,
        **extra,
    }


def document(kind=Kind.INVOICE, lines=None, user=None, **kwargs):
    """A draft document; `lines` is a list of `line(...)` dicts (default: one 1 × 10.00 + VAT line)."""
    user = user or accountant()
    kwargs.setdefault("type", invoice_type() if kind == Kind.INVOICE else bill_type())
    kwargs.setdefault("company", CompanyFactory())
    kwargs.setdefault("partner", PartnerFactory())
    return services.document_create(kind=kind, user=user, lines=[line()] if lines is None else lines, **kwargs)


def invoice(**kwargs):
    return document(kind=Kind.INVOICE, **kwargs)


def bill(**kwargs):
    return document(kind=Kind.BILL, **kwargs)


def posted(doc, user=None):
    """Post as an accountant does: a correction or a return states its reason first (SPEC 5, 7)."""
    return services.document_post(document=with_reason(doc, user), user=user or accountant())


def with_reason(doc, user=None, reason="Agreed with the partner"):
    """A draft correction or return with a reason (saved through the one write path), else `doc` as it is."""
    if doc.status == models.Status.DRAFT and (doc.original_id or doc.is_return) and not doc.reason.strip():
        # Only the reason, as the header field would be typed: the lines stay exactly as the test left them.
        models.Document.objects.filter(pk=doc.pk).update(reason=reason)
        doc.reason = reason
    return doc


def pay(doc, amount, kind=models.PaymentKind.PAYMENT, user=None, method=None):
    return services.payment_register(
        document=doc,
        kind=kind,
        method=method or PaymentMethodFactory(),
        amount=amount,
        user=user or accountant(),
    )


def save_draft(doc, user=None, lines=None, **header):
    """Save a draft through the one write path; `lines` default to its stored lines, unchanged."""
    lines = selectors.draft_line_data(document=doc) if lines is None else lines
    return services.document_draft_save(document=doc, user=user or accountant(), lines=lines, **header)


def edit_lines(doc, user=None, **changes_by_position):
    """Change stored lines of a draft as the card would: `edit_lines(doc, **{"1": {"quantity": 2}})`;
    a position mapped to None removes that line."""
    lines = []
    for data in selectors.draft_line_data(document=doc):
        change = changes_by_position.get(str(data["position"]), {})
        if change is None:
            continue
        lines.append({**data, **change})
    return save_draft(doc, user=user, lines=lines)
