"""Load test: gunicorn with production settings on PostgreSQL, driven by N simulated accountants.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ledgerline_load make loadtest
    .venv/bin/python bench/loadtest.py --users 20 --duration 60 --max-requests 6000

The database must be a scratch one (its name contains "load" or "bench"): the demo data is loaded into
it and the demo passwords reset. Every request goes to 127.0.0.1 only, to the gunicorn this script starts
(4 workers) and stops; the run ends at --duration seconds or --max-requests requests, whichever comes first.

Each accountant logs in through the login form, then loops: opens the lists, a report and a card, creates
an invoice or a bill through the add form (CSRF token and all), posts it, registers a payment, and in turn
creates and posts a return or a correction of it. Every accountant works on the documents it created, so a
refused action (an error message on the page) counts as an error, like a status >= 400 or a failed request.

At the end it prints requests/s, p50/p95/p99 per action and the errors, then runs `check_balances`
(exit 1 on any difference). --check makes the exit code 1 on any error (CI); times are never asserted.
"""

import argparse
import atexit
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
HOST = "127.0.0.1"
PASSWORD = "load-test-accountant"
# The demo data's customers (invoices) and vendors (bills).
PARTNERS = {
    "invoice": ["Northwind Traders", "Contoso Retail", "Blue Yonder Airlines", "Fabrikam Stores", "Acme Corporation"],
    "bill": ["Globex Supplies", "Initech Hardware", "Umbrella Logistics", "Wayne Paper Co.", "Acme Corporation"],
}


# ----------------------------------------------------------------------------- HTML forms
class FormParser(HTMLParser):
    """The forms of a page: their action and the values a browser would submit (without the buttons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._select = None
        self._textarea = None
        self._option = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": a, "fields": [], "selects": {}, "buttons": [], "checkboxes": {}})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image"):
                form["buttons"].append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                form["checkboxes"].setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            else:
                form["fields"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "options": [], "labels": [], "selected": []}
            form["selects"][name] = self._select
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            self._select["labels"].append("")
            self._option = True
            if "selected" in a:
                self._select["selected"].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        if tag == "option":
            self._option = None
        if tag == "select" and self._select is not None:
            select = self._select
            chosen = select["selected"] or ([] if select["multiple"] else select["options"][:1])
            self.forms[-1]["fields"].extend((select["name"], value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.forms[-1]["fields"].append(tuple(self._textarea))
            self._textarea = None

    def handle_data(self, data):
        if self._option and self._select is not None:
            self._select["labels"][-1] += data
        if self._textarea is not None:
            self._textarea[1] += data


def forms_of(html):
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def find_form(html, *, action_contains=None, form_id=None):
    for form in forms_of(html):
        action = form["attrs"].get("action", "")
        if form_id and form["attrs"].get("id") == form_id:
            return form
        if action_contains and action_contains in action:
            return form
        if not form_id and not action_contains and "logout" not in action:
            return form
    return None


def options(form, name):
    """The values a select offers, or the values of a group of checkboxes of that name."""
    if name in form["checkboxes"]:
        return form["checkboxes"][name]
    return [value for value in form["selects"][name]["options"] if value]


def option_labelled(form, name, label):
    select = form["selects"][name]
    for value, text in zip(select["options"], select["labels"], strict=True):
        if text.strip() == label:
            return value
    raise Refused(f"no {label!r} among the choices of {name}")


def submit(form, overrides=None, drop=()):
    """The form's values as a list of pairs, with `overrides` (name -> value or list) replacing them."""
    overrides = overrides or {}
    data = [(k, v) for k, v in form["fields"] if k not in overrides and k not in drop]
    for key, value in overrides.items():
        for item in value if isinstance(value, list) else [value]:
            data.append((key, item))
    return data


# ----------------------------------------------------------------------------- statistics
class Stats:
    def __init__(self, max_requests, deadline):
        self.lock = threading.Lock()
        self.times = defaultdict(list)
        self.errors = []
        self.count = 0
        self.max_requests = max_requests
        self.deadline = deadline

    def take(self):
        """A request may be sent: False once the budget of requests or time is spent."""
        with self.lock:
            if self.count >= self.max_requests or time.monotonic() >= self.deadline:
                return False
            self.count += 1
            return True

    def record(self, action, seconds):
        with self.lock:
            self.times[action].append(seconds)

    def error(self, action, message):
        with self.lock:
            self.errors.append(f"{action}: {message}")


