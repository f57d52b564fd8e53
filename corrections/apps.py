from django.apps import AppConfig


class CorrectionsConfig(AppConfig):
    name = "corrections"
    verbose_name = "Corrections"

    def ready(self):
        from corrections import balances, card, demo, rules, services
        from invoicing import registry

        registry.clean_error(rules.correction_rule_error)
        registry.post_refusal(rules.correction_post_refusal)
        registry.dependents_refusal(rules.corrections_depend_refusal)
        registry.after_transition(services.correction_after_transition)
        registry.expected_balance(balances.expected_balances)
        registry.demo_seeder(demo.seed_corrections)
        card.register()
