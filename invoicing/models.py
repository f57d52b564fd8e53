"""The invoicing core: master data, document types, documents and their lines, payments.

Documents of both kinds (bills and invoices) share one table. The fields that corrections
(`original`, `is_reversal`, `correction_index`) and returns (`DocumentLine.source_line`) need live
here so that the database keeps one table per concept; the logic that reads and writes them lives in
the `corrections` and `returns` apps. Money moving between documents of a partner (a return's credit,
open credit applied to another document) is one table, `Allocation`.
"""

import contextlib
import contextvars
import functools
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Substr
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django_countries.fields import CountryField
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from djmoney.models.fields import CurrencyField
from djmoney.money import Money

from invoicing import registry
from invoicing.amounts import ZERO
from invoicing.validators import validate_bic, validate_eas, validate_iban, vat_error

FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2999, 12, 31)


def date_validators():
    """Dates a document or payment may carry (SPEC 3): far dates are typing mistakes, and overflow."""
    return [
        MinValueValidator(FIRST_DATE, message="Enter a date from 1900-01-01 on."),
        MaxValueValidator(LAST_DATE, message="Enter a date up to 2999-12-31."),
    ]


def amount_field(verbose_name, **kwargs):
    """A stored amount in the document's currency (see `Document.currency`)."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, default=ZERO, **kwargs)


def currency_field(**kwargs):
    return CurrencyField(choices=[(c, c) for c in settings.CURRENCIES], default=settings.DEFAULT_CURRENCY, **kwargs)


class Kind(models.TextChoices):
    BILL = "bill", "Bill"
    INVOICE = "invoice", "Invoice"


def opposite_kind(kind):
    return Kind.INVOICE if kind == Kind.BILL else Kind.BILL


def validate_logo(file):
    """A logo is a PNG or JPEG image of at most 1 MB (it is embedded in every PDF)."""
    from PIL import Image, UnidentifiedImageError

    if file.size > 1_000_000:
        raise ValidationError("The logo must be at most 1 MB.")
    try:
        with Image.open(file) as image:
            kind = image.format
    except (UnidentifiedImageError, OSError):
        raise ValidationError("The logo must be a PNG or JPEG image.") from None
    finally:
        file.seek(0)
    if kind not in ("PNG", "JPEG"):
        raise ValidationError("The logo must be a PNG or JPEG image.")


class Address(models.Model):
    """Postal address, VAT ID and Peppol endpoint: what an issued invoice states of each party (SPEC 2, 11)."""

    street = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = CountryField(blank=True, help_text="ISO 3166 country.")
    vat_id = models.CharField(
        "VAT ID", max_length=50, blank=True, help_text="With its country prefix in the EU, e.g. DE136695976."
    )
    peppol_scheme = models.CharField(
        "Peppol endpoint scheme",
        max_length=4,
        blank=True,
        validators=[validate_eas],
        help_text="EAS code of the Peppol endpoint, e.g. 0088 (GLN), 0208 (BE company number), 9930 (DE VAT).",
    )
    peppol_id = models.CharField("Peppol endpoint ID", max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def has_peppol_endpoint(self):
        return bool(self.peppol_scheme and self.peppol_id)

    def clean(self):
        errors = {}
        message = vat_error(self.vat_id, self.country.code if self.country else "")
        if message:
            errors["vat_id"] = message
        if bool(self.peppol_scheme) != bool(self.peppol_id):
            errors["peppol_id" if self.peppol_scheme else "peppol_scheme"] = (
                "A Peppol endpoint needs both its scheme and its ID."
            )
        if errors:
            raise ValidationError(errors)


class Company(Address):
    name = models.CharField(max_length=200, unique=True)
    currency = currency_field(verbose_name="Default currency")
    legal_name = models.CharField(max_length=200, blank=True, help_text="As registered; defaults to the name.")
    registration_number = models.CharField(max_length=50, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True, validators=[validate_iban])
    bic = models.CharField("BIC", max_length=11, blank=True, validators=[validate_bic])
    email = models.EmailField(blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True, validators=[validate_logo])

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.name

    @property
    def display_legal_name(self):
        return self.legal_name or self.name

    def clean(self):
        self.iban = self.iban.replace(" ", "").upper()
        self.bic = self.bic.replace(" ", "").upper()
        super().clean()


class Partner(Address):
    name = models.CharField(max_length=200)
    is_customer = models.BooleanField("Customer", default=False)
    is_vendor = models.BooleanField("Vendor", default=False)
    payment_terms_days = models.PositiveIntegerField("Payment terms (days)", default=30)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_customer=True) | Q(is_vendor=True),
                name="partner_is_customer_or_vendor",
                violation_error_message="A partner must be a customer, a vendor or both.",
            )
        ]

    def __str__(self):
        return self.name


class Tax(models.Model):
    name = models.CharField(max_length=100, unique=True)
    rate = models.DecimalField("Rate (%)", max_digits=7, decimal_places=4, validators=[MinValueValidator(ZERO)])
    group = models.CharField(
        max_length=50, blank=True, help_text="A line may carry at most one tax of a group (e.g. VAT)."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxes"
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="tax_rate_not_negative"),
        ]

    def __str__(self):
        return self.name

    def is_on_posted_lines(self):
        return DocumentLine.objects.filter(taxes=self).exclude(document__status=Status.DRAFT).exists()

    def clean(self):
        # Posted documents keep the tax amounts they were posted with: a new rate is a new tax.
        if self.pk and Tax.objects.filter(pk=self.pk).exclude(rate=self.rate).exists() and self.is_on_posted_lines():
            raise ValidationError(
                {"rate": "Posted documents carry this tax; create a new tax with the new rate instead."}
            )


class Item(models.Model):
    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64, unique=True)
    unit = models.CharField(max_length=20, default="pcs")
    is_sellable = models.BooleanField("Sellable", default=True)
    is_purchasable = models.BooleanField("Purchasable", default=True)
    default_price = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    default_taxes = models.ManyToManyField(Tax, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"[{self.sku}] {self.name}"


class PaymentMethod(models.Model):
    name = models.CharField(max_length=100, unique=True)
    is_active = models.BooleanField("Active", default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DocumentType(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    series = models.CharField(
        max_length=20,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
                "Use letters, digits, “-” and “_”, starting with a letter or a digit (e.g. INV or CN-EU).",
            )
        ],
        help_text="Prefix of the numbers, e.g. INV gives INV/2026/00042.",
    )
    is_return = models.BooleanField(
        "Return",
        default=False,
        help_text="A return bill is a credit note; a return invoice is a refund to a supplier.",
    )
    return_type = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The type the Return action creates: a return type of the opposite kind.",
    )
    check_returned_quantity = models.BooleanField(
        default=False, help_text="Refuse returns of more than was sold on a document of this type."
    )
    prices_include_tax = models.BooleanField(default=False)
    is_active = models.BooleanField("Active", default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "name"], name="document_type_unique_name"),
            models.UniqueConstraint(fields=["series"], name="document_type_unique_series"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.pk:
            self._check_changes_in_use()
        if self.return_type_id is None:
            return
        target = self.return_type
        if target.pk == self.pk:
            raise ValidationError({"return_type": "A type cannot be its own Return type."})
        if target.kind == self.kind:
            raise ValidationError(
                {
                    "return_type": f"The Return type of a {self.get_kind_display().lower()} type must be "
                    f"a {Kind(opposite_kind(self.kind)).label.lower()} type; “{target}” is a "
                    f"{target.get_kind_display().lower()} type."
                }
            )
        if not target.is_return:
            raise ValidationError(
                {"return_type": f"“{target}” does not have the Return flag; only return types can be chosen."}
            )

    def _check_changes_in_use(self):
        stored = DocumentType.objects.filter(pk=self.pk).values("is_return", "prices_include_tax", "kind").first()
        if stored is None:
            return
        if stored["is_return"] and not self.is_return:
            users = DocumentType.objects.filter(return_type=self).exclude(pk=self.pk)
            if users.exists():
                names = ", ".join(str(t) for t in users)
                raise ValidationError({"is_return": f"{names} use “{self}” as their Return type; change them first."})
        changed = [name for name in ("is_return", "prices_include_tax") if stored[name] != getattr(self, name)]
        if changed and self.documents.exclude(status=Status.DRAFT).exists():
            raise ValidationError(
                {
                    changed[0]: "Posted documents of this type were computed with this setting; create a new type "
                    "and deactivate this one instead."
                }
            )


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    TO_PAY = "to_pay", "To pay"
    PAID = "paid", "Paid"
    CANCELED = "canceled", "Canceled"


POSTED_STATUSES = (Status.TO_PAY, Status.PAID)


# Guards of the transitions. Each returns a message when the transition is refused, so the card
# can say why; the FSM conditions are the same functions, so UI and model never disagree. Inside
# `guards_checked_once()` (the transition funnel, the card) each guard runs once per document and
# transition: the FSM's own check of its conditions reuses the answer the funnel already has.
_guard_answers = contextvars.ContextVar("guard_answers", default=None)


@contextlib.contextmanager
def guards_checked_once(ctx=None):
    token = _guard_answers.set({})
    try:
        with registry.using(ctx or registry.current_context()):
            yield
    finally:
        _guard_answers.reset(token)


def _answer(document, question, compute):
    answers = _guard_answers.get()
    key = (document.pk, document.status, question)
    if answers is None:
        return compute(document)
    if key not in answers:
        answers[key] = compute(document)
    return answers[key]


def refusal(document, name):
    """Why the transition `name` is refused for `document` now, or None."""
    guard = GUARDS.get(name)
    return _answer(document, name, guard) if guard else None


def post_refusal(document):
    if document.pk is None or not document.lines.exists():
        return "Add at least one line before posting."
    message = document.partner_role_error()
    if message:
        return message
    if document.amount_total < 0 and not document.is_reversal:
        return f"The total is {document.amount_total} {document.currency}; only a reversal correction may be negative."
    return registry.first_message("post_refusal", document, registry.current_context())


def _dependents_refusal(document):
    # Reset and cancel both ask it: once per document in a `guards_checked_once()` scope.
    return _answer(
        document,
        "dependents",
        lambda d: registry.first_message("dependents_refusal", d, registry.current_context()),
    )


def document_allocations(document, ctx=None):
    """Every allocation touching a document (reversed ones too), oldest first, with both documents joined;
    read once per context (the guards, the Debt tab and the card share it)."""
    ctx = ctx or registry.current_context()
    # A correction's balance is always 0 (its original carries it): never allocated.
    if document.original_id or not ctx.may_have("allocations", document):
        return []
    return ctx.remember(
        ("allocations", document.pk),
        lambda: list(
            Allocation.objects.touching(document).select_related(
                "receivable__type", "payable__type", "created_by", "reversed_by"
            )
        ),
    )


def allocations_refusal(document):
    """Manual allocations tie a document to others: they are removed first (SPEC 10)."""
    if not document.is_posted:  # a draft or canceled document has no allocation in force
        return None
    others = [
        allocation.other(document)
        for allocation in document_allocations(document)
        if not allocation.is_automatic and allocation.reversed_at is None
    ]
    if not others:
        return None
    names = ", ".join(str(other) for other in others)
    return f"It is allocated against {names}: remove the allocation on its Debt tab first."


def reset_refusal(document):
    if document.payments.exists():
        return "It has payments, which stay in the books: fix the amount with a correction instead."
    return _dependents_refusal(document) or allocations_refusal(document)


def cancel_refusal(document):
    if document.net_paid != 0:
        return (
            f"Net paid is {document.net_paid} {document.currency}: a paid document is not canceled. To undo it, "
            "reverse its payments (Payments tab), or post a correction (to zero) and refund the open credit it leaves."
        )
    return _dependents_refusal(document) or allocations_refusal(document)


GUARDS = {"post": post_refusal, "reset_to_draft": reset_refusal, "cancel": cancel_refusal}


def _can_post(document):
    return refusal(document, "post") is None


def _can_reset(document):
    return refusal(document, "reset_to_draft") is None


def _can_cancel(document):
    return refusal(document, "cancel") is None


def _balance_is_zero(document):
    return document.balance_due == 0


def _balance_is_not_zero(document):
    return document.balance_due != 0


_PK_MARK = "9876543210"


def change_url_around_pk(kind):
    """What comes before and after the pk in a document's card URL. A card links hundreds of documents
    (a chain, its debt rows), and `reverse()` walks the resolver each time: it runs once per URL set-up."""
    return _reversed_around_pk(kind, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=64)
def _reversed_around_pk(kind, urlconf, script_prefix):
    return tuple(reverse(f"admin:invoicing_{kind}_change", args=[_PK_MARK], urlconf=urlconf).split(_PK_MARK))


class Document(ConcurrentTransitionMixin, models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices, editable=False)
    type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="documents")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="documents")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="documents")
    number = models.CharField(max_length=50, blank=True, editable=False)
    date = models.DateField(default=timezone.localdate, validators=date_validators())
    due_date = models.DateField(
        "Pay before",
        blank=True,
        null=True,
        validators=date_validators(),
        help_text="Defaults to date + payment terms.",
    )
    currency = currency_field()
    note = models.TextField(blank=True)
    reason = models.TextField(
        blank=True,
        help_text="Why a correction or a return was made; required to post one (corrections and returns apps).",
    )
    vendor_reference = models.CharField(max_length=100, blank=True)
    status = FSMField(default=Status.DRAFT, choices=Status.choices, protected=True)

    # Owned by the corrections app.
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The document this one corrects (corrections app).",
    )
    is_reversal = models.BooleanField(
        "Reversal", default=False, help_text="Bill corrections only: the lines hold the delta (corrections app)."
    )
    correction_index = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="Assigned when the correction is posted (corrections app)."
    )

    # Stored amounts, recomputed by the services on every change so that lists and reports
    # aggregate them in SQL.
    amount_untaxed = amount_field("Untaxed", editable=False)
    amount_tax = amount_field("Tax", editable=False)
    amount_total = amount_field("Total", editable=False)
    # {tax id: amount} as the lines give them (amounts as strings, exact on every engine), stored with the
    # totals so a correction chain and the card's footer read them instead of every line.
    tax_amounts = models.JSONField("Tax per rate", default=dict, editable=False, encoder=DjangoJSONEncoder)
    # What the document carries as debt: its own total; on an original, its effective total after
    # corrections; on a correction, zero (its amount correction is settled against its original).
    debt_total = amount_field("Debt total", editable=False)
    net_paid = amount_field("Net paid", editable=False, help_text="Payments minus refunds.")
    allocated = amount_field(
        "Allocated",
        editable=False,
        help_text="Σ of the document's non-reversed allocations, each signed as it moves the balance due toward "
        "zero on the side the document stood on when allocated (positive lowers the balance due).",
    )
    balance_due = amount_field("Balance due", editable=False)

    posted_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, editable=False, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Incremented by every service that writes the document: an editor sends back the version it loaded,
    # and a save is refused (under the row lock) when someone else wrote in between.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["partner", "company", "currency"]),
            # The lists of bills and of invoices, in their order (newest first).
            models.Index(fields=["kind", "-date", "-id"], name="document_list_order"),
            # The reports read the posted documents by due date: this index holds every column they filter,
            # group and sum, so a report reads the index and never the table.
            models.Index(
                fields=["status", "due_date", "currency", "kind", "balance_due", "partner", "company"],
                name="document_by_due_date",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "number"], condition=~Q(number=""), name="document_unique_number_per_type"
            ),
            models.CheckConstraint(
                condition=Q(is_reversal=False) | Q(kind=Kind.BILL, original__isnull=False),
                name="document_reversal_only_on_bill_corrections",
                violation_error_message="Reversal exists on bill corrections only.",
            ),
            models.CheckConstraint(
                condition=Q(original__isnull=True) | ~Q(original=models.F("pk")),
                name="document_not_its_own_original",
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="document_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=POSTED_STATUSES) | Q(due_date__isnull=False),
                name="document_posted_has_due_date",
                violation_error_message="A posted document has a due date.",
            ),
        ]
        permissions = [
            ("post_document", "Can post documents"),
            ("cancel_document", "Can cancel documents"),
            ("reset_document", "Can reset documents to draft"),
        ]

    def __str__(self):
        return f"{self.type_label} {self.display_number}"

    def get_absolute_url(self):
        head, tail = change_url_around_pk(self.kind)  # the kind names the admin model: bill, invoice
        return f"{head}{self.pk}{tail}"

    # ----------------------------------------------------------------- labels
    @property
    def display_number(self):
        return self.number or "Draft"

    @property
    def type_label(self):
        """What the document is: Invoice, Bill, Credit note or Refund."""
        if self.type_id and self.type.is_return:
            return "Credit note" if self.kind == Kind.BILL else "Refund"
        return Kind(self.kind).label if self.kind else "Document"

    @property
    def partner_label(self):
        return "Vendor" if self.kind == Kind.BILL else "Customer"

    @property
    def role_label(self):
        """The partner's label on screens and prints: the role the person has for us (SPEC 3). A credit note
        is stored as a bill from its customer, a refund as an invoice to its vendor."""
        return "Customer" if (self.kind == Kind.INVOICE) != self.is_return else "Vendor"

    @property
    def is_posted(self):
        return self.status in POSTED_STATUSES

    @property
    def is_editable(self):
        return self.status == Status.DRAFT

    @property
    def is_return(self):
        return bool(self.type_id and self.type.is_return)

    @property
    def is_issued_by_us(self):
        """Invoices, invoice corrections and credit notes are ours to issue (SPEC 11); bills, bill corrections
        and refunds record what a vendor issued."""
        return (self.kind == Kind.INVOICE) != self.is_return

    @property
    def seller(self):
        return self.company if self.is_issued_by_us else self.partner

    @property
    def buyer(self):
        return self.partner if self.is_issued_by_us else self.company

    @property
    def settled_by_credit(self):
        """Paid without any payment: a fully credited document must never pass for a paid one."""
        return self.status == Status.PAID and not self.payments.filter(reversed_at__isnull=True).exists()

    def money(self, amount):
        return Money(amount, self.currency)

    # ------------------------------------------------------------- validation
    def full_clean(self, exclude=None, validate_unique=True, validate_constraints=True):
        # The status is protected: only transitions change it, so field cleaning must not set it.
        exclude = {*(exclude or ()), "status"}
        super().full_clean(exclude=exclude, validate_unique=validate_unique, validate_constraints=validate_constraints)

    def partner_role_error(self):
        if not self.partner_id or not self.type_id:
            return None
        # On return types the roles swap: a credit note's vendor is a customer, a refund's customer a vendor.
        needs_vendor = (self.kind == Kind.BILL) != self.type.is_return
        if needs_vendor and not self.partner.is_vendor:
            return f"“{self.partner}” is not a vendor; choose a vendor for this {self.type_label.lower()}."
        if not needs_vendor and not self.partner.is_customer:
            return f"“{self.partner}” is not a customer; choose a customer for this {self.type_label.lower()}."
        return None

    def clean(self):
        errors = {}
        if self.type_id:
            if self.kind and self.type.kind != self.kind:
                errors["type"] = "Choose a bill type." if self.kind == Kind.BILL else "Choose an invoice type."
            elif not self.type.is_active and self._state.adding:
                errors["type"] = f"The type “{self.type}” is inactive."
        message = self.partner_role_error()
        if message:
            errors["partner"] = message
        if self.is_reversal and self.kind != Kind.BILL:
            errors["is_reversal"] = "Reversal exists on bill corrections only."
        if (
            self.number
            and self.type_id
            and self.date
            and not self.number.startswith(f"{self.type.series}/{self.date.year}/")
        ):
            # Numbering stays gapless per type and year: a reset document keeps its number, so both stay.
            errors["type"] = (
                f"This document keeps its number {self.number}: its type and its year cannot change. "
                "Cancel it and enter a new document instead."
            )
        if self.due_date and self.date and self.due_date < self.date:
            errors["due_date"] = "The due date cannot be before the document date."
        if errors:
            raise ValidationError(errors)
        message = registry.first_message("document_error", self, registry.current_context())
        if message:
            raise ValidationError(message)

    # ------------------------------------------------------------ transitions
    # Only services fire these (inside a transaction, on a locked row).
    # `custom` carries what the card and the history say: the button's label, the past tense for the
    # history, and, when the user must confirm first, what the confirmation page warns about.
    @transition(
        field=status,
        source=Status.DRAFT,
        target=Status.TO_PAY,
        conditions=[_can_post],
        permission="invoicing.post_document",
        custom={"label": "Post", "done": "Posted", "css": "default"},
    )
    def post(self):
        pass

    @transition(
        field=status,
        source=Status.TO_PAY,
        target=Status.PAID,
        conditions=[_balance_is_zero],
        custom={"label": "Settle", "done": "Settled (automatic)", "automatic": True},
    )
    def mark_paid(self):
        pass

    @transition(
        field=status,
        source=Status.PAID,
        target=Status.TO_PAY,
        conditions=[_balance_is_not_zero],
        custom={"label": "Reopen", "done": "Reopened (automatic)", "automatic": True},
    )
    def reopen(self):
        pass

    @transition(
        field=status,
        source=Status.TO_PAY,
        target=Status.DRAFT,
        conditions=[_can_reset],
        permission="invoicing.reset_document",
        custom={"label": "Reset to draft", "done": "Reset to draft"},
    )
    def reset_to_draft(self):
        pass

    @transition(
        field=status,
        source=[Status.DRAFT, Status.TO_PAY, Status.PAID],
        target=Status.CANCELED,
        conditions=[_can_cancel],
        permission="invoicing.cancel_document",
        custom={
            "label": "Cancel",
            "done": "Canceled",
            "css": "danger",
            "confirm": "Canceling is final: a canceled document can never be posted, paid or reopened again.",
        },
    )
    def cancel(self):
        pass


class PeriodsQuerySet(models.QuerySet):
    """`dates(field, "year" | "month")`, what the lists' date hierarchy asks for, read off the ISO text of the
    date with SQL's own substr. Django truncates dates with a Python function called per row on SQLite (45 ms
    at 12,000 invoices); a substring of the indexed date needs none, on either engine."""

    def dates(self, field_name, kind, order="ASC"):
        if kind not in ("year", "month"):
            return super().dates(field_name, kind, order)
        width = 4 if kind == "year" else 7  # "2026" or "2026-11"
        periods = (
            self.order_by()
            .annotate(_period=Substr(Cast(field_name, models.CharField()), 1, width))
            .values_list("_period", flat=True)
            .distinct()
        )
        found = sorted(date(int(p[:4]), int(p[5:7]) if kind == "month" else 1, 1) for p in periods)
        return found[::-1] if order == "DESC" else found


class BillManager(models.Manager.from_queryset(PeriodsQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Kind.BILL)


class InvoiceManager(models.Manager.from_queryset(PeriodsQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Kind.INVOICE)


class Bill(Document):
    objects = BillManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Kind.BILL
        super().save(*args, **kwargs)


class Invoice(Document):
    objects = InvoiceManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Kind.INVOICE
        super().save(*args, **kwargs)


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(max_length=300, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    discount = models.DecimalField(
        "Discount %",
        max_digits=5,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )
    taxes = models.ManyToManyField(Tax, blank=True, related_name="+")
    source_line = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="return_lines",
        help_text="The sold line this return line gives back (returns app).",
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text="On a replacement correction, the line of the previous state this line replaces; none for an "
        "added line (corrections app).",
    )
    amount_untaxed = amount_field("Untaxed", editable=False)
    amount_tax = amount_field("Tax", editable=False)
    amount_total = amount_field("Total", editable=False)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount__gte=0) & Q(discount__lte=100), name="line_discount_between_0_and_100"
            ),
            models.CheckConstraint(
                condition=Q(source_line__isnull=True) | Q(quantity__gt=0),
                name="return_line_quantity_positive",
                violation_error_message="A returned quantity must be greater than zero.",
            ),
        ]

    def __str__(self):
        return self.description or (str(self.item) if self.item_id else f"Line {self.position}")

    @property
    def label(self):
        return self.description or (self.item.name if self.item_id else f"line {self.position}")

    def clean(self):
        if not self.item_id and not self.description.strip():
            raise ValidationError("Give the line an item or a description.")


class Reason(models.Model):
    """A reason an administrator offers for corrections and returns; the document keeps its text."""

    text = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField("Active", default=True)

    class Meta:
        ordering = ["text"]

    def __str__(self):
        return self.text


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", "Payment"
    REFUND = "refund", "Refund"


class Payment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField("Type", max_length=10, choices=PaymentKind.choices, default=PaymentKind.PAYMENT)
    method = models.ForeignKey(PaymentMethod, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = currency_field(editable=False)
    date = models.DateField(default=timezone.localdate, validators=date_validators())
    reference = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # A payment entered by mistake is reversed, never deleted or edited (SPEC 6): the row stays.
    reversed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="+"
    )
    reversal_reason = models.CharField(max_length=300, blank=True, editable=False)

    objects = PeriodsQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="payment_amount_positive",
                violation_error_message="The amount must be greater than zero.",
            ),
        ]
        permissions = [("reverse_payment", "Can reverse payments")]

    def __str__(self):
        return f"{self.label} {self.amount} {self.currency}"

    @property
    def signed_amount(self):
        return self.amount if self.kind == PaymentKind.PAYMENT else -self.amount

    @property
    def is_reversed(self):
        return self.reversed_at is not None

    @property
    def counted_amount(self):
        """What the payment adds to net paid: nothing once reversed."""
        return ZERO if self.is_reversed else self.signed_amount

    @property
    def label(self):
        return payment_label(self.document, self.kind)


def payment_label(document, kind):
    """A return's payments flow the other way, so they are named for what they are."""
    if kind == PaymentKind.PAYMENT and document.is_return:
        return "Refund to customer" if document.kind == Kind.BILL else "Refund from supplier"
    return PaymentKind(kind).label


