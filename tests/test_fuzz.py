"""Fuzz test of the back office (issue 9, item 7): malformed values to every form, action and query string.

For every target (a group of pages: the bill and invoice forms, transitions, payments, corrections, returns,
lists, reports, settings screens, the site's own pages) the test reads the page's form as a browser would
submit it, checks that this baseline is accepted, then changes one field at a time (a few together where
only a combination overflows) with values a user, a stale page or a hand-made request could send. It asserts:

(a) no answer is a 5xx;
(b) a refused request (form re-rendered, 4xx, or a redirect with an error message) changed nothing in the
    books (counts and checksums of documents, lines, payments, transitions, sequences and master data);
(c) after the run, `balance_audit()` finds no difference and every list, export, report and card still
    answers 200 for an accountant and for a reviewer;
(d) a number typed with a decimal comma is stored as typed ("12,50" is 12.50), and an ambiguous one
    ("1,234.5,6") is refused.

Values are fixed lists plus a seeded random choice of the generic ones, so runs are reproducible. Every
failure of a target is collected and reported at once, grouped by cause (status, exception and the project
line that raised it, or the tables a refused request wrote).
"""

import hashlib
import os
import random
import re
import time
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from corrections.services import correction_create
from invoicing import selectors, services
from invoicing.models import Document, DocumentLine, Kind, Payment
from returns.services import return_create
from tests import factories
from tests.fuzz_support import (
    EMOJI,
    HTML,
    HUGE_FORMSET,
    LONG,
    MISSING,
    NUL,
    QUERIES,
    SEED,
    Fuzzer,
    Mutation,
    main_form,
    mutations,
    parse_forms,
    short,
)
from tests.returns import helpers as returns_helpers

D = Decimal


# ----------------------------------------------------------------------------- the books to fuzz
@pytest.fixture
def world():
    """Master data and documents in every state, built through the factories and services."""
    w = SimpleNamespace()
    w.accountant, w.reviewer, w.administrator = factories.accountant(), factories.reviewer(), factories.administrator()
    w.company = factories.CompanyFactory()
    w.other_company = factories.CompanyFactory(name="Other Co", currency="EUR")
    w.customer = factories.PartnerFactory(name="Customer Ltd", is_customer=True, is_vendor=False)
    w.vendor = factories.PartnerFactory(name="Vendor Ltd", is_customer=False, is_vendor=True)
    w.both = factories.PartnerFactory(name="Both Ltd")
    w.vat20 = factories.TaxFactory()
    w.vat10 = factories.TaxFactory(name="VAT 10%", rate=D("10"), group="VAT")
    w.eco = factories.TaxFactory(name="Eco 2.5%", rate=D("2.5"), group="ECO")
    w.item = factories.ItemFactory(name="Chair", default_price=D("12.34"))
    w.item.default_taxes.set([w.vat20])
    w.bank = factories.PaymentMethodFactory()
    w.inactive_method = factories.PaymentMethodFactory(name="Cheque", is_active=False)
    w.invoice_type = returns_helpers.sales_type()  # Return type: Credit note
    w.bill_type = returns_helpers.purchase_type()  # Return type: Refund
    w.credit_note_type, w.refund_type = returns_helpers.credit_note_type(), returns_helpers.refund_type()
    w.inactive_invoice_type = factories.DocumentTypeFactory(
        kind=Kind.INVOICE, name="Old", series="OLD", is_active=False
    )
    w.plain_bill_type = factories.DocumentTypeFactory(kind=Kind.BILL, name="Expense", series="EXP")

    def lines(n=3):
        return [
            factories.line(quantity=n + 1, unit_price="10.00", taxes=[w.vat20], description="Goods"),
            factories.line(quantity="2.5", unit_price="3.99", discount="10", taxes=[w.vat10, w.eco], item=w.item),
            factories.line(quantity=1, unit_price="100.00", taxes=[], description="Service"),
        ][:n]

    def invoice(**kwargs):
        kwargs.setdefault("partner", w.customer)
        kwargs.setdefault("lines", lines())
        return factories.invoice(type=w.invoice_type, company=w.company, user=w.accountant, **kwargs)

    def bill(**kwargs):
        kwargs.setdefault("partner", w.vendor)
        kwargs.setdefault("lines", lines())
        return factories.bill(type=w.bill_type, company=w.company, user=w.accountant, vendor_reference="V-1", **kwargs)

    def post(document):
        return factories.posted(document, user=w.accountant)

    w.draft_invoice, w.draft_bill, w.other_draft = invoice(), bill(), invoice(partner=w.both)
    w.empty_draft = invoice(lines=[])
    w.posted_invoice, w.posted_bill = post(invoice()), post(bill())
    w.paid_invoice = post(invoice(lines=lines(1)))
    factories.pay(w.paid_invoice, w.paid_invoice.balance_due, user=w.accountant, method=w.bank)
    w.partly_paid_bill = post(bill())
    factories.pay(w.partly_paid_bill, "10.00", user=w.accountant, method=w.bank)
    w.canceled_invoice = services.document_cancel(document=invoice(), user=w.accountant)
    w.plain_bill = post(factories.bill(type=w.plain_bill_type, partner=w.vendor, company=w.company, lines=lines(1)))
    w.corrected_invoice = post(invoice())
    w.correction = correction_create(document=w.corrected_invoice, user=w.accountant)
    w.returned_invoice = post(invoice())
    w.credit_note = return_create(document=w.returned_invoice, user=w.accountant)
    w.posted_credit_note = post(return_create(document=post(invoice()), user=w.accountant))
    w.documents = [
        w.draft_invoice, w.draft_bill, w.other_draft, w.empty_draft, w.posted_invoice, w.posted_bill, w.paid_invoice,
        w.partly_paid_bill, w.canceled_invoice, w.plain_bill, w.corrected_invoice, w.correction, w.returned_invoice,
        w.credit_note, w.posted_credit_note,
    ]  # fmt: skip
    return w


