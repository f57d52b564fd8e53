from django.apps import AppConfig


class EinvoicingConfig(AppConfig):
    name = "einvoicing"
    verbose_name = "Documents that leave the system"

    def ready(self):
        from einvoicing.extension import EinvoicingExtension
        from invoicing import registry

        registry.register(EinvoicingExtension())
