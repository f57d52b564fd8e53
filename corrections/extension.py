"""The corrections app's one object in the core: `CorrectionsExtension`, registered in `apps.py`."""

from corrections import balances, card, demo, rules, selectors, services
from invoicing import registry


class CorrectionsExtension(registry.DocumentExtension):
    name = "corrections"
    list_columns = (card.ORIGINAL_COLUMN, card.CORRECTION_COUNT_COLUMN)

    def post_refusal(self, document, ctx):
        return rules.correction_post_refusal(document)

    def dependents_refusal(self, document, ctx):
        if ctx.locking or ctx.request is None or document.original_id or not document.pk:
            return rules.corrections_depend_refusal(document)
        # On a card the chain is read once anyway (tab, footer): the guard answers from it.
        corrections = [row.document for row in card.card_chain(document, ctx).rows]
        return rules.corrections_depend_refusal(document, corrections=corrections)

    def document_error(self, document, ctx):
        return rules.correction_rule_error(document)

    def after_transition(self, document, name, ctx):
        services.correction_after_transition(document=document, name=name, user=ctx.user)

    def card_exists(self):
        return {"corrections": selectors.corrections_exist()}

    def card_actions(self, document, ctx):
        return card.card_actions(document, ctx)

    def card_tabs(self, document, ctx):
        return card.card_tabs(document, ctx)

    def footer_rows(self, document, ctx):
        return card.footer_rows(document, ctx)

    def print_title(self, document, ctx):
        return card.print_title(document, ctx)

    def print_sections(self, document, ctx):
        return card.print_sections(document, ctx)

    def debt_rows(self, document, ctx):
        return card.debt_rows(document, ctx)

    def expected_balances(self, documents):
        return balances.expected_balances(documents=documents)

    def seed_demo(self, *, company, user, stdout):
        demo.seed_corrections(company=company, user=user, stdout=stdout)