def users(w):
    return {"accountant": w.accountant, "reviewer": w.reviewer, "administrator": w.administrator}


def card(document):
    return document.get_absolute_url()


def admin_url(document, name, *args):
    return reverse(f"admin:invoicing_{document.kind}_{name}", args=[document.pk, *args])


def changelist(model):
    return reverse(f"admin:invoicing_{model}_changelist")


# ----------------------------------------------------------------------------- sending a form
class FormFuzz:
    """One form: GET it, build the baseline a browser would send (plus `fill`), check the baseline is
    accepted, then send every mutation. With `reload`, the page is read again after an accepted mutation
    (a draft's version and lines changed); if it no longer opens, that request is undone (its failures stay
    recorded) so the next mutations still test the form. `lines-NEW-<field>` names the first empty line."""

    def __init__(self, fz, url, *, role="accountant", fill=None, fresh=None, reload=False, new_line=None, check=None):
        self.fz, self.url, self.role, self.reload = fz, url, role, reload
        self.fill, self.fresh, self.new_line, self.check = fill or {}, fresh or {}, new_line or {}, check
        self.counter = 0
        assert self.load(), f"GET {url} does not answer 200"

    def load(self, after="", add_back=True):
        response = self.fz.get(self.url, self.role, what=f"(the form again, after accepting {after})" if after else "")
        if response is None or response.status_code != 200:
            return False
        self.form = main_form(response.content.decode())
        self.post_url = self.form.action or self.url
        self.baseline = Mutation(self.fill).apply(self.form.data)
        if add_back and self.new_line and self.initial_lines < 2:
            # Accepted deletions emptied the draft: add a line back as a browser would, then read it again.
            self.fz.post(self.post_url, self.resolve(Mutation({"lines-NEW-description": "Again"})), self.role,
                         what="(add a line back)")  # fmt: skip
            return self.load(add_back=False)
        return True

    @property
    def initial_lines(self):
        return int(self.form.data.get("lines-INITIAL_FORMS", ["0"])[0])

    def resolve(self, mutation):
        """The data to send: the baseline with the mutation, `NEW` lines and fresh unique names resolved."""
        self.counter += 1
        changes = {}
        for name, value in mutation.changes.items():
            if "-NEW-" in name:
                # A new line is sent complete (the values of `new_line`), with the mutated field in it.
                for key, default in self.new_line.items():
                    changes.setdefault(f"lines-{self.initial_lines}-{key}", default)
                name = name.replace("-NEW-", f"-{self.initial_lines}-")
            changes[name] = value
        for name, pattern in self.fresh.items():
            changes.setdefault(name, pattern.format(n=self.counter))
        return Mutation(changes).apply(self.baseline)

    def send(self, mutation):
        savepoint = transaction.savepoint()
        response = self.fz.post(self.post_url, self.resolve(mutation), self.role, what=mutation.describe())
        if response is not None and response.accepted:
            problem = self.check and self.check(mutation)
            if problem:
                self.fz.fail(f"accepted and stored wrongly: {problem}", mutation.describe(), self.post_url, "POST")
            if self.reload and not self.load(after=mutation.describe()):
                transaction.savepoint_rollback(savepoint)
                self.fz.forget_state()
                assert self.load(), f"{self.url} does not open even after undoing {mutation.describe()}"
                return response
        transaction.savepoint_commit(savepoint)
        return response

    def run(self, muts, baseline=True):
        if baseline:
            response = self.send(Mutation({}, label="(the page's own form, unchanged)"))
            if response is not None and not response.accepted:
                errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
                self.fz.fail(
                    "the page's own form was refused: the fuzz cannot test this form", "(baseline)", self.post_url,
                    "POST", response.status_code, " ".join(" ".join(re.sub("<[^>]+>", " ", e).split()) for e in errors),
                )  # fmt: skip
        for mutation in muts:
            self.send(mutation)


def decimal_comma_check(read):
    """(d): "12,50" accepted must be stored as 12.50; "1,234.5,6" must not be accepted at all."""

    def check(mutation):
        for name, value in mutation.changes.items():
            if value == "1,234.5,6":
                return f"{name}={value!r} is ambiguous and was accepted (stored as {read(name)})"
            if value == "12,50":
                stored = read(name)
                if stored is not None and D(str(stored)) != D("12.50"):
                    return f"{name}={value!r} was stored as {stored}"
        return None

    return check


def line_field_reader(document_id=None):
    """The stored value of `lines-<n>-<field>` (the n-th line in the page's order; `NEW`: the newest line) of
    the document (the newest document when adding)."""

    def read(name):
        match = re.fullmatch(r"lines-(\w+)-(quantity|unit_price|discount)", name)
        if not match:
            return None
        document = document_id or Document.objects.order_by("pk").values_list("pk", flat=True).last()
        lines = DocumentLine.objects.filter(document_id=document).values_list(match.group(2), flat=True)
        if match.group(1) == "NEW":
            return lines.order_by("-pk").first()
        index = int(match.group(1))
        return next(iter(lines.order_by("position", "pk")[index : index + 1]), None)

    return read


# ----------------------------------------------------------------------------- the bill and invoice forms
LINE_FIELDS = ["position", "item", "description", "quantity", "unit_price", "discount", "taxes"]
NEW_LINE = {"description": "New line", "quantity": "2", "unit_price": "3.00", "discount": "0", "position": ""}


