"""The machinery of `tests/test_fuzz.py`: read a page's form the way a browser submits it, mutate one
field (or a few, together) at a time, send it with the test client and judge the answer.

A request fails when it is answered with a 5xx, or when it was refused (a re-rendered form, a 4xx, or a
redirect carrying an error message) and still changed the books (a cheap snapshot of the tables, taken
before and after). Failures are collected, grouped by cause and reported together at the end of a target,
so one run names every distinct cause at once.

Each request runs inside a savepoint: a request answered with a 5xx is rolled back after it was judged
(on PostgreSQL an error leaves the transaction aborted; later requests must start from a usable state).
Accepted requests stay: what they stored is what the final checks (balance audit, lists) read.
"""

import hashlib
import logging
import random
import re
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

from django.contrib.messages import constants as message_levels
from django.core.exceptions import FieldDoesNotExist
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.db.models import DecimalField
from django.template.base import Template
from django.test import Client

from invoicing.models import (
    Company,
    Document,
    DocumentLine,
    DocumentSequence,
    DocumentTransition,
    DocumentType,
    Item,
    Partner,
    Payment,
    PaymentMethod,
    Tax,
)

REQUEST_LOGGER = logging.getLogger("django.request")
ROOT = Path(__file__).resolve().parent.parent
SEED = 20260209


class _Missing:
    def __repr__(self):
        return "<missing>"


MISSING = _Missing()  # the field is left out of the request altogether

# ----------------------------------------------------------------------------- malformed values
LONG = "x" * 100_000
NUL = "a\x00b"
HTML = "<script>alert(1)</script>"
EMOJI = "💶🧾😀"
GENERIC = ["", MISSING, "abc", NUL, LONG, HTML, EMOJI, "   ", "-1", "99999999999999999999"]
NUMBERS = [
    "NaN", "Infinity", "-inf", "1e400", "1e-400", "99999999999999999999", "99999999.999", "1.123456789", "-1",
    "-0.01", "-99999999999.99", "1,234.5,6", "12,50", "1 000", "0", "99999999", "999999999999.999", "1E10",
    "0x10", "١٢", "5e-3",
]  # fmt: skip
DATES = [
    "9999-12-31", "0001-01-01", "1899-12-31", "3000-01-01", "2026-02-30", "2026-13-01", "abc", "99999-01-01",
    "31/12/2026", "1e400", "-2026-01-01",
]  # fmt: skip
CHOICES = ["999999", "-1", "0", "abc", "1.5", "99999999999999999999"]
BOOLS = ["on", "abc", "0", "False"]
# TOTAL_FORMS=100000 makes Django build (and the page re-render) its maximum of 2,000 forms: seconds per
# request, so one target sends it (see HUGE_FORMSET); "5" is a stale count larger than the real one.
TOTAL_FORMS = [MISSING, "", "abc", "-1", "0", "5"]
HUGE_FORMSET = "100000"
INITIAL_FORMS = [MISSING, "", "abc", "-1", "5", "100000", "99999999999999999999"]
BOUND_FORMS = [MISSING, "abc", "-1", "100000"]  # MIN_NUM_FORMS / MAX_NUM_FORMS
LINE_IDS = [MISSING, "", "999999", "abc", "-1", "99999999999999999999"]
# Query strings sent to every list and report (besides the page's own filters with malformed values).
QUERIES = [
    "date__year=abc", "date__year=99999", "date__month=13&date__year=2026",
    "date__day=32&date__month=1&date__year=2026",
    "o=99", "o=-1", "o=abc", "o=1.2.3", "p=-1", "p=abc", "p=99999999999999999999", "status__exact=zzz",
    "date_from=9999-12-31", "date_from=0001-01-01", "date_to=9999-12-31", "date_to=0001-01-01",
    "date_from=abc", "due_from=9999-12-31", "due_to=0001-01-01", "company=abc", "company=999999",
    "partner=999999", "partner=abc", "currency=XXX", "q=%00", "q=" + "x" * 5000, "q=%3Cscript%3E", "bucket=month",
    "bucket=day&date_from=2000-01-01&date_to=2999-12-31", "kind=zzz", "overdue=2", "returns=zzz",
    "type__id__exact=abc", "type__id__exact=999999", "company__id__exact=abc",
    "partner__id__exact=99999999999999999999",
    "kind__exact=zzz", "method__id__exact=abc", "document__company__id__exact=abc", "is_active__exact=abc",
    "is_return__exact=2", "all=", "e=1", "_to_field=abc", "_popup=1", "_changelist_filters=%00", "unknown=1",
    "p=1&p=2", "o=1.2&o=3", "date__gte=abc", "amount_total__gt=1e400", "id__in=abc",
]  # fmt: skip


