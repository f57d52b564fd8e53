"""Extension points of the core, filled in by other apps in their `AppConfig.ready()`.

`invoicing` never imports `corrections` or `returns`; they plug into the document's rules, its
lifecycle and its card here, the way apps register with `django.contrib.admin`.

- rules: `post_refusal` (a message that stops posting), `dependents_refusal` (a message that stops
  reset to draft and cancel), `clean_error` (a message that stops saving a document);
- lifecycle: `after_transition(document, name, user)` runs inside the service's transaction, after
  the status change is saved (name is "post", "cancel" or "reset_to_draft");
- the card: actions (buttons) and tabs with a badge.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

_post_refusals: list[Callable] = []
_dependents_refusals: list[Callable] = []
_clean_errors: list[Callable] = []
_lines_errors: list[Callable] = []
_after_transition: list[Callable] = []
_card_actions: list["CardAction"] = []
_card_tabs: list["CardTab"] = []
_footer_rows: list[Callable] = []
_demo_seeders: list[Callable] = []


def _add(registry, function):
    if function not in registry:
        registry.append(function)
    return function


def post_refusal(function):
    """Register `function(document) -> message or None`, asked before a document is posted.

    The card asks it too, to show why Post is refused; `getattr(document, "posting", False)` is True
    only inside `document_post`, where a guard may lock rows it checks."""
    return _add(_post_refusals, function)


def dependents_refusal(function):
    """Register `function(document) -> message or None`, asked before reset to draft and cancel."""
    return _add(_dependents_refusals, function)


def clean_error(function):
    """Register `function(document) -> message or None`, asked when a document is validated."""
    return _add(_clean_errors, function)


def lines_error(function):
    """Register `function(*, document, lines) -> message or None`, asked when a draft's lines are saved
    from the card; `lines` are the lines as typed (unsaved instances), so a refusal keeps the input."""
    return _add(_lines_errors, function)


def after_transition(function):
    """Register `function(*, document, name, user)`, run inside the transition's transaction."""
    return _add(_after_transition, function)


def footer_rows(function):
    """Register `function(*, document, card) -> list of (label, Money)` shown under the lines."""
    return _add(_footer_rows, function)


def demo_seeder(function):
    """Register `function(*, company, user, stdout)`, run by `seed_demo` after the core's documents."""
    return _add(_demo_seeders, function)


def demo_seeders():
    return list(_demo_seeders)


def post_refusals(document):
    return (fn(document) for fn in _post_refusals)


def dependents_refusals(document):
    return (message for message in (fn(document) for fn in _dependents_refusals) if message)


def document_clean_errors(document):
    return (message for message in (fn(document) for fn in _clean_errors) if message)


def draft_lines_errors(*, document, lines):
    return (message for message in (fn(document=document, lines=lines) for fn in _lines_errors) if message)


def run_after_transition(*, document, name, user):
    for fn in _after_transition:
        fn(document=document, name=name, user=user)


@dataclass(frozen=True)
class CardAction:
    """A button on the document card.

    `visible(document, user)` decides whether it shows; `disabled_hint(document)` returns a text when
    the button shows but cannot be used (why, and what to configure); `url(document)` is where it
    goes (a GET page that asks for confirmation or more input, then POSTs).
    """

    name: str
    label: str
    url: Callable
    visible: Callable
    disabled_hint: Callable = lambda document: None
    order: int = 100


@dataclass(frozen=True)
class CardTab:
    """A tab on the document card.

    `context(document, request)` returns the tab's template context (it owns its queries, so the
    card's query count does not grow with the rows); `badge(context)` the number in the tab title.
    `visible(document)` decides whether the tab shows at all.
    """

    name: str
    label: str
    template: str
    context: Callable
    badge: Callable = lambda context: None
    visible: Callable = lambda document: True
    order: int = 100
    extra: dict = field(default_factory=dict)


def card_action(action: CardAction):
    _card_actions[:] = [a for a in _card_actions if a.name != action.name] + [action]
    return action


def card_tab(tab: CardTab):
    _card_tabs[:] = [t for t in _card_tabs if t.name != tab.name] + [tab]
    return tab


def card_actions():
    return sorted(_card_actions, key=lambda a: a.order)


def card_tabs():
    return sorted(_card_tabs, key=lambda t: t.order)


def footer_providers():
    return list(_footer_rows)


# ----------------------------------------------------------------------------- lists, lines, print, debt
_list_columns: list["ListColumn"] = []
_line_columns: list["LineColumn"] = []
_print_sections: list["PrintSection"] = []
_title_providers: list[Callable] = []
_debt_rows: list[Callable] = []
_expected_balances: list[Callable] = []


@dataclass(frozen=True)
class ListColumn:
    """A column of the bills and invoices lists.

    `annotate(queryset)` adds what the column needs to the list's queryset (annotations or
    select_related: never a query per row); `render(document)` returns the cell (text or safe HTML).
    """

    name: str
    label: str
    annotate: Callable
    render: Callable
    order: int = 100
    admin_order_field: str | None = None


@dataclass(frozen=True)
class LineColumn:
    """Extra columns of the card's Lines tab.

    `values(document, lines)` returns {line id: [cell, ...]} with one cell per header, computed in a
    constant number of queries; `visible(document)` decides whether the columns show.
    """

    name: str
    headers: tuple
    values: Callable
    visible: Callable = lambda document: True
    order: int = 100


@dataclass(frozen=True)
class PrintSection:
    """A block of the print view: `template` rendered with `context(document)`, when `visible(document)`."""

    name: str
    template: str
    context: Callable
    visible: Callable = lambda document: True
    order: int = 100


def list_column(column: ListColumn):
    _list_columns[:] = [c for c in _list_columns if c.name != column.name] + [column]
    return column


def line_column(column: LineColumn):
    _line_columns[:] = [c for c in _line_columns if c.name != column.name] + [column]
    return column


def print_section(section: PrintSection):
    _print_sections[:] = [s for s in _print_sections if s.name != section.name] + [section]
    return section


def document_title(function):
    """Register `function(document) -> title or None`; the first title given names the print view
    (e.g. "Correction no. 2 of BILL/2026/00007"); the default is the type label and number."""
    return _add(_title_providers, function)


def debt_rows(function):
    """Register `function(*, document) -> list of DebtRow` for the card's Debt tab."""
    return _add(_debt_rows, function)


def expected_balance(function):
    """Register `function(*, documents) -> {document id: {"debt_total": Decimal, "credit_applied": Decimal}}`.

    `check_balances` recomputes every stored balance from first principles: the core knows the
    totals and payments; corrections and returns say what debt total and credit applied should be
    for the documents they concern (documents they leave out keep the core's expectation).
    """
    return _add(_expected_balances, function)


def list_columns():
    return sorted(_list_columns, key=lambda c: c.order)


def line_columns():
    return sorted(_line_columns, key=lambda c: c.order)


def print_sections():
    return sorted(_print_sections, key=lambda s: s.order)


def title_for(document):
    for fn in _title_providers:
        title = fn(document)
        if title:
            return title
    return None


def debt_row_providers():
    return list(_debt_rows)


def expected_balance_providers():
    return list(_expected_balances)


@dataclass(frozen=True)
class DebtRow:
    """One line of the Debt tab: how the balance due is made (amount signed as it moves the balance)."""

    label: str
    amount: object  # Decimal, in the document's currency
    url: str | None = None
    reference: str = ""
    date: object = None
