from django.apps import AppConfig


class CorrectionsConfig(AppConfig):
    name = "corrections"
    verbose_name = "Corrections"

    def ready(self):
        from corrections.extension import CorrectionsExtension
        from invoicing import registry

        registry.register(CorrectionsExtension())
