"""The one extension point of the core: a `DocumentExtension` per feature app.

`invoicing` never imports `corrections` or `returns`. Each of them subclasses `DocumentExtension`
and registers one instance in its `AppConfig.ready()`, the way `admin.site.register(Model, ModelAdmin)`
gathers a model's admin in one class. The methods are the hooks; the defaults do nothing.

Hooks receive what they need as arguments: the document, and a `HookContext` with the acting user,
the request (on pages), the rows the core already loaded, and a per-request cache the hooks of one
app share (e.g. a correction chain read once for the tab, the footer and the Debt tab). They never
stash state on a model instance.
"""

import contextlib
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class HookContext:
    user: object = None
    request: object = None
    lines: list | None = None  # the document's lines, when the core has loaded them
    taxes: dict | None = None  # {id: Tax} of those lines' taxes
    payments: list | None = None
    locking: bool = False  # inside the transition's transaction: a guard may lock the rows it checks
    cache: dict = field(default_factory=dict)
    # {name: bool} of the `card_exists` answers read with the card's document (`found_pk`): what it has rows of.
    found: dict = field(default_factory=dict)
    found_pk: int | None = None

    def may_have(self, name, document):
        """False only when the card's query of `document` found no such rows: nothing to read. About any other
        document nothing is known."""
        return document.pk != self.found_pk or self.found.get(name, True)

    def remember(self, key, compute):
        """`compute()` once per context: what several hooks of one card need is read once."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


@dataclass(frozen=True)
class CardAction:
    """A button on the document card: `url` is a GET page that asks for confirmation or input, then POSTs.
    `hint`, when set, shows the button disabled with that text (why, and what to configure)."""

    name: str
    label: str
    url: str
    hint: str | None = None
    order: int = 100


@dataclass(frozen=True)
class CardTab:
    """A tab on the card: `template` rendered with `context`; `badge` is the number in its title."""

    name: str
    label: str
    template: str
    context: dict
    badge: int | None = None
    order: int = 100


@dataclass(frozen=True)
class ListColumn:
    """A column of the bills and invoices lists. `annotate(queryset)` adds what the column needs (never a
    query per row); `render(document)` returns the cell (text or safe HTML)."""

    name: str
    label: str
    annotate: Callable
    render: Callable
    order: int = 100
    admin_order_field: str | None = None


@dataclass(frozen=True)
class LineColumns:
    """Extra columns of the Lines tab: `headers`, and `cells` {line id: [cell per header]}."""

    headers: tuple
    cells: dict
    order: int = 100


@dataclass(frozen=True)
class PrintSection:
    template: str
    context: dict
    order: int = 100


@dataclass(frozen=True)
class HistoryRow:
    """A line of the History tab: a status change, or what an extension records (e.g. "Sent by email")."""

    at: object  # datetime
    user: str | None  # username; None for automatic changes
    label: str
    detail: str = ""


@dataclass(frozen=True)
class DebtRow:
    """One line of the Debt tab: how the balance due is made (amount signed as it moves the balance)."""

    label: str
    amount: object  # Decimal, in the document's currency
    url: str | None = None
    reference: str = ""
    date: object = None


class DocumentExtension:
    """Subclass it in a feature app; register one instance with `register()`."""

    name = "extension"
    list_columns: tuple = ()  # ListColumn, static

    # ---- rules: each returns a message a user can act on, or None
    def post_refusal(self, document, ctx):
        """Asked before a document is posted (and by the card, to show why Post is refused)."""

    def dependents_refusal(self, document, ctx):
        """Asked before reset to draft and cancel."""

    def document_error(self, document, ctx):
        """Asked when a document's header is validated (saving a draft, posting)."""

    def draft_lines_error(self, document, lines, ctx):
        """Asked when a draft is saved, with the lines as they will be stored (unsaved instances, related
        rows attached), so a refusal loses nothing the user typed."""

    # ---- lifecycle
    def after_transition(self, document, name, ctx):
        """Runs inside the transition's transaction, the document locked and its new status saved."""

    # ---- the card, the print view and the Debt tab
    def card_exists(self):
        """{name: Exists(..., correlated on OuterRef("pk"))}: rows the card reads. The card's query of its
        document answers them, and `ctx.may_have(name, document)` then spares the hooks a query for what isn't there."""
        return {}

    def card_actions(self, document, ctx):
        return []

    def card_tabs(self, document, ctx):
        return []

    def footer_rows(self, document, ctx):
        """[(label, Money)] shown under the lines."""
        return []

    def line_columns(self, document, lines, ctx):
        return None

    def print_title(self, document, ctx):
        return None

    def print_sections(self, document, ctx):
        return []

    def debt_rows(self, document, ctx):
        return []

    def history_rows(self, document, ctx):
        """A `values_list` queryset of (at, username, label, None, None, detail) rows (the Nones where a status change
        has its source and target: `Value(None, output_field=CharField())`) of what this app records on the
        document, shown in the History tab with the status changes: the core reads both in one query. None when
        there is nothing to read (`ctx.may_have`)."""
        return None

    # ---- audit and demo data
    def expected_balances(self, documents):
        """{document id: {"debt_total": Decimal}} for the documents this app concerns: what `check_balances`
        should find (the core's default covers the others; the core audits net paid and allocations itself)."""
        return {}

    def seed_demo(self, *, company, user, stdout):
        """Run by `seed_demo` after the core's documents."""


_extensions: list[DocumentExtension] = []


def register(extension):
    _extensions[:] = [e for e in _extensions if e.name != extension.name] + [extension]
    return extension


def extensions():
    return list(_extensions)


def first_message(method, *args):
    for extension in _extensions:
        message = getattr(extension, method)(*args)
        if message:
            return message
    return None


def collect(method, *args):
    """Every extension's answer to a list-returning hook, concatenated."""
    return [row for extension in _extensions for row in (getattr(extension, method)(*args) or [])]


def list_columns():
    return sorted((c for e in _extensions for c in e.list_columns), key=lambda c: c.order)


# The context of the action under way (the transition funnel, the card being built): the FSM's
# conditions take only the document, so the guards find the context here.
_current = contextvars.ContextVar("hook_context", default=None)


@contextlib.contextmanager
def using(ctx):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current_context():
    return _current.get() or HookContext()
