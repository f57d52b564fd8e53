"""One table of the back office's pages: scenario, size, queries, median and min of N runs, and the peer's.

    python -m bench.pages --documents 2000 --runs 7        (make bench N=2000; PEER=0 leaves the peer out)

Scenarios: the editable card at 200 and 500 lines, the posted card at 10 and 200 lines, a card with 200
corrections, create + post + pay one document through the services, saving a 200-line draft through the
card's form, the lists (one page) and the report pages over N documents. The data is built through the
services (`bench.reports.build`), on a scratch database: a SQLite file under /tmp, or a `bench_pages_*`
database on the server of DATABASE_URL (about 12 ms a document; `python -m bench.reports --documents 20000
--copies 4` reaches 100,000 documents for the reports in minutes).

The peer is django-ledger 0.8.5 in a scratch virtualenv (`bench.peer`), with the same data built through its
models: its bill update page, bill detail, bill list and create → approve → paid are timed interleaved with
ours, one run each in turn, and the table adds its queries, its median and the ratio (ours / its).
Times go to the output, never into assertions."""

import argparse
import os
import statistics
import sys
import time

from bench.reports import _setup
from bench.timing import no_collection


def _timed(action, runs, peer=None, scenario=None):
    """(queries, median ms, min ms, peer queries, peer median ms) of `runs` calls after one warm-up. With a
    peer, each of our runs is followed by one of its counterpart's, so both see the same machine."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.peer import counterpart

    other = counterpart(*scenario) if peer and scenario else None
    action()
    timings, peer_runs = [], []
    for _ in range(runs):
        connection.queries_log.clear()
        with no_collection(), CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            action()
            timings.append((time.perf_counter() - started) * 1000)
        if other:
            peer_runs.append(peer.run(*other))
    peer_queries = peer_runs[-1][0] if peer_runs else None
    peer_median = statistics.median(ms for _, ms in peer_runs) if peer_runs else None
    return len(queries), statistics.median(timings), min(timings), peer_queries, peer_median


def _get(client, url):
    def action():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return action


def scenarios(*, documents, runs, peer=None, out=sys.stdout):
    """Yield (scenario, size, queries, median ms, min ms, peer queries, peer median ms) rows as they come."""
    from django.test import Client
    from django.urls import reverse

    from bench.draft_save import measure as draft_save
    from bench.reports import build, settle
    from invoicing import services
    from invoicing.models import Document, Kind, PaymentKind, PaymentMethod
    from tests import factories
    from tests.corrections.support import correct

    started = time.perf_counter()
    bench_user = build(documents=documents, adjusted=1.0, seed=2026, out=out)
    settle()
    total = Document.objects.count()
    out.write(f"(built {documents} documents through the services in {time.perf_counter() - started:.0f} s)\n")
    user = factories.accountant()
    client = Client()
    client.force_login(user)
    tax = factories.TaxFactory()

    def lines(count):
        return [factories.line(unit_price="1.00", taxes=[tax]) for _ in range(count)]

    def timed(scenario, size, action):
        return (scenario, size, *_timed(action, runs, peer, (scenario, size)))

    for size in (200, 500):
        draft = factories.invoice(lines=lines(size))
        yield timed("editable card", f"{size} lines", _get(client, draft.get_absolute_url()))
    for size in (10, 200):
        posted = factories.posted(factories.invoice(lines=lines(size)))
        yield timed("posted card", f"{size} lines", _get(client, posted.get_absolute_url()))
    corrected = factories.posted(factories.invoice(lines=lines(10)))
    for _ in range(200):
        correct(corrected, "0.01", user=user)
    yield timed("card with corrections", "200 corrections", _get(client, corrected.get_absolute_url()))
    method = PaymentMethod.objects.create(name="Bench transfer")
    invoice_type = factories.invoice_type()

    def create_post_pay():
        five = [factories.line(unit_price="12.50", taxes=[tax]) for _ in range(5)]
        document = services.document_create(
            kind=Kind.INVOICE, type=invoice_type, user=user, partner=corrected.partner, company=corrected.company,
            lines=five,
        )  # fmt: skip
        services.document_post(document=document, user=user)
        services.payment_register(document=document, kind=PaymentKind.PAYMENT, method=method,
                                  amount=document.balance_due, user=user, date=document.date)  # fmt: skip

    yield timed("create + post + pay (services)", "5 lines", create_post_pay)
    for catalog, size in [(0, "200 lines"), (1000, "200 lines, 1,000 items")]:
        with open(os.devnull, "w") as quiet:
            (row,) = draft_save(sizes=(200,), runs=runs, catalog=catalog, out=quiet)
        yield ("save a draft (card form)", size, row[1], row[2], row[3], None, None)
    client.force_login(bench_user)
    size = f"{total} documents"
    yield timed("invoices list, one page", size, _get(client, reverse("admin:invoicing_invoice_changelist")))
    yield timed("bills list, one page", size, _get(client, reverse("admin:invoicing_bill_changelist")))
    balances, calendar = reverse("admin:report_partner_balances"), reverse("admin:report_payment_calendar")
    for label, url in [
        ("partner balances", balances),
        ("partner balances, sorted by net", balances + "?o=-net"),
        ("payment calendar (weeks)", calendar),
        ("payment calendar (days)", calendar + "?bucket=day"),
        ("open documents, overdue", reverse("admin:report_open_documents") + "?overdue=1"),
    ]:
        yield timed(label, size, _get(client, url))


def _row(scenario, size, queries, median, least, peer_queries, peer_median):
    text = f"{scenario:<34} {size:<22} {queries:>7} {median:>10.1f} {least:>8.1f}"
    if peer_median is not None:
        text += f" {peer_queries:>7} {peer_median:>10.1f} {median / peer_median:>6.2f}"
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents behind the lists and reports")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per scenario, after one warm-up")
    parser.add_argument("--no-peer", action="store_true", help="leave out django-ledger's column (works offline)")
    args = parser.parse_args(argv)
    _setup()
    import logging

    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    from bench.peer import PEER_PACKAGE, Peer, PeerUnavailable

    logging.getLogger("axes").setLevel(logging.WARNING)  # a login line per client would cut the table
    setup_test_environment()
    peer = None
    if not args.no_peer:
        try:
            peer = Peer(documents=args.documents)
        except (PeerUnavailable, OSError) as error:
            print(f"No peer column: {PEER_PACKAGE} could not be set up ({error}).")
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    name = f"bench_pages_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = f"/tmp/{name}.sqlite3" if connection.vendor == "sqlite" else name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Database: {connection.vendor}; {args.runs} runs per scenario after one warm-up, interleaved with the peer")
    header = f"{'scenario':<34} {'size':<22} {'queries':>7} {'median ms':>10} {'min ms':>8}"
    if peer:
        header += f" {'peer q':>7} {'peer ms':>10} {'ratio':>6}   (peer: {PEER_PACKAGE}, same data, same run)"
    print(header)
    try:
        with override_settings(DEBUG=False):
            for row in scenarios(documents=args.documents, runs=args.runs, peer=peer):
                print(_row(*row), flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if peer:
            peer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