class OutOfBudget(Exception):
    pass


class Refused(Exception):
    pass


ERROR_MESSAGE = re.compile(r'<li class="error">(.*?)</li>|<p class="errornote">(.*?)</p>', re.S)
FIELD_ERRORS = re.compile(r'<ul class="errorlist[^"]*"[^>]*(?:id="([^"]*)")?[^>]*>(.*?)</ul>', re.S)


def page_errors(html):
    """The error messages a page shows: messages, the form's error note, the fields' errors."""
    found = [a or b for a, b in ERROR_MESSAGE.findall(html)]
    found += [f"{field or 'form'}: {text}" for field, text in FIELD_ERRORS.findall(html)]
    return [unescape(re.sub(r"<[^>]+>", " ", text)).strip() for text in found]


class Accountant:
    def __init__(self, base, username, stats, seed):
        self.base = base
        self.username = username
        self.stats = stats
        self.rng = random.Random(seed)
        self.first_path = seed % 2  # half the accountants start with a return, half with a correction
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"ledgerline-loadtest/{username}"

    # ---- one request, timed and checked
    def request(self, action, method, path, data=None, expect_redirect=False):
        if not self.stats.take():
            raise OutOfBudget
        url = urljoin(self.base, path)
        assert urlparse(url).hostname == HOST, url  # loopback only
        started = time.perf_counter()
        response = self.http.request(method, url, data=data, allow_redirects=False, timeout=30)
        self.stats.record(action, time.perf_counter() - started)
        if response.status_code >= 400:
            raise Refused(f"{method} {path} answered {response.status_code}")
        if expect_redirect and response.status_code != 302:
            raise Refused(
                f"{method} {path} answered {response.status_code}, not a redirect: {page_errors(response.text)[:4]}"
            )
        return response

    def get(self, action, path):
        response = self.request(action, "GET", path)
        if response.status_code == 302:  # the card after an action: follow it, as a browser does
            response = self.request(action, "GET", response.headers["Location"])
        errors = page_errors(response.text)
        if errors:
            raise Refused(f"GET {path} shows an error: {errors[:3]}")
        return response

    def post(self, action, path, data):
        """POST a form; the answer must be a redirect (Django's post/redirect/get), whose page is opened."""
        response = self.request(action, "POST", path, data=data, expect_redirect=True)
        location = response.headers["Location"]
        page = self.get(action, location)
        return location, page

    # ---- what an accountant does
    def login(self):
        page = self.get("login", "/login/")
        form = find_form(page.text)
        location, _ = self.post(
            "login", "/login/", submit(form, {"username": self.username, "password": PASSWORD, "next": "/"})
        )
        if "/login/" in location:
            raise Refused("login refused")

    def browse(self):
        lists = ["/invoicing/invoice/", "/invoicing/bill/", "/invoicing/payment/", "/invoicing/invoice/?status=to_pay"]
        page = self.get("list", self.rng.choice(lists))
        cards = re.findall(r'href="(/invoicing/(?:invoice|bill)/\d+/change/)"', page.text)
        if cards:
            self.get("card", self.rng.choice(cards))
        if self.rng.random() < 0.3:
            self.get("report", self.rng.choice(["/reports/partner-balances/", "/reports/payment-calendar/"]))

    def create_document(self, kind):
        add = f"/invoicing/{kind}/add/"
        form = find_form(self.get("create", add).text, form_id=f"{kind}_form")
        items = options(form, "lines-0-item")
        overrides = {
            "type": option_labelled(form, "type", "Invoice" if kind == "invoice" else "Bill"),
            "company": option_labelled(form, "company", "Ledgerline Demo Ltd"),
            "partner": option_labelled(form, "partner", self.rng.choice(PARTNERS[kind])),
            "lines-0-item": self.rng.choice(items),
            "lines-0-description": f"Load test line by {self.username}",
            "lines-0-quantity": str(self.rng.randint(1, 6)),
            "lines-0-unit_price": f"{self.rng.randint(5, 500)}.{self.rng.randint(0, 99):02d}",
            "lines-0-taxes": options(form, "lines-0-taxes")[:1],
            "_continue": "Save and continue editing",
        }
        if self.rng.random() < 0.5:  # a second line
            overrides.update(
                {
                    "lines-1-item": self.rng.choice(items),
                    "lines-1-description": "Second line",
                    "lines-1-quantity": str(self.rng.randint(1, 3)),
                    "lines-1-unit_price": f"{self.rng.randint(1, 90)}.50",
                }
            )
        location, card = self.post("create", add, submit(form, overrides))
        match = re.search(rf"/invoicing/{kind}/(\d+)/change/", location)
        if not match:
            raise Refused(f"saving a new {kind} led to {location}")
        return int(match.group(1)), card

    def transition(self, action, kind, pk, name, card):
        """Click the card's button: a one-click form (Post), or a link to a confirmation page (Cancel)."""
        path = f"/invoicing/{kind}/{pk}/transition/{name}/"
        one_click = find_form(card.text, action_contains=path)
        if one_click is not None:
            _, card = self.post(action, path, submit(one_click))
            return card
        if f'href="{path}"' not in card.text:
            refusal = re.search(r'<span class="button disabled" title="([^"]*)"', card.text)
            raise Refused(f"no {name} button on {kind} {pk}" + (f": {unescape(refusal.group(1))}" if refusal else ""))
        form = find_form(self.get(action, path).text)
        _, card = self.post(action, path, submit(form))
        return card

    def state_reason(self, action, kind, pk, card, reason, extra=None):
        """Save the draft's header with the reason a correction or a return needs before it is posted."""
        draft = find_form(card.text, form_id=f"{kind}_form")
        overrides = {"reason": reason, "_continue": "Save and continue editing", **(extra or {})}
        _, card = self.post(action, f"/invoicing/{kind}/{pk}/change/", submit(draft, overrides))
        return card

    def pay(self, kind, pk, whole):
        path = f"/invoicing/{kind}/{pk}/payment/"
        page = self.get("pay", path)
        form = find_form(page.text, form_id="payment-form")
        due = float(re.search(r'data-balance-due="([-\d.]+)"', page.text).group(1))
        if due <= 0:
            return None
        amount = due if whole else round(due / 2, 2)
        methods = options(form, "method")
        _, card = self.post("pay", path, submit(form, {"amount": f"{amount:.2f}", "method": self.rng.choice(methods)}))
        return card

    def make_return(self, kind, pk):
        path = f"/returns/{pk}/create/"
        form = find_form(self.get("return", path).text)
        location, card = self.post("return", path, submit(form))
        match = re.search(r"/invoicing/(invoice|bill)/(\d+)/change/", location)
        if not match or int(match.group(2)) == pk:
            raise Refused(f"no return draft created from {kind} {pk}: led to {location}")
        return_kind, return_pk = match.group(1), int(match.group(2))
        card = self.state_reason("return", return_kind, return_pk, card, f"Returned to {self.username}")
        self.transition("return", return_kind, return_pk, "post", card)

    def make_correction(self, kind, pk):
        path = f"/corrections/{pk}/create/"
        form = find_form(self.get("correction", path).text)
        location, card = self.post("correction", path, submit(form))
        match = re.search(rf"/invoicing/{kind}/(\d+)/change/", location)
        if not match or int(match.group(1)) == pk:
            raise Refused(f"no correction draft created from {kind} {pk}: led to {location}")
        correction_pk = int(match.group(1))
        # Edit the draft: one more unit on the first line, then save and post it.
        draft = find_form(card.text, form_id=f"{kind}_form")
        quantity = dict(draft["fields"]).get("lines-0-quantity", "1")
        extra = {"lines-0-quantity": str(float(quantity) + 1)}
        card = self.state_reason("correction", kind, correction_pk, card, "One more unit delivered", extra)
        self.transition("correction", kind, correction_pk, "post", card)

    def static(self, page):
        match = re.search(r'href="(/static/[^"]+\.css)"', page.text)
        if match:
            response = self.request("static", "GET", match.group(1))
            if response.status_code != 200:
                raise Refused(f"static file {match.group(1)} answered {response.status_code}")

    def work(self, iterations_done):
        self.browse()
        kind = "invoice" if iterations_done % 3 != 2 else "bill"
        pk, card = self.create_document(kind)
        card = self.transition("post", kind, pk, "post", card)
        if (iterations_done + self.first_path) % 2 == 0:
            self.pay(kind, pk, whole=False)
            if kind == "invoice":
                self.make_return(kind, pk)
            else:
                self.make_correction(kind, pk)
        else:
            self.make_correction(kind, pk)
            self.pay(kind, pk, whole=True)

    def run(self):
        try:
            self.login()
            self.static(self.get("list", "/"))
            n = 0
            while True:
                try:
                    self.work(n)
                except Refused as error:
                    self.stats.error(self.username, str(error))
                except requests.RequestException as error:
                    self.stats.error(self.username, f"request failed: {error}")
                n += 1
        except OutOfBudget:
            pass
        except Refused as error:
            self.stats.error(self.username, str(error))
        except requests.RequestException as error:
            self.stats.error(self.username, f"request failed: {error}")
        except Exception as error:  # a simulated user that crashes is an error, never a silent stop
            self.stats.error(self.username, f"{type(error).__name__}: {error}")


