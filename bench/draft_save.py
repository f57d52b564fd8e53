"""Time saving a draft through the card's form at 1, 200 and 1,000 lines (queries, median and min of N runs).

python -m bench.draft_save [--runs 5] [--catalog 1000]
"""

import argparse
import os
import statistics
import sys
import time
from urllib.parse import urlencode

from bench.reports import _setup
from bench.timing import no_collection

FORM = "application/x-www-form-urlencoded"


def add_catalog(count, tax):
    """`count` more items, each with `tax` as its default: a business's catalog, offered on every line."""
    from invoicing.models import Item

    items = Item.objects.bulk_create(
        Item(name=f"Catalog item {n}", sku=f"CAT-{n:05d}", default_price="9.90") for n in range(count)
    )
    Item.default_taxes.through.objects.bulk_create(
        Item.default_taxes.through(item_id=item.pk, tax_id=tax.pk) for item in items
    )


def measure(*, sizes=(1, 200, 1000), runs=5, catalog=0, out=sys.stdout):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from invoicing import selectors
    from tests import factories

    client = Client()
    client.force_login(factories.accountant())
    out.write(f"{'scenario':<42} {'queries':>7} {'median ms':>10} {'min ms':>8}\n")
    rows = []
    tax = factories.TaxFactory()
    add_catalog(catalog, tax)
    for size in sizes:
        document = factories.invoice(lines=[factories.line(unit_price="1.00", taxes=[tax]) for _ in range(size)])
        timings, queries = [], 0
        for run in range(runs):
            document.refresh_from_db()
            lines = selectors.draft_line_data(document=document)
            data = {
                "type": document.type_id, "partner": document.partner_id, "company": document.company_id,
                "date": document.date.isoformat(), "currency": document.currency, "note": f"run {run}",
                "loaded_version": document.version, "lines-TOTAL_FORMS": len(lines),
                "lines-INITIAL_FORMS": len(lines), "_continue": "1",
            }  # fmt: skip
            for n, line in enumerate(lines):
                data.update({f"lines-{n}-id": line["id"], f"lines-{n}-position": line["position"],
                             f"lines-{n}-description": line["description"], f"lines-{n}-quantity": str(run + 2),
                             f"lines-{n}-unit_price": "1.00", f"lines-{n}-taxes": line["taxes"]})  # fmt: skip
            connection.queries_log.clear()  # a full log (9,000 queries after a data build) would count none
            with no_collection(), CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                # As a browser sends the card's form, which has no file field: urlencoded, not multipart.
                response = client.post(document.get_absolute_url(), urlencode(data, doseq=True), content_type=FORM)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, response.status_code
            queries = len(captured)
        scenario = f"save a draft of {size} line(s)" + (f", {catalog:,} items" if catalog else "")
        row = (scenario, queries, statistics.median(timings), min(timings))
        rows.append(row)
        out.write(f"{row[0]:<42} {row[1]:>7} {row[2]:>10.1f} {row[3]:>8.1f}\n")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--catalog", type=int, default=0, help="items added to the catalog first")
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})
    name = f"bench_draft_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = f"/tmp/{name}.sqlite3" if connection.vendor == "sqlite" else name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        measure(runs=args.runs, catalog=args.catalog)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