def document_extras(w, kind):
    """Ids of missing or foreign objects, and values that only make sense here, for a document form."""
    other_kind_type = w.bill_type if kind == Kind.INVOICE else w.invoice_type
    wrong_partner = w.vendor if kind == Kind.INVOICE else w.customer
    return {
        "type": [str(other_kind_type.pk), str(w.inactive_invoice_type.pk), str(w.credit_note_type.pk),
                 str(w.refund_type.pk)],
        "partner": [str(wrong_partner.pk)],
        "company": [str(w.other_company.pk)],
        "currency": ["XXX", "usd", "JPY"],
        "loaded_version": ["2000-01-01T00:00:00+00:00", "abc"],
        "item": [str(w.item.pk)],
        "taxes": [[str(w.vat20.pk), str(w.vat10.pk)], [str(w.vat20.pk), str(w.vat20.pk)]],
        "id": [str(w.other_draft.lines.order_by("pk")[0].pk), str(w.posted_invoice.lines.order_by("pk")[0].pk)],
        "document": [str(w.other_draft.pk), str(w.posted_invoice.pk)],
        "date": ["1900-01-01", "2999-12-31"],
        "due_date": ["1900-01-01"],
        "vendor_reference": ["=1+2"],
        "description": ["=1+2"],
    }  # fmt: skip


def line_combos(w):
    """Values that only overflow together: a line's product, two lines' sum, the tax on the largest price."""
    vat, eco = str(w.vat20.pk), str(w.eco.pk)

    def line(index, **values):
        return {f"lines-{index}-{k}": v for k, v in values.items()}

    return [
        Mutation(line(0, quantity="99999999", unit_price="99999999")),
        Mutation(line(0, quantity="99999999999.999", unit_price="-99999999999.99")),
        Mutation(line(0, quantity="1", unit_price="999999999999.99", taxes=[vat, eco])),
        Mutation(line(0, quantity="1000", unit_price="800000000") | line(1, quantity="1000", unit_price="800000000")),
        Mutation(line(0, quantity="999999999.999", unit_price="999", discount="0.01")),
        Mutation(line(0, quantity="0.001", unit_price="0.01", discount="99.99")),
        Mutation(line(0, quantity="-1", unit_price="-1", discount="100")),
        Mutation(
            {"lines-TOTAL_FORMS": "5", "lines-INITIAL_FORMS": "5"}, label="TOTAL_FORMS=5, INITIAL_FORMS=5 (stale)"
        ),
        Mutation({"lines-TOTAL_FORMS": MISSING, "lines-INITIAL_FORMS": MISSING, "lines-MIN_NUM_FORMS": MISSING,
                  "lines-MAX_NUM_FORMS": MISSING}, label="no management form"),
        Mutation({"date": "2026-06-30", "due_date": "2026-06-01"}),
        Mutation({"date": "9999-12-31", "due_date": MISSING}),
    ]  # fmt: skip


# How much of a document form each target sends: the values of each field (None: all), the fields of the
# header it mutates, the values per field of a new line, and how many of the combinations.
PROFILES = {
    "full": {"header": None, "limits": {"quantity": None, "unit_price": None, "id": None}, "limit": 5,
             "new": 3, "combos": None},
    "bill": {"header": ["type", "partner", "vendor_reference", "due_date", "lines-TOTAL_FORMS",
                        "lines-INITIAL_FORMS"], "limits": {"quantity": 6, "unit_price": 6}, "limit": 3, "new": 1,
             "combos": 4},
    "small": {"header": ["partner", "lines-INITIAL_FORMS"], "limits": {"quantity": 6}, "limit": 2, "new": 1,
              "combos": 3},
}  # fmt: skip


def fuzz_document_add(fz, w, kind, profile):
    model = "invoice" if kind == Kind.INVOICE else "bill"
    fill = {
        "type": str((w.invoice_type if kind == Kind.INVOICE else w.bill_type).pk),
        "partner": str((w.customer if kind == Kind.INVOICE else w.vendor).pk),
        "company": str(w.company.pk),
        "lines-0-description": "Goods", "lines-0-quantity": "2", "lines-0-unit_price": "10.00",
        "lines-0-taxes": [str(w.vat20.pk)],
        "lines-1-description": "More goods", "lines-1-quantity": "1", "lines-1-unit_price": "5.00",
    }  # fmt: skip
    form = FormFuzz(
        fz, reverse(f"admin:invoicing_{model}_add"), fill=fill, check=decimal_comma_check(line_field_reader())
    )
    p = PROFILES[profile]
    header = [n for n in form.form.fields if not n.startswith("lines-")] if p["header"] is None else p["header"]
    fields = header + [f"lines-0-{name}" for name in LINE_FIELDS] + ["lines-1-unit_price", "lines-TOTAL_FORMS"]
    rng = random.Random(f"{SEED}-{model}-add")
    muts = mutations(form.form, form.baseline, fields=fields, extra=document_extras(w, kind),
                     rng=rng, generic=2, limit=p["limit"], limits=p["limits"])  # fmt: skip
    form.run(muts + line_combos(w)[: p["combos"]])


def fuzz_document_change(fz, w, document, profile):
    p = PROFILES[profile]
    new_line = {**NEW_LINE, "taxes": [str(w.vat20.pk)], "item": ""}
    read = line_field_reader(document.pk)
    form = FormFuzz(fz, card(document), reload=True, new_line=new_line, check=decimal_comma_check(read))
    rng = random.Random(f"{SEED}-change-{profile}")
    extra = document_extras(w, document.kind)
    header = [n for n in form.form.fields if not n.startswith("lines-0-") and not re.match(r"lines-\d+-", n)]
    fields = (header if p["header"] is None else p["header"]) + [
        f"lines-0-{n}" for n in [*LINE_FIELDS, "id", "DELETE", "document"]
    ]
    muts = mutations(form.form, form.baseline, fields=fields, extra=extra, rng=rng, generic=2, limit=p["limit"],
                     limits=p["limits"])  # fmt: skip
    # The first empty line, filled in, with one field malformed.
    new = [f"lines-{form.initial_lines}-{name}" for name in LINE_FIELDS]
    for mutation in mutations(form.form, form.baseline, fields=new, extra=extra, rng=rng, generic=1, limit=p["new"]):
        ((name, value),) = mutation.changes.items()
        muts.append(Mutation({re.sub(r"^lines-\d+-", "lines-NEW-", name): value}))
    # Another line's id in place of the first's; a deleted line that is not there.
    muts += [
        Mutation({"lines-0-id": form.form.data["lines-1-id"][0]}),
        Mutation({"lines-0-id": "999999", "lines-0-DELETE": "on"}),
    ]
    if profile == "full":  # seconds per request: Django builds and the page re-renders 2,000 lines
        muts.append(Mutation({"lines-TOTAL_FORMS": HUGE_FORMSET}))
    form.run(muts + line_combos(w)[: p["combos"]])


