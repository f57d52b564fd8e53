from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from invoicing import registry
        from returns.extension import ReturnsExtension

        registry.register(ReturnsExtension())
