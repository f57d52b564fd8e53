"""Time the report pages and a document card on a scratch database of N documents.

    python -m bench.reports --documents 1000     (make bench N=1000)

Everything is built through the services a user's clicks call (`document_create`, `document_post`,
`payment_register`, `document_cancel`, `correction_create`, `return_create`, `document_draft_save`), so
the data is what the back office would hold. The scratch database is created the way the test runner
creates one (a SQLite file under /tmp, or a `bench_*` database on the PostgreSQL server of
DATABASE_URL), audited with `check_balances`' audit, timed and dropped. Times go to the output, never
into assertions.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

import django


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    django.setup()


BUILD_BATCH = 200


def settle():
    """On PostgreSQL, the tables as autovacuum keeps them on a live database: right after a bulk build the planner
    has no statistics and no page is marked all-visible (so a COUNT cannot be answered from an index alone), and
    autovacuum then competes with the timed requests; the first minutes' plans and times are not users'."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    # VACUUM cannot run inside a transaction (the bench's own test runs in one); ANALYZE can.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.get_autocommit() else "ANALYZE")


def build(*, documents, adjusted, seed, out):
    """N documents of every status with payments, a share of them corrected or returned. Returns the user."""
    from django.contrib.auth.models import Group, User
    from django.core.exceptions import ValidationError
    from django.db import transaction
    from django.utils import timezone

    from corrections.services import correction_create
    from invoicing import selectors, services
    from invoicing.models import Company, DocumentType, Item, Kind, Partner, PaymentKind, PaymentMethod, Tax
    from returns.services import return_create

    rng = random.Random(seed)
    today = timezone.localdate()
    user = User.objects.create_user("bench", password="bench", is_staff=True)
    user.groups.add(Group.objects.get(name="Accountant"))
    companies = [Company.objects.create(name="Bench US Inc", currency="USD"),
                 Company.objects.create(name="Bench Europe GmbH", currency="EUR")]  # fmt: skip
    partners = Partner.objects.bulk_create(
        Partner(name=f"Partner {n:04d}", is_customer=True, is_vendor=True)
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
        Kind.INVOICE: DocumentType.objects.create(kind=Kind.INVOICE, name="Invoice", series="INV",
                                                  return_type=credit_note),
        Kind.BILL: DocumentType.objects.create(kind=Kind.BILL, name="Bill", series="BILL", return_type=refund),
    }  # fmt: skip
    posted = []
    # Each service opens its own transaction; inside a batch's they are savepoints, so the scratch database
    # commits once per batch instead of three times per document (the build is 3-4x faster, the writes the same).
    for batch in range(0, documents, BUILD_BATCH):
        with transaction.atomic():
            for _ in range(min(BUILD_BATCH, documents - batch)):
                kind = Kind.INVOICE if rng.random() < 0.6 else Kind.BILL
                company = companies[0] if rng.random() < 0.7 else companies[1]
                date = today - timedelta(days=rng.randint(0, 120))
                lines = []
                for _ in range(rng.randint(1, 3)):
                    item = rng.choice(items)
                    lines.append({"item": item, "description": item.name, "quantity": Decimal(rng.randint(1, 5)),
                                  "unit_price": item.default_price, "taxes": [vat]})  # fmt: skip
                document = services.document_create(
                    kind=kind, type=types[kind], company=company, partner=rng.choice(partners), user=user, date=date,
                    due_date=date + timedelta(days=rng.choice((15, 30, 45, 60))), lines=lines,
                    vendor_reference=f"V-{rng.randint(1000, 99999)}" if kind == Kind.BILL else "",
                )  # fmt: skip
                roll = rng.random()
                if roll < 0.08:
                    continue  # a draft
                if roll < 0.12:
                    services.document_cancel(document=document, user=user)
                    continue
                services.document_post(document=document, user=user)
                posted.append(document)
                paid = document.balance_due if roll < 0.5 else None
                if paid is None and rng.random() < 0.35:
                    paid = (document.balance_due * Decimal(rng.randint(10, 90)) / 100).quantize(Decimal("0.01"))
                if paid:
                    services.payment_register(
                        document=document, kind=PaymentKind.PAYMENT, method=rng.choice(methods), amount=paid,
                        user=user, date=min(date + timedelta(days=5), today),
                    )  # fmt: skip
        if documents >= 10 * BUILD_BATCH and (batch // BUILD_BATCH) % 25 == 24:
            out.write(f"  … {batch + BUILD_BATCH} documents\n")
            out.flush()
    count = min(len(posted) // 2, round(len(posted) * adjusted / 100))
    sample = rng.sample(posted, 2 * count)
    refused = 0
    for document in sample[:count]:
        try:
            correction = correction_create(document=document, user=user, reason="Price reduction")
            lines = selectors.draft_line_data(document=correction)
            lines[0]["unit_price"] = (lines[0]["unit_price"] * Decimal("0.9")).quantize(Decimal("0.01"))
            services.document_draft_save(document=correction, user=user, lines=lines)
            services.document_post(document=correction, user=user)
        except ValidationError as error:  # a rule refused it: counted, and the run goes on
            refused += 1
            out.write(f"correction of {document} refused: {' '.join(error.messages)}\n")
    for document in sample[count:]:
        try:
            credit = return_create(document=document, user=user, reason="Returned goods")
            lines = selectors.draft_line_data(document=credit)[:1]
            lines[0]["quantity"] = Decimal("1")
            services.document_draft_save(document=credit, user=user, lines=lines)
            services.document_post(document=credit, user=user)
        except ValidationError as error:
            refused += 1
            out.write(f"return of {document} refused: {' '.join(error.messages)}\n")
    if refused:
        out.write(f"{refused} correction(s)/return(s) refused by the rules (see above)\n")
    return user


def copy_in_sql(*, copies, out):
    """`copies` more copies of every document built so far, with its lines and their taxes, payments,
    allocations and history, copied in SQL with ids shifted past the built ones and numbers suffixed ("…/c2"):
    the large sizes without hours of building through the services. check_balances then audits the copies
    from first principles like the rest."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from invoicing.models import Allocation, Document, DocumentLine, DocumentTransition, Payment

    tables = [  # model, {foreign key column: the model whose ids it holds, shifted with them}
        (Document, {"original_id": Document}),
        (DocumentLine, {"document_id": Document, "source_line_id": DocumentLine, "replaces_id": DocumentLine}),
        (DocumentLine.taxes.through, {"documentline_id": DocumentLine}),
        (Payment, {"document_id": Document}),
        (Allocation, {"receivable_id": Document, "payable_id": Document}),
        (DocumentTransition, {"document_id": Document}),
    ]
    last = {model: model.objects.aggregate(last=Max("pk"))["last"] or 0 for model, _ in tables}
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for copy in range(1, copies + 1):
            for model, shifted in tables:
                columns = [field.column for field in model._meta.concrete_fields]
                values = []
                for column in columns:
                    if column == model._meta.pk.column:
                        values.append(f"{quote(column)} + {last[model] * copy}")
                    elif column in shifted:  # NULL stays NULL
                        values.append(f"{quote(column)} + {last[shifted[column]] * copy}")
                    elif model is Document and column == "number":  # drafts have none
                        values.append(f"CASE WHEN number = '' THEN '' ELSE number || '/c{copy}' END")
                    else:
                        values.append(quote(column))
                table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(map(quote, columns))}) "
                    f"SELECT {', '.join(values)} FROM {table} WHERE {pk} <= {last[model]}"
                )
        for sql in connection.ops.sequence_reset_sql(no_style(), [model for model, _ in tables]):
            cursor.execute(sql)
    out.write(f"Copied them {copies} more time(s) in SQL: {Document.objects.count()} documents\n")


def measure(*, user, repeat, out):
    """[(page, status, queries, first ms, median ms)] for the report pages and a card; printed as a table."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from invoicing.models import Document, Kind, Status

    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "localhost")
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    card = (
        Document.objects.filter(kind=Kind.INVOICE, status__in=(Status.TO_PAY, Status.PAID), corrections__isnull=False)
        .order_by("pk")
        .first()
    ) or Document.objects.filter(kind=Kind.INVOICE, status__in=(Status.TO_PAY, Status.PAID)).order_by("pk").first()
    balances = reverse("admin:report_partner_balances")
    calendar = reverse("admin:report_payment_calendar")
    pages = [
        ("Partner balances", balances),
        ("Partner balances, sorted by net", balances + "?o=-net"),
        ("Payment calendar (weeks)", calendar),
        ("Payment calendar (days)", calendar + "?bucket=day"),
        ("Open documents (drill-down)", reverse("admin:report_open_documents") + "?overdue=1"),
        ("Invoices list", reverse("admin:invoicing_invoice_changelist")),
    ]
    if card is not None:
        pages.append((f"Document card ({card})", card.get_absolute_url()))
    rows = []
    out.write(f"{'page':<48} {'status':>6} {'queries':>7} {'first ms':>9} {'median ms':>9}\n")
    for label, url in pages:
        timings = []
        for _ in range(repeat + 1):
            connection.queries_log.clear()  # a full log (9,000 entries, from the build) would count nothing
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
        row = (label, response.status_code, len(queries), timings[0], statistics.median(timings[1:] or timings))
        rows.append(row)
        out.write(f"{row[0]:<48} {row[1]:>6} {row[2]:>7} {row[3]:>9.1f} {row[4]:>9.1f}\n")
    return rows


def run(*, documents, adjusted=1.0, repeat=3, seed=2026, copies=0, out=sys.stdout):
    """Build, audit and time on the database the connection points at; returns (differences, rows)."""
    from django.test.utils import override_settings

    from invoicing import selectors

    started = time.perf_counter()
    user = build(documents=documents, adjusted=adjusted, seed=seed, out=out)
    out.write(f"Built {documents} documents through the services in {time.perf_counter() - started:.1f} s\n")
    if copies:
        copy_in_sql(copies=copies, out=out)
    differences = selectors.balance_audit()
    out.write(f"check_balances: {len(differences)} difference(s)\n")
    settle()
    for difference in differences[:10]:
        out.write(f"  {difference}\n")
    with override_settings(DEBUG=False):  # measured as in production
        rows = measure(user=user, repeat=repeat, out=out)
    return differences, rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1000, help="how many documents to build (default 1000)")
    parser.add_argument("--adjusted", type=float, default=1.0,
                        help="percent of posted documents corrected, and as many returned (default 1)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="timed requests per page, after one warm-up")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--copies", type=int, default=0,
                        help="then copy everything built this many more times in SQL (--documents 20000 --copies 4: "
                             "100,000 documents in minutes)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.documents < 1 or args.copies < 0:
        parser.error("--documents must be at least 1 and --copies at least 0")
    _setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    scratch_name = f"bench_reports_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = (
        f"/tmp/{scratch_name}.sqlite3" if connection.vendor == "sqlite" else scratch_name
    )
    scratch = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Scratch database: {scratch} ({connection.vendor})")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # a scratch file need not survive a crash
            cursor.execute("PRAGMA synchronous = OFF")
    try:
        differences, _ = run(documents=args.documents, adjusted=args.adjusted, repeat=args.repeat, seed=args.seed,
                             copies=args.copies)  # fmt: skip
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