def payment_direction_label(document, kind):
    """The payment form's choice of type, saying which way the money goes (SPEC 6)."""
    customer = document.role_label == "Customer"
    to_partner = (kind == PaymentKind.PAYMENT) != (document.kind == Kind.INVOICE)
    party = "customer" if customer else "vendor"
    if kind == PaymentKind.PAYMENT and not document.is_return:
        return f"Payment {'to' if to_partner else 'from'} {party}"
    if kind == PaymentKind.REFUND and not document.is_return:
        return f"Refund {'to' if to_partner else 'from'} {party} (settles open credit)"
    if kind == PaymentKind.PAYMENT:
        return payment_label(document, kind)  # "Refund to customer" / "Refund from supplier"
    return f"Money {'back to' if to_partner else 'back from'} {party} (settles open credit)"


class Side(models.TextChoices):
    """Where a posted document with a balance stands towards its partner (SPEC 10)."""

    RECEIVABLE = "receivable", "Receivable"  # the partner owes us
    PAYABLE = "payable", "Payable"  # we owe the partner


def document_side(document):
    """RECEIVABLE, PAYABLE, or None for a document that is not posted or has nothing open."""
    if not document.is_posted or document.balance_due == 0:
        return None
    owes_us = (document.balance_due > 0) == (document.kind == Kind.INVOICE)
    return Side.RECEIVABLE if owes_us else Side.PAYABLE