def short(value, limit=40):
    """A value as it reads in a report."""
    if value is MISSING:
        return "<missing>"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(short(v, limit) for v in value) + "]"
    text = repr(value)
    if len(text) > limit:
        return f"{text[: limit - 8]}…' ({len(value):,} chars)"
    return text


# ----------------------------------------------------------------------------- reading a form
@dataclass
class Field:
    name: str
    tag: str  # input, select, textarea
    type: str = ""  # the input's type
    multiple: bool = False
    options: list = field(default_factory=list)
    css: str = ""

    @property
    def base(self):
        """`lines-0-quantity` -> `quantity`."""
        return re.sub(r"^[\w]+-\d+-", "", self.name)

    @property
    def kind(self):
        base = self.base
        if self.name.endswith("TOTAL_FORMS"):
            return "total_forms"
        if self.name.endswith("INITIAL_FORMS"):
            return "initial_forms"
        if self.name.endswith(("MIN_NUM_FORMS", "MAX_NUM_FORMS")):
            return "bound_forms"
        if re.fullmatch(r"\w+-\d+-id", self.name):
            return "line_id"
        if self.tag == "select":
            return "multi" if self.multiple else "choice"
        if self.type in ("checkbox", "radio"):
            return "bool"
        if self.type == "number":
            return "number"
        if self.type == "date" or "vDateField" in self.css or base.endswith("date") or base.startswith("due_"):
            return "date"
        return "text"