def fuzz_documents_other_views(fz, w):
    """A draft's form sent to documents that are no longer drafts, delete views, history, print, card and
    add-form query strings, ids of missing objects and of the other kind."""
    stale = main_form(fz.get(card(w.draft_invoice)).content.decode()).data
    for document in [w.posted_invoice, w.paid_invoice, w.canceled_invoice, w.posted_credit_note]:
        fz.post(card(document), stale, what="a draft's form sent to a document that is not a draft")
        fz.post(card(document), {}, what="empty POST")
    for document in [w.posted_invoice, w.canceled_invoice, w.other_draft, w.draft_invoice]:
        delete = admin_url(document, "delete")
        fz.get(delete)
        fz.post(delete, {"post": NUL}, what=f"post={short(NUL)}")
        fz.post(delete, {"post": "yes"}, what="post='yes'")
    rng = random.Random(f"{SEED}-views")
    for document in [w.posted_bill, w.correction, w.posted_credit_note]:
        for suffix in ["history", "print"]:
            url = admin_url(document, suffix)
            for query in ["", *rng.sample(QUERIES, 3)]:
                fz.get(f"{url}?{query}", what=query)
        for query in ["_changelist_filters=%00", "_changelist_filters=o%3D99&p%3D-1", "_popup=1", "_to_field=abc"]:
            fz.get(f"{card(document)}?{query}", what=query)
    for model, other in [("invoice", w.posted_bill), ("bill", w.posted_invoice)]:
        for pk in ["999999", "0", "99999999999999999999", str(other.pk)]:
            for suffix in ["change/", "history/", "delete/", "print/", "payment/", "transition/post/"]:
                fz.get(f"{changelist(model)}{pk}/{suffix}", what=f"pk={pk}")
    add = reverse("admin:invoicing_invoice_add")
    for query in ["type=abc", "type=999999", "partner=99999999999999999999", "date=9999-99-99", "date=%00",
                  "company=abc&currency=XXX", "lines-0-quantity=abc", "due_date=1e400",
                  "note=" + "x" * 3000]:  # fmt: skip
        fz.get(f"{add}?{query}", what=query)


# ----------------------------------------------------------------------------- actions on a document
def fuzz_transitions(fz, w):
    documents = [
        w.draft_invoice, w.empty_draft, w.draft_bill, w.posted_invoice, w.paid_invoice, w.partly_paid_bill,
        w.canceled_invoice, w.correction, w.credit_note, w.posted_credit_note, w.corrected_invoice,
    ]  # fmt: skip
    for document in documents:
        for name in ["post", "reset_to_draft", "cancel", "zzz"]:
            url = admin_url(document, "transition", name)
            fz.get(url, what=f"confirm {name}")
            document.refresh_from_db()
            wrong = next(s for s in ["draft", "to_pay", "paid", "canceled"] if s != document.status)
            for status in ["zzz", NUL if name != "cancel" else LONG, wrong]:
                fz.post(url, {"status": status}, what=f"status={short(status)}")
            fz.post(url, {"status": document.status}, role="reviewer", what="as a reviewer")
            fz.post(url, {"status": document.status, "junk": EMOJI}, what="status=<current>")
            fz.post(url, {}, what="status=<missing>")
    fz.get(admin_url(w.posted_invoice, "transition", "cancel"), role="reviewer", what="as a reviewer")
    fz.post(admin_url(w.posted_bill, "transition", "mark_paid"), {}, what="a transition the card does not offer")
    fz.post(f"{changelist('invoice')}999999/transition/post/", {"status": "draft"}, what="pk=999999")
    fz.post(admin_url(w.draft_bill, "transition", "post").replace("/bill/", "/invoice/"), {}, what="a bill's pk")


def fuzz_payments(fz, w):
    extra = {
        "method": [str(w.inactive_method.pk)],
        "kind": ["refund", "zzz"],
        "amount": ["999999999999.99", "0.001", "12,50", "1,234.5,6"],
        "date": ["1900-01-01", "2999-12-31"],
    }
    for number, (document, limit) in enumerate([(w.posted_invoice, None), (w.posted_bill, 3), (w.partly_paid_bill, 2)]):

        def read(name, document=document):
            last = Payment.objects.filter(document=document).order_by("pk").last()
            return last.amount if name == "amount" and last else None

        form = FormFuzz(fz, admin_url(document, "payment"), fill={"amount": "0.01", "method": str(w.bank.pk)},
                        check=decimal_comma_check(read))  # fmt: skip
        muts = mutations(form.form, form.baseline, extra=extra, rng=random.Random(f"{SEED}-payment-{number}"),
                         generic=2, limit=limit)  # fmt: skip
        muts += [Mutation({"kind": "refund", "amount": "99999999999.99"}), Mutation({"amount": "99999999999.99"})]
        form.run(muts)
    # Nothing due (paid, a posted credit note), or not posted: every payment is refused.
    for document in [w.paid_invoice, w.posted_credit_note, w.draft_invoice, w.canceled_invoice]:
        url = admin_url(document, "payment")
        fz.get(url)
        for kind, amount in [("payment", "0.01"), ("refund", "0.01"), ("refund", "1e400"), ("payment", "-5")]:
            fz.post(url, {"kind": kind, "method": str(w.bank.pk), "amount": amount, "date": "2026-01-01"},
                    what=f"kind={kind}, amount={amount}")  # fmt: skip
    fz.post(admin_url(w.posted_invoice, "payment"), {"kind": "payment", "method": str(w.bank.pk), "amount": "1",
            "date": "2026-01-01"}, role="reviewer", what="as a reviewer")  # fmt: skip
    payment = Payment.objects.order_by("pk").first()
    for suffix in ["change", "history", "delete"]:
        url = reverse(f"admin:invoicing_payment_{suffix}", args=[payment.pk])
        fz.get(url)
        fz.post(url, {"amount": "1e400", "post": "yes"}, what="amount=1e400, post=yes")
    fz.post(reverse("admin:invoicing_payment_add"), {"amount": "1"}, what="amount=1")


