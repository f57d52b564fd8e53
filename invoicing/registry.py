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
    """Register `function(document) -> message or None`, asked before a document is posted."""
    return _add(_post_refusals, function)


def dependents_refusal(function):
    """Register `function(document) -> message or None`, asked before reset to draft and cancel."""
    return _add(_dependents_refusals, function)


def clean_error(function):
    """Register `function(document) -> message or None`, asked when a document is validated."""
    return _add(_clean_errors, function)


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
