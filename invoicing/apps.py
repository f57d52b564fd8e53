from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """django.contrib.admin with the product's own site mounted at /."""

    default_site = "invoicing.site.BackOfficeSite"


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Invoicing"