def fuzz_corrections(fz, w):
    documents = [
        w.posted_invoice, w.posted_bill, w.paid_invoice, w.partly_paid_bill, w.draft_invoice, w.canceled_invoice,
        w.correction, w.corrected_invoice, w.posted_credit_note,
    ]  # fmt: skip
    for document in documents:
        url = reverse("corrections:create", args=[document.pk])
        fz.get(url)
        for mode in ["zzz", NUL, LONG, "", ["reversal", "replacement"], "reversal", "replacement", MISSING]:
            fz.post(url, Mutation({"mode": mode}).apply({}), what=f"mode={short(mode)}")
        fz.post(url, {"mode": "replacement"}, role="reviewer", what="as a reviewer")
    fz.get(reverse("corrections:create", args=[w.posted_invoice.pk]), role="reviewer", what="as a reviewer")
    for pk in ["999999", "99999999999999999999"]:
        fz.post(f"/corrections/{pk}/create/", {"mode": "replacement"}, what=f"pk={pk}")
        fz.get(f"/corrections/{pk}/create/", what=f"pk={pk}")
    fz.get(f"/corrections/{w.posted_invoice.pk}/create/?mode=%00&o=99", what="query string")


def fuzz_returns(fz, w):
    documents = [
        w.posted_invoice, w.posted_bill, w.paid_invoice, w.partly_paid_bill, w.draft_invoice, w.canceled_invoice,
        w.plain_bill, w.correction, w.corrected_invoice, w.returned_invoice, w.posted_credit_note, w.credit_note,
    ]  # fmt: skip
    junk = [{"quantity": "1e400", "lines-0-quantity": "abc", "line": "999999"}, {"x": LONG, "y": NUL}, {}, {}]
    for document in documents:
        url = reverse("returns:create", args=[document.pk])
        fz.get(url)
        for data in junk:  # the second empty POST: everything is returned already, or a second draft return
            fz.post(url, data, what=", ".join(f"{k}={short(v)}" for k, v in data.items()) or "(empty)")
        fz.post(url, {}, role="reviewer", what="as a reviewer")
    fz.get(reverse("returns:create", args=[w.posted_invoice.pk]), role="reviewer", what="as a reviewer")
    for pk in ["999999", "99999999999999999999"]:
        fz.post(f"/returns/{pk}/create/", {}, what=f"pk={pk}")
        fz.get(f"/returns/{pk}/create/", what=f"pk={pk}")
    fz.get(f"/returns/{w.posted_invoice.pk}/create/?quantity=abc", what="query string")


# ----------------------------------------------------------------------------- lists and reports
LIST_PAGES = [
    "admin:invoicing_invoice_changelist", "admin:invoicing_bill_changelist", "admin:invoicing_payment_changelist",
    "admin:invoicing_invoice_export", "admin:invoicing_bill_export",
]  # fmt: skip
REPORT_PAGES = ["admin:report_partner_balances", "admin:report_payment_calendar", "admin:report_open_documents"]
REPORT_QUERIES = [q for q in QUERIES if q.split("=")[0] in {
    "o", "p", "date_from", "date_to", "due_from", "due_to", "company", "partner", "currency", "q", "bucket", "kind",
    "overdue", "unknown", "p=1&p"}]  # fmt: skip


def fuzz_lists(fz, w):
    for number, name in enumerate(LIST_PAGES):  # bills share the invoices' code: a third of the queries
        for query in QUERIES if "bill" not in name else QUERIES[number % 3 :: 3]:
            fz.get(f"{reverse(name)}?{query}", what=f"?{query[:60]}")
    for query in QUERIES[::4]:
        fz.get(f"{reverse(LIST_PAGES[0])}?{query}", role="reviewer", what=f"?{query[:60]}")
    for name in ["auth_user_changelist", "auth_group_changelist"]:
        for query in QUERIES[::6]:
            fz.get(f"{reverse(f'admin:{name}')}?{query}", role="administrator", what=f"?{query[:60]}")


def fuzz_reports(fz, w):
    extra = {
        "company": [str(w.other_company.pk)], "currency": ["XXX"], "bucket": ["month", "day"], "kind": ["zzz"],
        "overdue": ["2"], "date_from": ["2999-12-31"], "date_to": ["1900-01-01", "2999-12-31"],
        "due_from": ["2999-12-31"], "due_to": ["1900-01-01"],
    }  # fmt: skip
    for number, name in enumerate(REPORT_PAGES):
        url = reverse(name)
        forms = [f for f in parse_forms(fz.get(url).content.decode()) if f.method == "get"]
        assert forms, f"no filter form on {url}"
        form = max(forms, key=lambda f: len(f.fields))
        rng = random.Random(f"{SEED}-report-{number}")
        for mutation in mutations(form, form.data, extra=extra, rng=rng, generic=1, limit=4):
            fz.get(f"{url}?{urlencode(mutation.apply(form.data), doseq=True)}", what=mutation.describe())
        for query in REPORT_QUERIES:
            fz.get(f"{url}?{query}", what=f"?{query[:60]}")
    fz.get(f"{reverse(REPORT_PAGES[1])}?date_from=2000-01-01&date_to=2001-12-31&bucket=day", role="reviewer",
           what="two years of days, as a reviewer")  # fmt: skip


