from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from invoicing import registry
        from returns import balances, card, demo, rules, services

        registry.clean_error(rules.clean_error)
        registry.post_refusal(rules.post_refusal)
        registry.lines_error(rules.draft_lines_error)
        registry.dependents_refusal(rules.dependents_refusal)
        registry.after_transition(services.after_transition)
        registry.expected_balance(balances.expected_balances)
        registry.demo_seeder(demo.seed_returns)
        card.register()
