"""One table of the back office's pages: scenario, size, queries, median and min of N runs.

    python -m bench.pages --documents 2000 --runs 7        (make bench N=2000)

Scenarios: the editable card at 200 and 500 lines, the posted card at 10 and 200 lines, the invoices list
(one page) over N documents, create + post + pay one document through the services, saving a 200-line
draft through the card's form, the report pages over N documents, and a card with 200 corrections. The
data is built through the services (`bench.reports.build` for the N documents), on a scratch database:
a SQLite file under /tmp, or a `bench_pages_*` database on the server of DATABASE_URL. Building costs
~15 ms a document, so the large sizes are a parameter (100,000 documents take ~25 minutes to build).
Times go to the output, never into assertions.
"""

import argparse
import os
import statistics
import sys
import time

from bench.reports import _setup


def _timed(action, runs):
    """(queries of the last run, median ms, min ms) of `runs` calls after one warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    action()
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            action()
            timings.append((time.perf_counter() - started) * 1000)
    return len(queries), statistics.median(timings), min(timings)


def _get(client, url):
    def action():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return action


def scenarios(*, documents, runs, out=sys.stdout):
    """Yield (scenario, size, queries, median ms, min ms) rows, printing each as it comes."""
    from django.test import Client
    from django.urls import reverse

    from bench.draft_save import measure as draft_save
    from bench.reports import build
    from invoicing import services
    from invoicing.models import Document, Kind, PaymentKind, PaymentMethod
    from tests import factories
    from tests.corrections.support import correct

    started = time.perf_counter()
    bench_user = build(documents=documents, adjusted=1.0, seed=2026, out=out)
    total = Document.objects.count()
    out.write(f"(built {documents} documents through the services in {time.perf_counter() - started:.0f} s)\n")
    user = factories.accountant()
    client = Client()
    client.force_login(user)
    tax = factories.TaxFactory()

    def lines(count):
        return [factories.line(unit_price="1.00", taxes=[tax]) for _ in range(count)]

    for size in (200, 500):
        draft = factories.invoice(lines=lines(size))
        yield ("editable card", f"{size} lines", *_timed(_get(client, draft.get_absolute_url()), runs))
    for size in (10, 200):
        posted = factories.posted(factories.invoice(lines=lines(size)))
        yield ("posted card", f"{size} lines", *_timed(_get(client, posted.get_absolute_url()), runs))
    corrected = factories.posted(factories.invoice(lines=lines(10)))
    for _ in range(200):
        correct(corrected, "0.01", user=user)
    yield ("card with corrections", "200 corrections", *_timed(_get(client, corrected.get_absolute_url()), runs))
    method = PaymentMethod.objects.create(name="Bench transfer")

    def create_post_pay():
        five = [factories.line(unit_price="12.50", taxes=[tax]) for _ in range(5)]
        document = services.document_create(
            kind=Kind.INVOICE, type=factories.invoice_type(), user=user, partner=corrected.partner,
            company=corrected.company, lines=five,
        )  # fmt: skip
        services.document_post(document=document, user=user)
        services.payment_register(document=document, kind=PaymentKind.PAYMENT, method=method,
                                  amount=document.balance_due, user=user, date=document.date)  # fmt: skip

    yield ("create + post + pay (services)", "5 lines", *_timed(create_post_pay, runs))
    with open(os.devnull, "w") as quiet:
        (row,) = draft_save(sizes=(200,), runs=runs, out=quiet)
    yield ("save a draft (card form)", "200 lines", row[1], row[2], row[3])
    client.force_login(bench_user)
    size = f"{total} documents"
    yield ("invoices list, one page", size, *_timed(_get(client, reverse("admin:invoicing_invoice_changelist")), runs))
    yield ("bills list, one page", size, *_timed(_get(client, reverse("admin:invoicing_bill_changelist")), runs))
    balances, calendar = reverse("admin:report_partner_balances"), reverse("admin:report_payment_calendar")
    for label, url in [
        ("partner balances", balances),
        ("partner balances, sorted by net", balances + "?o=-net"),
        ("payment calendar (weeks)", calendar),
        ("payment calendar (days)", calendar + "?bucket=day"),
        ("open documents, overdue", reverse("admin:report_open_documents") + "?overdue=1"),
    ]:
        yield (label, size, *_timed(_get(client, url), runs))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents behind the lists and reports")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per scenario, after one warm-up")
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    name = f"bench_pages_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = f"/tmp/{name}.sqlite3" if connection.vendor == "sqlite" else name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Database: {connection.vendor}; {args.runs} runs per scenario after one warm-up")
    print(f"{'scenario':<34} {'size':<18} {'queries':>7} {'median ms':>10} {'min ms':>8}")
    try:
        with override_settings(DEBUG=False):
            for scenario, size, queries, median, least in scenarios(documents=args.documents, runs=args.runs):
                print(f"{scenario:<34} {size:<18} {queries:>7} {median:>10.1f} {least:>8.1f}", flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