# ----------------------------------------------------------------------------- settings
SETTINGS = {
    # model: (the row whose change form is sent, fresh unique values for the add form, the add form's fill)
    "billtype": ("bill_type", {"name": "Fuzz type {n}", "series": "FZB{n}"}, {"is_active": "on"}),
    "invoicetype": ("invoice_type", {"name": "Fuzz type {n}", "series": "FZI{n}"}, {"is_active": "on"}),
    "tax": ("vat20", {"name": "Fuzz tax {n}"}, {"rate": "7.5", "group": "FZ"}),
    "paymentmethod": ("bank", {"name": "Fuzz method {n}"}, {}),
    "item": ("item", {"sku": "FZ-{n}"}, {"name": "Fuzz item", "default_price": "1.00"}),
    "partner": ("customer", {}, {"name": "Fuzz partner", "is_customer": "on"}),
    "company": ("company", {"name": "Fuzz company {n}"}, {}),
}


def settings_extras(w):
    return {
        "name": ["Invoice", "Bill", w.vat20.name, w.bank.name, w.company.name],
        "series": ["INV", "=1+2"],
        "return_type": [str(w.bill_type.pk), str(w.invoice_type.pk), str(w.credit_note_type.pk), str(w.refund_type.pk)],
        "rate": ["100", "1000", "0.00001"],
        "default_taxes": [[str(w.vat20.pk), str(w.vat10.pk)]],
        "payment_terms_days": ["2147483648", "36500"],
        "email": ["a" * 300 + "@example.com", "x@" + NUL],
        "sku": [w.item.sku],
        "currency": ["XXX"],
    }  # fmt: skip


def fuzz_settings(fz, w, model, limit=4):
    """The add form and a change form of one settings screen, as an administrator."""
    attribute, fresh, fill = SETTINGS[model]
    rng = random.Random(f"{SEED}-settings-{model}")
    add_url = reverse(f"admin:invoicing_{model}_add")
    add = FormFuzz(fz, add_url, role="administrator", fill=fill, fresh=fresh)
    add.run(mutations(add.form, add.baseline, extra=settings_extras(w), rng=rng, generic=2, limit=limit))
    obj = getattr(w, attribute)
    change_url = reverse(f"admin:invoicing_{model}_change", args=[obj.pk])
    change = FormFuzz(fz, change_url, role="administrator")
    muts = mutations(change.form, change.baseline, extra=settings_extras(w), rng=rng, generic=1, limit=limit - 1)
    if model.endswith("type"):  # its own pk as its Return type; changes refused while posted documents use it
        muts += [
            Mutation({"return_type": str(obj.pk)}),
            Mutation({"is_return": "on"}),
            Mutation({"prices_include_tax": "on"}),
        ]
    if model == "partner":
        muts += [Mutation({"is_customer": MISSING, "is_vendor": MISSING})]
    change.run(muts)
    delete = reverse(f"admin:invoicing_{model}_delete", args=[obj.pk])
    fz.post(delete, {"post": "yes"}, role="administrator", what="delete a row in use")
    fz.post(delete.replace(f"/{obj.pk}/", "/999999/"), {"post": "yes"}, role="administrator", what="pk=999999")
    fz.post(change_url.replace(f"/{obj.pk}/", "/abc/"), change.baseline, role="administrator", what="pk=abc")
    fz.get(reverse(f"admin:invoicing_{model}_history", args=[obj.pk]) + "?o=99", role="administrator", what="?o=99")
    for query in QUERIES[::9]:
        fz.get(f"{reverse(f'admin:invoicing_{model}_changelist')}?{query}", role="administrator", what=f"?{query}")
    # Accountants may add partners and items only; reviewers nothing.
    fz.post(add_url, add.resolve(Mutation({})), role="accountant", what="as an accountant")
    fz.post(add_url, add.resolve(Mutation({})), role="reviewer", what="as a reviewer")


def fuzz_site(fz, w):
    """The site's own pages: index, app index, autocomplete, view on site, jsi18n, with malformed queries."""
    for page in ["/", "/invoicing/", "/auth/", "/jsi18n/", "/zzz/", "/invoicing/zzz/", "/%00/"]:
        fz.get(page, what=page)
        fz.get(f"{page}?{QUERIES[0]}&q=%00", what=page)
    autocomplete = reverse("admin:autocomplete")
    for query in [
        "", "app_label=invoicing&model_name=document&field_name=partner&term=%00",
        "app_label=invoicing&model_name=invoice&field_name=partner&term=a", "app_label=zzz&model_name=zzz&field_name=x",
        "app_label=invoicing&model_name=documentline&field_name=item&term=" + "x" * 5000 + "&page=-1",
    ]:  # fmt: skip
        fz.get(f"{autocomplete}?{query}", what=f"?{query[:60]}")
    for path in ["r/999999/999999/", "r/abc/1/", f"r/1/{w.draft_invoice.pk}/", "r/99999999999999999999/1/"]:
        fz.get(f"/{path}", what=path)


# ----------------------------------------------------------------------------- money between documents, exports
MONEY_VALUES = ["abc", "NaN", "1e400", "99999999999999999999", "1.005", "-5", "0", "1,234.5,6", NUL, "", HTML]


