"""The returns app's one object in the core: `ReturnsExtension`, registered in `apps.py`."""

from invoicing import registry
from returns import card, demo, rules, selectors, services


class ReturnsExtension(registry.DocumentExtension):
    name = "returns"

    def post_refusal(self, document, ctx):
        message = rules.return_error(document, lock=ctx.locking)
        if message is None and document.is_return and not document.reason.strip():
            return f"State the reason for this {document.type_label.lower()} (Reason, in the header) before posting it."
        return message

    def dependents_refusal(self, document, ctx):
        return rules.dependents_refusal(document, ctx)

    def document_error(self, document, ctx):
        return rules.clean_error(document)

    def draft_lines_error(self, document, lines, ctx):
        return rules.draft_lines_error(document=document, lines=lines)

    def after_transition(self, document, name, ctx):
        services.after_transition(document=document, name=name, user=ctx.user)

    def card_exists(self):
        return {"returns": selectors.returns_exist()}

    def card_actions(self, document, ctx):
        return card.card_actions(document, ctx)

    def card_tabs(self, document, ctx):
        return card.card_tabs(document, ctx)

    def line_columns(self, document, lines, ctx):
        return card.line_columns(document, lines, ctx)

    def print_title(self, document, ctx):
        return card.print_title(document, ctx)

    def print_sections(self, document, ctx):
        return card.print_sections(document, ctx)

    def seed_demo(self, *, company, user, stdout):
        demo.seed_returns(company=company, user=user, stdout=stdout)