@dataclass
class Form:
    action: str
    method: str
    fields: dict = field(default_factory=dict)  # name -> Field
    data: dict = field(default_factory=dict)  # name -> list of values, as a browser submits them


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._form, self._select, self._option, self._textarea = [], None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = Form(action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag in ("input", "select", "textarea") and name and "__prefix__" not in name and "disabled" not in attrs:
            kind = (attrs.get("type") or "text").lower() if tag == "input" else ""
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            spec = self._form.fields.setdefault(
                name, Field(name, tag, kind, multiple="multiple" in attrs, css=attrs.get("class") or "")
            )
            data = self._form.data.setdefault(name, [])
            if tag == "input" and (kind not in ("checkbox", "radio") or "checked" in attrs):
                data.append(attrs.get("value", "on" if kind in ("checkbox", "radio") else ""))
            elif tag == "select":
                self._select = (spec, attrs)
            elif tag == "textarea":
                self._textarea = [name, ""]
        elif tag == "option" and self._select:
            self._option = [attrs.get("value"), "selected" in attrs, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            self._close_option()
        elif tag == "select" and self._select:
            if self._option is not None:
                self._close_option()
            spec, _ = self._select
            values = self._form.data[spec.name]
            if not values and not spec.multiple and spec.options:
                values.append(spec.options[0])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form.data[name].append(text[1:] if text.startswith("\n") else text)
            self._textarea = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        value, selected, text = self._option
        value = text.strip() if value is None else value
        spec, _ = self._select
        spec.options.append(value)
        if selected:
            self._form.data[spec.name].append(value)
        self._option = None


def parse_forms(html):
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def main_form(html, method="post"):
    """The page's form with the most fields (the logout button is a form too)."""
    forms = [f for f in parse_forms(html) if f.method == method]
    assert forms, "no form on the page"
    return max(forms, key=lambda f: len(f.fields))


# ----------------------------------------------------------------------------- mutations
@dataclass
class Mutation:
    """Values to put in place of a baseline POST's: {name: value, list of values or MISSING}."""

    changes: dict
    label: str = ""

    def apply(self, baseline):
        data = {name: list(values) for name, values in baseline.items()}
        for name, value in self.changes.items():
            if value is MISSING:
                data.pop(name, None)
            else:
                data[name] = list(value) if isinstance(value, (list, tuple)) else [value]
        return data

    def describe(self):
        if self.label:
            return self.label
        return ", ".join(f"{name}={short(value)}" for name, value in self.changes.items())


def field_values(spec, extra=(), rng=None, generic=3, limit=None):
    """The malformed values for one field: those of its kind, `extra` (ids of foreign or missing objects the
    target knows of), and `generic` of the values every field gets; at most `limit` (the extras first, the
    others a seeded choice)."""
    kind = spec.kind
    pools = {
        "total_forms": TOTAL_FORMS,
        "initial_forms": INITIAL_FORMS,
        "bound_forms": BOUND_FORMS,
        "line_id": LINE_IDS,
        "number": NUMBERS,
        "date": DATES,
        "choice": CHOICES,
        "multi": [["999999"], ["abc"], ["99999999999999999999"], ["-1"]],
        "bool": BOOLS,
        "text": [LONG, NUL],
    }
    rng = rng or random.Random(SEED)
    values = list(pools[kind])
    if kind not in ("total_forms", "initial_forms", "bound_forms"):
        others = [v for v in GENERIC if v not in values]
        values += others if generic is None else rng.sample(others, min(generic, len(others)))
    extra = [v for v in extra if v not in values] if kind != "multi" else list(extra)
    if limit is not None and len(extra) + len(values) > limit:
        values = rng.sample(values, max(limit - len(extra), 0))
    unique = []
    for value in extra + values:
        if value not in unique:
            unique.append(value)
    return unique


def mutations(form, baseline, *, fields=None, extra=None, rng=None, generic=3, limit=None, limits=None):
    """One field off the baseline at a time, for every field of the form (or `fields`). `limits` caps the
    values of some fields ({name or base name: n}), `limit` the others."""
    extra, limits = extra or {}, limits or {}
    rng = rng or random.Random(SEED)
    result = []
    for name, spec in form.fields.items():
        if name == "csrfmiddlewaretoken" or (fields is not None and name not in fields):
            continue
        more = extra.get(name, extra.get(spec.base, ()))
        cap = limits.get(name, limits.get(spec.base, limit))
        for value in field_values(spec, more, rng, generic, cap):
            if baseline.get(name) == [value]:
                continue
            result.append(Mutation({name: value}))
    return result


# ----------------------------------------------------------------------------- the books' snapshot
SNAPSHOT = [
    (Document, [
        "kind", "type_id", "company_id", "partner_id", "number", "date", "due_date", "currency", "note",
        "vendor_reference", "status", "original_id", "is_reversal", "correction_index", "amount_untaxed",
        "amount_tax", "amount_total", "debt_total", "net_paid", "allocated", "balance_due", "posted_at",
        "updated_at",
    ]),
    (DocumentLine, [
        "document_id", "position", "item_id", "description", "quantity", "unit_price", "discount", "source_line_id",
        "amount_untaxed", "amount_tax", "amount_total",
    ]),
    (DocumentLine.taxes.through, ["documentline_id", "tax_id"]),
    (Payment, ["document_id", "kind", "method_id", "amount", "currency", "date", "reference"]),
    (DocumentTransition, ["document_id", "name", "source", "target"]),
    (DocumentSequence, ["type_id", "year", "last_number"]),
    (DocumentType, ["kind", "name", "series", "is_return", "return_type_id", "check_returned_quantity",
                    "prices_include_tax", "is_active"]),
    (Tax, ["name", "rate", "group"]),
    (PaymentMethod, ["name", "is_active"]),
    (Item, ["name", "sku", "unit", "default_price", "is_sellable", "is_purchasable"]),
    (Item.default_taxes.through, ["item_id", "tax_id"]),
    (Partner, ["name", "is_customer", "is_vendor", "payment_terms_days", "vat_id", "email"]),
    (Company, ["name", "currency"]),
]  # fmt: skip


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return model._meta.get_field(name.removesuffix("_id"))


def _columns(model, names):
    return [connection.ops.quote_name(c) for c in [model._meta.pk.column] + [_field(model, n).column for n in names]]


def snapshot():
    """{table: (row count, checksum of its key columns)}, and the stored figures that do not fit their column.

    Read with plain SQL: a figure that does not fit its column (SQLite stores it anyway) cannot be read
    through the ORM, and must not stop the test from seeing it."""
    state, overflows = {}, set()
    with connection.cursor() as cursor:
        for model, names in SNAPSHOT:
            table, columns = model._meta.db_table, _columns(model, names)
            cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}")  # noqa: S608
            rows = cursor.fetchall()
            state[table] = (len(rows), hashlib.sha1(repr(rows).encode()).hexdigest())
            for index, name in enumerate(names, start=1):
                spec = _field(model, name)
                if isinstance(spec, DecimalField):
                    limit = Decimal(10) ** (spec.max_digits - spec.decimal_places)
                    for row in rows:
                        value = row[index]
                        if value is not None and not abs(Decimal(str(value))) < limit:
                            overflows.add(f"{table}.{spec.column}={value}")
    return state, overflows


def changed_tables(before, after):
    return [
        f"{table} ({before[table][0]}→{after[table][0]} rows)" if before[table][0] != after[table][0] else table
        for table in before
        if before[table] != after[table]
    ]


# ----------------------------------------------------------------------------- sending and judging
@dataclass
class Failure:
    cause: str  # what groups failures: status and exception with its place, or the partial write
    method: str
    url: str
    what: str  # the field and value sent
    status: int
    detail: str = ""


def _project_frame(tb):
    """The innermost frame of the project's own code, as `path:line in function`."""
    place = None
    for frame, line in traceback.walk_tb(tb):
        path = Path(frame.f_code.co_filename)
        if ROOT in path.parents and ".venv" not in path.parts and "tests" not in path.relative_to(ROOT).parts[:1]:
            place = f"{path.relative_to(ROOT)}:{line} in {frame.f_code.co_name}"
    return place


def _innermost_frame(tb):
    frames = list(traceback.walk_tb(tb))
    if not frames:
        return ""
    frame, line = frames[-1]
    path = frame.f_code.co_filename
    path = path.split("site-packages/")[-1].removeprefix(f"{ROOT}/")
    return f"{path}:{line} in {frame.f_code.co_name}"


def _plain_render(template, context):
    return template.nodelist.render(context)


class Fuzzer:
    """Sends requests as several users, counts them and collects what failed."""

    def __init__(self, target, users):
        self.target = target
        self.clients = {}
        for role, user in users.items():
            client = Client(raise_request_exception=False)
            client.force_login(user)
            self.clients[role] = client
        self.requests = 0
        self.timings = defaultdict(lambda: [0, 0.0])  # "POST 200" -> [requests, seconds]
        self.slowest = []
        self.failures = []
        self._exception = None
        self._state, self._overflows = None, set()

    # The exception behind a 500: the handler turns it into a response, the signal tells us what it was.
    def _on_exception(self, sender, request=None, **kwargs):
        self._exception = sys.exc_info()

    def __enter__(self):
        got_request_exception.connect(self._on_exception)
        # The test runner instruments every template render to hand `response.context` to tests; this test
        # does not read it, and the copies cost a sixth of the run.
        self._render = Template._render
        Template._render = _plain_render
        # Each 500 is reported by the test, grouped by cause; the logger's traceback per request is noise.
        self._logger_level = REQUEST_LOGGER.level
        REQUEST_LOGGER.setLevel(logging.CRITICAL)
        return self

    def __exit__(self, *exc):
        got_request_exception.disconnect(self._on_exception)
        Template._render = self._render
        REQUEST_LOGGER.setLevel(self._logger_level)

    def get(self, url, role="accountant", what=""):
        return self._send("GET", url, None, role, what)

    def post(self, url, data, role="accountant", what=""):
        return self._send("POST", url, data, role, what)

    def _send(self, method, url, data, role, what):
        client = self.clients[role]
        writes = method == "POST"
        if writes and self._state is None:
            self._state, self._overflows = snapshot()
        self._exception = None
        savepoint = transaction.savepoint()
        started = time.perf_counter()
        try:
            response = client.get(url) if method == "GET" else client.post(url, data)
        except Exception as error:  # the client could not send it: a mistake of the test, reported as such
            transaction.savepoint_rollback(savepoint)
            self.requests += 1
            self.fail(f"the test client could not send it: {type(error).__name__}: {error}", what, url, method)
            return None
        self.requests += 1
        status = response.status_code
        timing = self.timings[f"{method} {status}"]
        timing[0], timing[1] = timing[0] + 1, timing[1] + time.perf_counter() - started
        self.slowest.append((time.perf_counter() - started, method, url, what[:80]))
        refused = status >= 400 or (status < 300 and writes) or bool(self._error_messages(response))
        response.accepted = not refused
        if status >= 500:
            cause, detail = self._explain()
            try:
                after = snapshot()[0] if writes else None
            except DatabaseError:  # PostgreSQL: the error aborted the transaction
                after = None
            transaction.savepoint_rollback(savepoint)
            if after not in (None, self._state):
                detail += f" (and it wrote {', '.join(changed_tables(self._state, after))})"
            self.failures.append(Failure(f"{status} {cause}", method, url, what, status, detail))
            return response
        transaction.savepoint_commit(savepoint)
        if not writes:
            self._state = None  # a GET should not write; the next POST compares against a fresh snapshot
            return response
        after, overflows = snapshot()
        if refused and after != self._state:
            errors = " ".join(self._error_messages(response))[:160] or f"HTTP {status}"
            how = "a redirect with an error" if 300 <= status < 400 else status
            self.fail(f"refused ({how}) but wrote {', '.join(changed_tables(self._state, after))}", what, url, method,
                      status, errors)  # fmt: skip
        for overflow in sorted(overflows - self._overflows):
            self.fail("accepted, and stored a figure that does not fit its column", what, url, method, status,
                      overflow)  # fmt: skip
        self._state, self._overflows = after, overflows
        return response

    @staticmethod
    def _error_messages(response):
        storage = getattr(response.wsgi_request, "_messages", None)
        queued = getattr(storage, "_queued_messages", [])
        return [str(m) for m in queued if m.level >= message_levels.ERROR]

    def _explain(self):
        """(cause, message): the exception's type and where it was raised, in the project and at the bottom."""
        if self._exception is None:
            return "(no exception recorded)", ""
        kind, error, tb = self._exception
        message = " ".join(str(error).split())[:200]
        place, bottom = _project_frame(tb), _innermost_frame(tb)
        where = (
            f"{place} → {bottom}"
            if place and bottom and not bottom.startswith(place.split(" ")[0])
            else place or bottom
        )
        return f"{kind.__module__}.{kind.__qualname__} @ {where}", message

    def forget_state(self):
        """The books were changed behind the client's back (a rollback): the next POST takes a new snapshot."""
        self._state = None

    def fail(self, cause, what="", url="", method="", status=0, detail=""):
        self.failures.append(Failure(cause, method, url, what, status, detail))

    # ----------------------------------------------------------------------------- the report
    def report(self, examples=12):
        causes = defaultdict(list)
        for failure in self.failures:
            causes[failure.cause].append(failure)
        lines = [f"{self.target}: {len(self.failures)} failing requests of {self.requests}, {len(causes)} causes"]
        for number, (cause, failures) in enumerate(sorted(causes.items(), key=lambda c: -len(c[1])), start=1):
            lines.append(f"\n{number}. {cause}  [{len(failures)}×]")
            seen = set()
            for failure in failures:
                path = re.sub(r"/\d+/", "/<pk>/", failure.url.split("?")[0])
                key = (failure.method, path, failure.what)
                if key in seen:
                    continue
                seen.add(key)
                if len(seen) > examples:
                    lines.append(f"     … and more ({len(failures)} requests in all)")
                    break
                detail = f"  — {failure.detail[:160]}" if failure.detail else ""
                lines.append(
                    f"   - {failure.method} {failure.url[:100]} {failure.what[:160]} → {failure.status}{detail}"
                )
        return "\n".join(lines)
