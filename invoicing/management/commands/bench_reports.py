"""Benchmark the report pages and the document card on a scratch database of N documents.

The scratch database is created the way the test runner creates one (a fresh SQLite file under /tmp,
or a `bench_*` database on the PostgreSQL server of DATABASE_URL), migrated, filled and dropped at
the end. Documents, lines and payments are built in bulk with the stored figures the services would
have stored; a sample of corrections and returns is then made through the core services
(`document_create` with `original` / `source_line`, then `document_post`), so the corrections and
returns apps apply their debt and credit through their registered hooks exactly as on the card.
`check_balances`' audit then proves the bulk rows consistent before anything is timed.
"""

import os
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from invoicing import selectors, services
from invoicing.amounts import ZERO, line_amounts
from invoicing.models import (
    Company,
    Document,
    DocumentLine,
    DocumentSequence,
    DocumentTransition,
    DocumentType,
    Item,
    Kind,
    Partner,
    Payment,
    PaymentKind,
    PaymentMethod,
    Status,
    Tax,
)

BATCH = 2000
CENT = Decimal("0.01")
POSTED = (Status.TO_PAY, Status.PAID)


class Command(BaseCommand):
    help = (
        "Build N documents with payments, corrections and returns in a scratch database, then print the "
        "number of queries and the time of the partner balances page, the calendar and a document card."
    )

    def add_arguments(self, parser):
        parser.add_argument("--documents", type=int, default=1000, help="How many documents to build (default 1000).")
        parser.add_argument(
            "--adjusted",
            type=float,
            default=1.0,
            help="Percent of posted documents that get a correction, and as many that get a return (default 1).",
        )
        parser.add_argument("--repeat", type=int, default=3, help="Timed requests per page, after one warm-up.")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--keep", action="store_true", help="Keep the scratch database and print its name.")

    def handle(self, *args, documents, adjusted, repeat, seed, keep, **options):
        if documents < 1:
            raise CommandError("--documents must be at least 1.")
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})
        if connection.vendor == "sqlite":
            connection.settings_dict["TEST"]["NAME"] = f"/tmp/bench_reports_{os.getpid()}.sqlite3"
        else:
            connection.settings_dict["TEST"]["NAME"] = f"bench_reports_{os.getpid()}"
        scratch = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        self.stdout.write(f"Scratch database: {scratch} ({connection.vendor})")
        if connection.vendor == "sqlite":
            # A scratch file need not survive a crash: skip the fsyncs that dominate bulk writes.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous = OFF")
                cursor.execute("PRAGMA journal_mode = MEMORY")
        # Measured as in production: DEBUG off, so only the measured requests log their queries.
        debug_off = override_settings(DEBUG=False)
        debug_off.enable()
        try:
            self.rng = random.Random(seed)
            started = time.perf_counter()
            user = self.build(documents, adjusted)
            self.stdout.write(f"Built in {time.perf_counter() - started:.1f} s: {self.counts()}")
            started = time.perf_counter()
            differences = selectors.balance_audit()
            self.stdout.write(
                f"check_balances: {len(differences)} difference(s) ({time.perf_counter() - started:.1f} s)"
            )
            for difference in differences[:10]:
                self.stdout.write(f"  {difference}")
            self.measure(user, repeat)
        finally:
            debug_off.disable()
            if keep:
                self.stdout.write(f"Kept {scratch}")
                connection.settings_dict["NAME"] = old_name
            else:
                connection.creation.destroy_test_db(old_name, verbosity=0)

    # ------------------------------------------------------------------ data
    def counts(self):
        posted = Document.objects.filter(status__in=(Status.TO_PAY, Status.PAID))
        return (
            f"{Document.objects.count()} documents ({posted.count()} posted), {DocumentLine.objects.count()} lines, "
            f"{Payment.objects.count()} payments, {Document.objects.filter(original__isnull=False).count()} "
            f"corrections, {Document.objects.filter(type__is_return=True).count()} returns"
        )

    def master_data(self, documents):
        user = User.objects.create_user("bench", password="bench", is_staff=True)
        user.groups.add(Group.objects.get(name="Accountant"))
        companies = [
            Company.objects.create(name="Bench US Inc", currency="USD"),
            Company.objects.create(name="Bench Europe GmbH", currency="EUR"),
        ]
        partners = Partner.objects.bulk_create(
            Partner(name=f"Partner {n:04d}", is_customer=True, is_vendor=True, payment_terms_days=30)
            for n in range(min(1000, max(10, documents // 100)))
        )
        vat = Tax.objects.create(name="VAT 20%", rate=Decimal("20"), group="VAT")
        items = Item.objects.bulk_create(
            Item(name=f"Item {n}", sku=f"B-{n:03d}", default_price=Decimal(10 + n * 7)) for n in range(20)
        )
        methods = [PaymentMethod.objects.create(name=name) for name in ("Bank transfer", "Card", "Cash")]
        credit_note = DocumentType.objects.create(kind=Kind.BILL, name="Credit note", series="CN", is_return=True)
        refund = DocumentType.objects.create(kind=Kind.INVOICE, name="Refund", series="RF", is_return=True)
        types = {
            Kind.INVOICE: DocumentType.objects.create(
                kind=Kind.INVOICE, name="Invoice", series="INV", return_type=credit_note
            ),
            Kind.BILL: DocumentType.objects.create(kind=Kind.BILL, name="Bill", series="BILL", return_type=refund),
        }
        return user, companies, partners, vat, items, methods, types

    def build(self, documents, adjusted):
        user, companies, partners, vat, items, methods, types = self.master_data(documents)
        today, rng = timezone.localdate(), self.rng
        sequences = {}
        for start in range(0, documents, BATCH):
            with transaction.atomic():
                rows = []
                for _ in range(start, min(start + BATCH, documents)):
                    rows.append(self.document_rows(rng, today, user, companies, partners, vat, items, types, sequences))
                self.save_batch(rows, vat, methods, user)
        DocumentSequence.objects.bulk_create(
            DocumentSequence(type_id=type_id, year=year, last_number=last)
            for (type_id, year), last in sequences.items()
        )
        self.adjust(adjusted, user, vat)
        return user

    def document_rows(self, rng, today, user, companies, partners, vat, items, types, sequences):
        """One document with its lines and payments, figures computed as the services store them."""
        kind = Kind.INVOICE if rng.random() < 0.6 else Kind.BILL
        company = companies[0] if rng.random() < 0.7 else companies[1]
        date = today - timedelta(days=rng.randint(0, 120))
        document = Document(
            kind=kind,
            type=types[kind],
            company=company,
            partner=rng.choice(partners),
            date=date,
            due_date=date + timedelta(days=rng.choice((15, 30, 45, 60))),
            currency=company.currency,
            created_by=user,
            vendor_reference=f"V-{rng.randint(1000, 99999)}" if kind == Kind.BILL else "",
            status=self.pick_status(rng),
        )
        lines, total = [], ZERO
        for position in range(1, rng.randint(1, 3) + 1):
            item = rng.choice(items)
            quantity, price = Decimal(rng.randint(1, 5)), item.default_price
            amounts = line_amounts(
                quantity=quantity,
                unit_price=price,
                discount=ZERO,
                rates={vat.pk: vat.rate},
                prices_include_tax=False,
                currency=document.currency,
            )
            lines.append(
                DocumentLine(
                    position=position,
                    item=item,
                    description=item.name,
                    quantity=quantity,
                    unit_price=price,
                    amount_untaxed=amounts.untaxed,
                    amount_tax=amounts.tax,
                    amount_total=amounts.total,
                )
            )
            document.amount_untaxed += amounts.untaxed
            document.amount_tax += amounts.tax
            total += amounts.total
        document.amount_total = total
        payments = []
        if document.status in (Status.TO_PAY, Status.PAID):
            key = (document.type.pk, date.year)
            sequences[key] = sequences.get(key, 0) + 1
            document.number = f"{document.type.series}/{date.year}/{sequences[key]:05d}"
            document.debt_total = total
            document.posted_at = timezone.now()
            if document.status == Status.PAID:
                payments.append(total)
            elif rng.random() < 0.35:
                payments.append((total * Decimal(rng.randint(10, 90)) / 100).quantize(Decimal("0.01")))
            document.net_paid = sum(payments, ZERO)
            document.balance_due = total - document.net_paid
        return document, lines, payments

    @staticmethod
    def pick_status(rng):
        roll = rng.random()
        if roll < 0.08:
            return Status.DRAFT
        if roll < 0.12:
            return Status.CANCELED  # canceled as a draft: no number, nothing paid
        return Status.PAID if roll < 0.5 else Status.TO_PAY

    def save_batch(self, rows, vat, methods, user):
        Document.objects.bulk_create([document for document, _, _ in rows], batch_size=500)
        lines = []
        for document, document_lines, _ in rows:
            for line in document_lines:
                line.document = document
                lines.append(line)
        DocumentLine.objects.bulk_create(lines, batch_size=500)
        through = DocumentLine.taxes.through
        through.objects.bulk_create((through(documentline_id=line.pk, tax_id=vat.pk) for line in lines), batch_size=900)
        now = timezone.now()
        Payment.objects.bulk_create(
            (
                Payment(
                    document=document,
                    kind=PaymentKind.PAYMENT,
                    method=self.rng.choice(methods),
                    amount=amount,
                    currency=document.currency,
                    date=min(document.date + timedelta(days=5), timezone.localdate()),
                    reference=f"PAY-{document.pk}",
                    created_by=user,
                )
                for document, _, amounts in rows
                for amount in amounts
            ),
            batch_size=500,
        )
        transitions = []
        for document, _, _ in rows:
            if document.status == Status.DRAFT:
                continue
            if document.status == Status.CANCELED:
                transitions.append(self.transition(document, "cancel", Status.DRAFT, Status.CANCELED, user, now))
                continue
            transitions.append(self.transition(document, "post", Status.DRAFT, Status.TO_PAY, user, now))
            if document.status == Status.PAID:
                transitions.append(self.transition(document, "mark_paid", Status.TO_PAY, Status.PAID, user, now))
        DocumentTransition.objects.bulk_create(transitions, batch_size=500)

    @staticmethod
    def transition(document, name, source, target, user, at):
        return DocumentTransition(document=document, name=name, source=source, target=target, user=user, at=at)

    def adjust(self, percent, user, vat):
        """Corrections and returns on a sample of posted documents, through the services and their hooks."""
        posted = list(
            Document.objects.filter(status__in=(Status.TO_PAY, Status.PAID), original__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        count = min(len(posted) // 2, round(len(posted) * percent / 100))
        sample = self.rng.sample(posted, 2 * count)
        refused = 0
        for pk in sample[:count]:
            original = Document.objects.select_related("type", "company", "partner").get(pk=pk)
            line = original.lines.first()
            try:
                correction = services.document_create(
                    kind=original.kind,
                    type=original.type,
                    company=original.company,
                    partner=original.partner,
                    currency=original.currency,
                    user=user,
                    original=original,
                    reason="Price reduction",
                    lines=[
                        self.line_data(
                            line, vat, unit_price=(line.unit_price * Decimal("0.9")).quantize(Decimal("0.01"))
                        )
                    ],
                )
                services.document_post(document=correction, user=user)
            except ValidationError as error:  # a rule of the corrections app refused it: count it, keep going
                refused += 1
                self.stderr.write(f"correction of {original} refused: {error}")
        for pk in sample[count:]:
            source = Document.objects.select_related("type__return_type", "company", "partner").get(pk=pk)
            line = source.lines.first()
            try:
                credit = services.document_create(
                    kind=Kind.BILL if source.kind == Kind.INVOICE else Kind.INVOICE,
                    type=source.type.return_type,
                    company=source.company,
                    partner=source.partner,
                    currency=source.currency,
                    user=user,
                    reason="Returned goods",
                    lines=[self.line_data(line, vat, quantity=Decimal("1"), source_line=line)],
                )
                services.document_post(document=credit, user=user)
            except ValidationError as error:  # a rule of the returns app refused it: count it, keep going
                refused += 1
                self.stderr.write(f"return of {source} refused: {error}")
        if refused:
            self.stdout.write(f"{refused} correction(s)/return(s) refused by the rules (see above)")

    @staticmethod
    def line_data(line, vat, **changes):
        data = {
            "item": line.item,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "taxes": [vat],
        }
        return {**data, **changes}

    # ------------------------------------------------------------------ timing
    def measure(self, user, repeat):
        host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        card = (
            Document.objects.filter(
                kind=Kind.INVOICE, status__in=(Status.TO_PAY, Status.PAID), corrections__isnull=False
            )
            .order_by("pk")
            .first()
        ) or Document.objects.filter(kind=Kind.INVOICE, status=Status.TO_PAY).order_by("pk").first()
        pages = [
            ("Partner balances", reverse("admin:report_partner_balances")),
            ("Partner balances, sorted by net", reverse("admin:report_partner_balances") + "?o=-net"),
            ("Payment calendar (weeks)", reverse("admin:report_payment_calendar")),
            ("Payment calendar (days)", reverse("admin:report_payment_calendar") + "?bucket=day"),
            ("Open documents (drill-down)", reverse("admin:report_open_documents") + "?overdue=1"),
        ]
        if card is not None:
            pages.append((f"Document card ({card})", card.get_absolute_url()))
        self.stdout.write(f"{'page':<48} {'status':>6} {'queries':>7} {'first ms':>9} {'median ms':>9}")
        for label, url in pages:
            timings = []
            for _ in range(repeat + 1):
                connection.queries_log.clear()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
            self.stdout.write(
                f"{label:<48} {response.status_code:>6} {len(queries):>7} {timings[0]:>9.1f} "
                f"{statistics.median(timings[1:] or timings):>9.1f}"
            )