# ----------------------------------------------------------------------------- the server
def manage(*args, env, check=True):
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _tail(log_path):
    return log_path.read_text()[-4000:]


def wait_until_up(base, server, log_path, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn stopped before answering:\n{_tail(log_path)}")
        try:
            if requests.get(urljoin(base, "/healthz"), timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer /healthz in time:\n{_tail(log_path)}")


def probe(base):
    """After the load: /healthz, the request id, and the lockout (which locks 127.0.0.1 out: it comes last)."""
    results = []
    health = requests.get(urljoin(base, "/healthz"), headers={"X-Request-ID": "loadtest-probe-1"}, timeout=10)
    ok = health.status_code == 200 and health.json().get("database") == "ok"
    results.append(f"{'ok' if ok else 'FAILED'}: GET /healthz answered {health.status_code} {health.text.strip()}")
    echoed = health.headers.get("X-Request-ID") == "loadtest-probe-1"
    results.append(f"{'ok' if echoed else 'FAILED'}: X-Request-ID echoed: {health.headers.get('X-Request-ID')}")
    policy = health.headers.get("Content-Security-Policy", "")
    results.append(f"{'ok' if 'script-src' in policy else 'FAILED'}: Content-Security-Policy: {policy}")
    session = requests.Session()
    statuses = []
    for _ in range(12):
        page = session.get(urljoin(base, "/login/"), timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        data = {"username": "load01", "password": "wrong", "next": "/"}
        if token:
            data["csrfmiddlewaretoken"] = token.group(1)
        answer = session.post(urljoin(base, "/login/"), data=data, allow_redirects=False, timeout=10)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    locked = statuses[-1] == 429 and "Too many failed logins" in answer.text
    right = session.post(
        urljoin(base, "/login/"),
        data={"username": "load01", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
        allow_redirects=False,
        timeout=10,
    )
    results.append(
        f"{'ok' if locked else 'FAILED'}: wrong passwords answered {statuses}: failure {len(statuses)} is locked out"
    )
    results.append(
        f"{'ok' if right.status_code == 429 else 'FAILED'}: then the right password answered {right.status_code}"
    )
    return results


WORKFLOW = ("login", "list", "card", "create", "post", "pay", "return", "correction")


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="simulated accountants (20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load at most (60)")
    parser.add_argument("--max-requests", type=int, default=6000, help="requests at most (6000)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--check", action="store_true", help="exit 1 on any error (CI)")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "Set DATABASE_URL to a scratch PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/ledgerline_load"
        )
    name = urlparse(database_url).path.lstrip("/")
    if "load" not in name and "bench" not in name:
        sys.exit(f"The database {name!r} does not look like a scratch one: its name must contain 'load' or 'bench'.")

    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    local = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    # The collected static files (31 MB) and the server's log, removed when the run ends, also when stopped
    # (SIGTERM then unwinds as an exit does: the server is stopped too).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    scratch = Path(tempfile.mkdtemp(prefix="ledgerline-loadtest-"))
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    static_root = str(scratch / "static")
    production = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_STATIC_ROOT": static_root,
        # Plain HTTP on loopback, no proxy in front: no HTTPS redirect, cookies sent over HTTP.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "0",
        "LEDGERLINE_LOG_LEVEL": "WARNING",
    }

    print(f"== preparing {name}: migrate, demo data, {args.users} accountants, collectstatic", flush=True)
    manage("migrate", "--noinput", env=local)
    manage("seed_demo", "--force", env=local)
    manage("axes_reset", env=local)  # a previous run's lockout probe locked 127.0.0.1 out
    manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User\n"
        "group = Group.objects.get(name='Accountant')\n"
        f"for n in range(1, {args.users} + 1):\n"
        "    user, _ = User.objects.get_or_create(username=f'load{n:02d}', defaults={'is_staff': True})\n"
        f"    user.set_password({PASSWORD!r}); user.save(); user.groups.set([group])\n",
        env=local,
    )
    manage("collectstatic", "--noinput", "--verbosity", "0", env=production)

    port = free_port()
    base = f"http://{HOST}:{port}"
    log_path = scratch / "gunicorn.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--config", "config/gunicorn.py", "config.wsgi"],
        cwd=ROOT,
        env={**production, "GUNICORN_BIND": f"{HOST}:{port}", "WEB_CONCURRENCY": str(args.workers)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base, server, log_path)
        print(f"== {args.users} accountants against gunicorn ({args.workers} workers) on {base}", flush=True)
        print(f"   for at most {args.duration:.0f} s or {args.max_requests} requests", flush=True)
        started = time.monotonic()
        stats = Stats(args.max_requests, started + args.duration)
        threads = [
            threading.Thread(target=Accountant(base, f"load{n:02d}", stats, seed=n).run, daemon=True)
            for n in range(1, args.users + 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.duration + 120)
        elapsed = time.monotonic() - started
        probes = probe(base)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    total = sum(len(t) for t in stats.times.values())
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s, {len(stats.errors)} errors\n")
    print(f"{'action':<12}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for action in sorted(stats.times):
        times = [t * 1000 for t in stats.times[action]]
        print(
            f"{action:<12}{len(times):>9}{percentile(times, 50):>9.0f}{percentile(times, 95):>9.0f}"
            f"{percentile(times, 99):>9.0f}{statistics.fmean(times):>9.0f}"
        )
    for error in stats.errors[:20]:
        print(f"ERROR {error}")
    server_errors = [line for line in log_path.read_text().splitlines() if " ERROR " in line or "Traceback" in line]
    for line in server_errors[:20]:
        print(f"SERVER {line}")

    print("\n== check_balances", flush=True)
    balances = manage("check_balances", env=local, check=False)
    print(balances.stdout.strip()[-2000:], balances.stderr.strip()[-2000:] if balances.returncode else "")
    print(f"check_balances exit code {balances.returncode}")

    print("\n== probes of the running server")
    for line in probes:
        print(line)
    probe_failures = [line for line in probes if not line.startswith("ok")]
    # Every step of an accountant's day must have happened, or the run proves nothing about it.
    missing = [action for action in WORKFLOW if not stats.times.get(action)]
    if missing:
        print(f"\nNever reached: {', '.join(missing)}")

    failed = balances.returncode != 0 or (
        args.check and (stats.errors or server_errors or probe_failures or missing or total == 0)
    )
    if failed:  # the log goes with the scratch folder
        print(f"\n== the end of the server's log\n{_tail(log_path)}")
    print(
        "\nloadtest:",
        "FAILED" if failed else "ok",
        f"({len(stats.errors)} errors, balances exit {balances.returncode})",
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
