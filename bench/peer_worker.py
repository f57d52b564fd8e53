"""The peer's side of `make bench`: django-ledger 0.8.5 in its own virtualenv, driven by `bench.peer`.

Run by the peer virtualenv's Python (never the project's): it writes a throwaway settings module, migrates a
scratch database, builds the same data as Ledgerline's side through django-ledger's own models (an entity with
its default chart of accounts, a vendor, expense items, N bills of 1–3 lines, and bills of 10 and 200 lines),
then answers one JSON line per command on stdin:

    {"build": {"documents": N}}               → {"ok": true}
    {"run": "bill detail", "size": "10 lines"} → {"queries": q, "ms": t}

Each run is one request through Django's test client (or one create → approve → paid), timed and counted the
way `bench.pages` times Ledgerline's own pages.
"""

import atexit
import gc
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

SETTINGS = """
SECRET_KEY = "peer-bench-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
    "django.contrib.messages", "django.contrib.staticfiles", "django.contrib.humanize", "django_ledger",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware", "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware", "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request", "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": %(database)r}
STATIC_URL = "/static/"
LOGIN_URL = "/ledger/auth/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
"""

URLS = """
from django.urls import include, path
urlpatterns = [path("ledger/", include("django_ledger.urls", namespace="django_ledger"))]
"""


def database_settings(scratch):
    """The scratch database: a SQLite file, or a database named `scratch` on the server of DATABASE_URL."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": f"/tmp/{scratch}.sqlite3"}
    parts = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql", "NAME": scratch, "USER": parts.username or "",
        "PASSWORD": parts.password or "", "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
    }  # fmt: skip


def configure(scratch):
    folder = Path(tempfile.mkdtemp(prefix="ledgerline-peer-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "peer_settings.py").write_text(SETTINGS % {"database": database_settings(scratch)})
    (folder / "peer_urls.py").write_text(URLS)
    sys.path.insert(0, str(folder))
    os.environ["DJANGO_SETTINGS_MODULE"] = "peer_settings"
    import django

    django.setup()


class PeerData:
    """What django-ledger holds for the bench, built through its own models."""

    def __init__(self, documents, seed=2026):
        from django.contrib.auth import get_user_model
        from django_ledger.io import roles
        from django_ledger.models import EntityModel, ItemModel

        self.rng = random.Random(seed)
        self.user = get_user_model().objects.create_user("bench", password="bench", is_staff=True)
        self.entity = EntityModel.create_entity(name="Bench Inc", use_accrual_method=False, admin=self.user,
                                                fy_start_month=1)  # fmt: skip
        coa = self.entity.create_chart_of_accounts(assign_as_default=True, commit=True)
        self.entity.populate_default_coa(coa_model=coa, activate_accounts=True)
        accounts = list(self.entity.get_default_coa_accounts())

        def account(role):
            return next(a for a in accounts if a.role == role)

        self.cash, self.prepaid = account(roles.ASSET_CA_CASH), account(roles.ASSET_CA_PREPAID)
        self.payable, expense = account(roles.LIABILITY_CL_ACC_PAYABLE), account(roles.EXPENSE_OPERATIONAL)
        self.vendors = [
            self.entity.create_vendor(vendor_model_kwargs={"vendor_name": f"Vendor {n:04d}", "active": True})
            for n in range(max(10, min(1000, documents // 100)))
        ]
        uom = self.entity.create_uom(name="Unit", unit_abbr="unit")
        self.items = [
            ItemModel.objects.create(
                name=f"Item {n}",
                uom=uom,
                item_role=ItemModel.ITEM_ROLE_EXPENSE,
                item_type=ItemModel.ITEM_TYPE_OTHER,
                entity=self.entity,
                for_inventory=False,
                is_product_or_service=False,
                expense_account=expense,
            )  # fmt: skip
            for n in range(20)
        ]
        for _ in range(documents):
            self.bill(self.rng.randint(1, 3), when=timedelta(days=self.rng.randint(0, 120)))
        # The counterparts of our posted cards are approved bills (a bill is reviewed before it is approved).
        self.sized = {size: self.approved(self.bill(size)) for size in (10, 200)}
        self.draft_200 = self.bill(200)  # the update page's editable lines

    def bill(self, lines, when=timedelta(0)):
        """A draft bill of `lines` item lines, as django-ledger's own data generator makes one."""
        from django.utils import timezone
        from django_ledger.models import BillModel, ItemTransactionModel

        bill = self.entity.create_bill(
            vendor_model=self.rng.choice(self.vendors), terms=BillModel.TERMS_NET_30,
            date_draft=timezone.localdate() - when, cash_account=self.cash, prepaid_account=self.prepaid,
            payable_account=self.payable, commit=True,
        )  # fmt: skip
        rows = [
            ItemTransactionModel(
                bill_model=bill,
                item_model=self.rng.choice(self.items),
                quantity=Decimal(self.rng.randint(1, 5)),
                unit_cost=Decimal("12.50"),
            )  # fmt: skip
            for _ in range(lines)
        ]
        for row in rows:
            row.full_clean()  # computes the line's total, as the data generator does
        bill.update_amount_due(itemtxs_qs=rows)
        bill.itemtransactionmodel_set.bulk_create(rows)
        bill.save()
        return bill

    def approved(self, bill):
        bill.mark_as_review(commit=True)
        bill.mark_as_approved(user_model=self.user, entity_slug=self.entity.slug, commit=True)
        return bill

    def create_approve_pay(self):
        """Create a 5-line bill, then review → approve → paid through django-ledger's own model methods."""
        bill = self.bill(5)
        slug = self.entity.slug
        bill.mark_as_review(commit=True)
        bill.mark_as_approved(user_model=self.user, entity_slug=slug, commit=True)
        bill.mark_as_paid(user_model=self.user, entity_slug=slug, commit=True)


def main():
    from_stdin = sys.stdin
    request = json.loads(from_stdin.readline())
    scratch = f"bench_peer_{os.getpid()}"
    configure(scratch)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    setup_test_environment()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = connection.settings_dict["NAME"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        data = PeerData(request["build"]["documents"])
        client = Client()
        client.force_login(data.user)
        slug = data.entity.slug

        def page(name, bill=None):
            kwargs = {"entity_slug": slug, **({"bill_pk": bill.uuid} if bill else {})}
            url = reverse(f"django_ledger:{name}", kwargs=kwargs)

            def action():
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")

            return action

        actions = {
            ("bill update", "200 lines"): page("bill-update", data.draft_200),
            ("bill detail", "10 lines"): page("bill-detail", data.sized[10]),
            ("bill detail", "200 lines"): page("bill-detail", data.sized[200]),
            ("bill list", "one page"): page("bill-list"),
            ("create → approve → paid", "5 lines"): data.create_approve_pay,
        }
        for action in actions.values():
            action()  # warm-up, and every page must answer 200
        print(json.dumps({"ok": True}), flush=True)
        for line in from_stdin:
            command = json.loads(line)
            action = actions[(command["run"], command["size"])]
            connection.queries_log.clear()  # a full log (9,000 queries: 22 runs of its update page) counts none
            gc.collect()
            gc.disable()  # as `bench.timing.no_collection` does on our side
            try:
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    action()
                    elapsed = (time.perf_counter() - started) * 1000
            finally:
                gc.enable()
            print(json.dumps({"queries": len(queries), "ms": elapsed}), flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