def allocation_sign(kind, side):
    """+1 when an allocation on `side` lowers the balance due of a document of `kind`, −1 when it raises it
    (an invoice owed by the partner goes down; an invoice holding open credit, a negative balance, goes up)."""
    return 1 if (kind == Kind.INVOICE) == (side == Side.RECEIVABLE) else -1


class AllocationQuerySet(models.QuerySet):
    def touching(self, document):
        return self.filter(Q(receivable=document) | Q(payable=document)).order_by("created_at", "pk")

    def in_force(self):
        return self.filter(reversed_at__isnull=True)


class Allocation(models.Model):
    """An amount of one receivable document settled against one payable document of the same partner,
    company and currency (SPEC 10). Each side is fixed when the allocation is made, so the direction in
    which it moves each balance never changes, whatever happens to the documents later. Never deleted:
    removing one reverses it (the row stays)."""

    receivable = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="allocations_as_receivable")
    payable = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="allocations_as_payable")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = currency_field(editable=False)
    is_automatic = models.BooleanField(
        "Automatic",
        default=False,
        help_text="The credit a posted return applies to its source (returns app): made by posting the return, "
        "reversed by canceling or resetting it.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)

    objects = AllocationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="allocation_amount_positive",
                violation_error_message="The amount must be greater than zero.",
            ),
            models.CheckConstraint(
                condition=~Q(receivable=models.F("payable")), name="allocation_between_two_documents"
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency}: {self.receivable_id} ↔ {self.payable_id}"

    @property
    def is_reversed(self):
        return self.reversed_at is not None

    def side_of(self, document):
        return Side.RECEIVABLE if document.pk == self.receivable_id else Side.PAYABLE

    def other(self, document):
        return self.payable if document.pk == self.receivable_id else self.receivable

    def effect(self, document):
        """How much it lowers `document`'s balance due while in force (negative: raises it toward zero)."""
        return self.amount * allocation_sign(document.kind, self.side_of(document))

    def _gives_credit(self, document):
        # A credit note or refund, or open credit (an invoice we owe on, a bill the partner owes on).
        side = self.side_of(document)
        return document.is_return or (document.kind == Kind.INVOICE) == (side == Side.PAYABLE)

    def label_for(self, document):
        """What the allocation is, seen from `document`: "Credit from credit note CN/…", "Applied to Invoice
        INV/…", or "Set off against Bill BILL/…" between a customer's invoice and the same partner's bill."""
        other = self.other(document)
        if self._gives_credit(document):
            return f"Applied to {other}"
        if self._gives_credit(other):
            return f"Credit from {other.type_label.lower()} {other.display_number}"
        return f"Set off against {other}"


class DocumentSequence(models.Model):
    """One row per type and year; locked while a number is taken so numbering stays gapless."""

    type = models.ForeignKey(DocumentType, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["type", "year"], name="sequence_unique_type_year")]

    def __str__(self):
        return f"{self.type.series}/{self.year}: {self.last_number}"


class DocumentTransition(models.Model):
    """The record of every status change: who, when, from, to."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="transitions")
    name = models.CharField(max_length=50)
    source = models.CharField(max_length=20, choices=Status.choices)
    target = models.CharField(max_length=20, choices=Status.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.document_id}: {self.source} → {self.target}"

    @property
    def label(self):
        method = getattr(Document, self.name, None)
        meta = getattr(method, "_django_fsm", None)
        if meta is None:
            return self.name
        transition = next(iter(meta.transitions.values()))
        return transition.custom.get("done", self.name)


class BillTypeManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Kind.BILL)


class InvoiceTypeManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Kind.INVOICE)


class BillType(DocumentType):
    objects = BillTypeManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Kind.BILL
        super().save(*args, **kwargs)


class InvoiceType(DocumentType):
    objects = InvoiceTypeManager()

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Kind.INVOICE
        super().save(*args, **kwargs)