def fuzz_money_moves_and_exports(fz, w):
    """Allocations, payment reversals, the partner statement, PDF/UBL downloads and sending, the reasons list."""
    invoice, credit_note = w.posted_invoice, w.posted_credit_note
    allocate = reverse("admin:invoicing_invoice_allocate", args=[invoice.pk])
    counterparts = [str(credit_note.pk), "999999", str(w.posted_bill.pk), str(w.draft_invoice.pk), "abc", ""]
    for counterpart in counterparts:
        for amount in MONEY_VALUES[:: 2 if counterpart == counterparts[0] else 5]:
            fz.post(allocate, {"counterpart": counterpart, "amount": amount}, what=f"{counterpart=} {amount=}")
    fz.post(allocate, {"counterpart": credit_note.pk, "amount": "1.00"}, role="reviewer", what="as a reviewer")
    fz.get(allocate, what="GET")
    for name, args in [
        ("invoicing_invoice_allocation_remove", [invoice.pk, 999999]),
        ("invoicing_invoice_payment_reverse", [w.paid_invoice.pk, 999999]),
        ("invoicing_bill_allocate", [invoice.pk]),  # an invoice under the bills' URL
    ]:
        fz.post(reverse(f"admin:{name}", args=args), {}, what=f"{name} with missing ids")
    payment = w.paid_invoice.payments.first()
    reverse_url = reverse("admin:invoicing_invoice_payment_reverse", args=[w.paid_invoice.pk, payment.pk])
    for reason in ["", NUL, "x" * 100_000, HTML]:
        fz.post(reverse_url, {"reason": reason}, what=f"reason={reason[:20]!r}")
    fz.post(reverse_url, {"reason": "typed twice"}, role="reviewer", what="as a reviewer")
    statement = reverse("admin:report_partner_statement")
    queries = [f"partner={w.customer.pk}&company={w.company.pk}&currency=USD&date_from=2999-12-31&date_to=1900-01-01",
               "partner=999999&company=abc&currency=XXX", f"partner={w.customer.pk}&currency=&date_from=abc",
               "partner=%00&date_to=9999-12-31", "o=99&p=-1"]  # fmt: skip
    for page in ("report_partner_statement", "report_partner_statement_csv", "report_partner_statement_print"):
        for query in queries:
            fz.get(f"{reverse(f'admin:{page}')}?{query}", what=f"{page}?{query[:50]}")
    fz.get(statement, role="reviewer", what="as a reviewer")
    for document in (w.draft_invoice, credit_note, w.posted_bill, w.canceled_invoice):
        for name in ("einvoicing:pdf", "einvoicing:ubl"):
            fz.get(reverse(name, args=[document.pk]), what=f"{name} of {document}")
        fz.post(reverse("einvoicing:send", args=[document.pk]), {"to": "not an address" + NUL}, what="send")
    fz.get(reverse("einvoicing:pdf", args=[999999]), what="pdf of a missing document")
    fz.post(reverse("einvoicing:send", args=[invoice.pk]), {}, role="reviewer", what="send as a reviewer")
    reasons = reverse("admin:invoicing_reason_add")
    for text in ["", NUL, "x" * 100_000, HTML, "Damaged"]:
        fz.post(reasons, {"text": text, "is_active": "on"}, role="administrator", what=f"reason {text[:20]!r}")
    for view in ("changelist", "history", "change", "delete"):
        args = [] if view == "changelist" else [999999]
        fz.get(reverse(f"admin:invoicing_reason_{view}", args=args) + "?o=99", role="administrator", what=view)


# ----------------------------------------------------------------------------- the targets
def _settings(*models):
    def run(fz, w):
        for number, model in enumerate(models):
            fuzz_settings(fz, w, model, limit=4 if number == 0 else 2)

    views = ["add", "change", "changelist", "delete", "history"]
    return run, [f"invoicing_{model}_{view}" for model in models for view in views]


TARGETS = {
    "invoice-add": (lambda fz, w: fuzz_document_add(fz, w, Kind.INVOICE, "full"), ["invoicing_invoice_add"]),
    "bill-add": (lambda fz, w: fuzz_document_add(fz, w, Kind.BILL, "bill"), ["invoicing_bill_add"]),
    "invoice-change": (
        lambda fz, w: fuzz_document_change(fz, w, w.draft_invoice, "full"),
        ["invoicing_invoice_change"],
    ),
    "bill-change": (lambda fz, w: fuzz_document_change(fz, w, w.draft_bill, "bill"), ["invoicing_bill_change"]),
    "correction-change": (lambda fz, w: fuzz_document_change(fz, w, w.correction, "small"), []),
    "return-change": (lambda fz, w: fuzz_document_change(fz, w, w.credit_note, "small"), []),
    "document-views": (
        fuzz_documents_other_views,
        [
            "invoicing_invoice_delete",
            "invoicing_bill_delete",
            "invoicing_invoice_history",
            "invoicing_bill_history",
            "invoicing_invoice_print",
            "invoicing_bill_print",
        ],
    ),  # fmt: skip
    "transitions": (fuzz_transitions, ["invoicing_invoice_transition", "invoicing_bill_transition"]),
    "payments": (
        fuzz_payments,
        [
            "invoicing_invoice_payment",
            "invoicing_bill_payment",
            "invoicing_payment_change",
            "invoicing_payment_add",
            "invoicing_payment_history",
            "invoicing_payment_delete",
        ],
    ),  # fmt: skip
    "corrections": (fuzz_corrections, ["corrections:create"]),
    "returns": (fuzz_returns, ["returns:create"]),
    "lists": (
        fuzz_lists,
        [
            "invoicing_invoice_changelist",
            "invoicing_bill_changelist",
            "invoicing_payment_changelist",
            "invoicing_invoice_export",
            "invoicing_bill_export",
            "auth_user_changelist",
            "auth_group_changelist",
        ],
    ),  # fmt: skip
    "reports": (fuzz_reports, ["report_partner_balances", "report_payment_calendar", "report_open_documents"]),
    "site": (fuzz_site, ["index", "app_list", "autocomplete", "view_on_site", "jsi18n"]),
    "settings-types": _settings("invoicetype", "billtype"),
    "settings-taxes-methods": _settings("tax", "paymentmethod"),
    "settings-items": _settings("item"),
    "settings-partners-companies": _settings("partner", "company"),
    "money-moves-and-exports": (
        fuzz_money_moves_and_exports,
        [
            f"invoicing_{kind}_{view}"
            for kind in ("invoice", "bill")
            for view in ("allocate", "allocation_remove", "payment_reverse")
        ]
        + [
            "report_partner_statement",
            "report_partner_statement_csv",
            "report_partner_statement_print",
            "einvoicing:pdf",
            "einvoicing:ubl",
            "einvoicing:send",
        ]
        + [f"invoicing_reason_{view}" for view in ("add", "change", "changelist", "delete", "history")],
    ),  # fmt: skip
}

# Pages of the site that are not the back office's own: Django's sign-in and its user screens hold no books;
# django-axes' screens list sign-in failures (read-only records); /healthz takes no input; the JSON API is
# fuzzed from its OpenAPI document by schemathesis (tests/api); API tokens hold no books either.
NOT_FUZZED = (
    {"login", "logout", "password_change", "password_change_done", "auth_user_password_change", "healthz"}
    | {f"auth_{model}_{view}" for model in ["user", "group"] for view in ["add", "change", "delete", "history"]}
    | {
        f"{model}_{view}"
        for model in ["axes_accessattempt", "axes_accessfailurelog", "axes_accesslog", "api_apitoken"]
        for view in ["add", "change", "changelist", "delete", "history"]
    }
)


def _not_fuzzed(name):
    return name in NOT_FUZZED or name.startswith("api:")


# ----------------------------------------------------------------------------- (c): the books after the run
def check_books(fz, w, before):
    """(c) The audit finds nothing, and the lists, reports and the cards of the documents the run changed
    still open for an accountant and a reviewer."""
    savepoint = transaction.savepoint()
    try:
        for difference in selectors.balance_audit():
            fz.fail("after the run: balance_audit() reports a difference", str(difference)[:200])
    except Exception as error:  # noqa: BLE001 - reported as a failure of the target, like a 500
        transaction.savepoint_rollback(savepoint)
        fz.fail(f"after the run: balance_audit() raises {type(error).__name__}", str(error)[:200])
    else:
        transaction.savepoint_commit(savepoint)
    after = document_signatures()
    changed = sorted((pk for pk in after if after[pk] != before.get(pk)), reverse=True)[:CARDS_CHECKED]
    kinds = dict(Document.objects.filter(pk__in=changed).values_list("pk", "kind"))
    pages = [(reverse(name), roles) for name in LIST_PAGES + REPORT_PAGES for roles in [("accountant", "reviewer")]]
    for pk in changed:
        pages.append((reverse(f"admin:invoicing_{kinds[pk]}_change", args=[pk]), ("accountant", "reviewer")))
        pages.append((reverse(f"admin:invoicing_{kinds[pk]}_print", args=[pk]), ("reviewer",)))
    for url, roles in pages:
        for role in roles:
            response = fz.get(url, role, what=f"after the run, as {role}")
            if response is not None and response.status_code != 200 and response.status_code < 500:
                fz.fail(f"after the run: a page answers {response.status_code}", f"as {role}", url, "GET")


CARDS_CHECKED = 12  # the cards of the documents a run changed (the last ones, by id) opened after it


def document_signatures():
    """{document id: checksum of its row, its lines and its payments}, read with plain SQL (see `snapshot`)."""
    rows = {}
    with connection.cursor() as cursor:
        for table, key in [("invoicing_document", "id"), ("invoicing_documentline", "document_id"),
                           ("invoicing_payment", "document_id")]:  # fmt: skip
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
            for row in cursor.fetchall():
                rows.setdefault(row[[c[0] for c in cursor.description].index(key)], []).append(row)
    return {pk: hashlib.sha1(repr(value).encode()).hexdigest() for pk, value in rows.items()}


@pytest.fixture(scope="session")
def fuzz_summary(request):
    totals = {}
    yield totals
    if totals:
        requests, seconds = sum(n for n, _ in totals.values()), sum(t for _, t in totals.values())
        line = f"fuzz: {requests} requests, {len(totals)} targets, {seconds:.1f}s"
        if os.environ.get("FUZZ_VERBOSE"):
            line += "".join(f"\n  {name}: {n} requests, {t:.1f}s" for name, (n, t) in totals.items())
        reporter = request.config.pluginmanager.getplugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)


@pytest.mark.parametrize("target", list(TARGETS))
def test_fuzz(target, world, fuzz_summary, record_property):
    run, _ = TARGETS[target]
    started, before = time.monotonic(), document_signatures()
    with Fuzzer(target, users(world)) as fz:
        run(fz, world)
        check_books(fz, world, before)
    fuzz_summary[target] = (fz.requests, time.monotonic() - started)
    record_property("fuzz_requests", fz.requests)
    if os.environ.get("FUZZ_VERBOSE"):
        print(target, {k: (n, round(t / n * 1000)) for k, (n, t) in fz.timings.items()})
        for row in sorted(fz.slowest, reverse=True)[:8]:
            print(f"  {row[0]:.2f}s", *row[1:])
    assert not fz.failures, fz.report()


def _url_names(resolver=None, namespace=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_back_office_page_is_a_fuzz_target():
    """A page added to the back office without a fuzz target fails here: add it to TARGETS."""
    covered = {name for _, names in TARGETS.values() for name in names}
    pages = {name.removeprefix("admin:") for name in _url_names()}
    missing = sorted(name for name in pages - covered if not _not_fuzzed(name))
    assert not missing, f"pages no fuzz target covers: {missing}"
