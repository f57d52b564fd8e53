from django.contrib import admin
from django.urls import get_script_prefix, get_urlconf, path, reverse

# The back office's navigation: model name -> section, in the order shown.
SECTIONS = {
    "Operations": ["bill", "invoice", "payment"],
    "Reports": [],
    "Settings": ["billtype", "invoicetype", "tax", "paymentmethod", "item", "partner", "company", "reason"],
    # Login failures and lockouts (django-axes) beside the users they concern.
    "Users": ["user", "group", "apitoken", "accessattempt", "accessfailurelog", "accesslog"],
}


# The lists of return documents: the bill and invoice lists under this filter (see admin.ReturnDocumentsFilter).
RETURNS_QUERY = "returns=only"
RETURN_LISTS = {"bill": "Credit notes", "invoice": "Refunds"}


class BackOfficeSite(admin.AdminSite):
    site_header = "Ledgerline back office"
    site_title = "Ledgerline"
    index_title = "Bills, invoices and payments"
    enable_nav_sidebar = True
    site_url = None  # no public site to "view"
    # The Reports section of the navigation: (url name, title), in the order shown.
    report_links = [
        ("report_partner_balances", "Partner balances"),
        ("report_payment_calendar", "Debt and payment calendar"),
        ("report_partner_statement", "Partner statement"),
    ]

    def get_urls(self):
        # Imported here: the views use the models, which are not ready when the site is created.
        from invoicing import reports

        def view(function):
            return self.admin_view(function)

        return [
            path("reports/partner-balances/", view(reports.partner_balances_view), name="report_partner_balances"),
            path("reports/payment-calendar/", view(reports.payment_calendar_view), name="report_payment_calendar"),
            path("reports/open-documents/", view(reports.open_documents_view), name="report_open_documents"),
            path("reports/partner-statement/", view(reports.partner_statement_view), name="report_partner_statement"),
            path(
                "reports/partner-statement/print/",
                view(reports.partner_statement_print_view),
                name="report_partner_statement_print",
            ),
            path(
                "reports/partner-statement/csv/",
                view(reports.partner_statement_csv_view),
                name="report_partner_statement_csv",
            ),
            *super().get_urls(),
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sections = {}

    def get_app_list(self, request, app_label=None):
        """Group models by what accountants do (Operations, Settings, Users) instead of by app. Every page's
        navigation asks for them, and they follow from the user's permissions alone (no model admin here decides
        from anything else): built once per set of permissions."""
        if app_label:
            return super().get_app_list(request, app_label)
        user = request.user
        key = (frozenset(user.get_all_permissions()), user.is_superuser, get_script_prefix(), get_urlconf())
        sections = self._sections.get(key)
        if sections is None:
            if len(self._sections) > 256:  # roles are few; a bound all the same
                self._sections.clear()
            sections = self._sections[key] = self._grouped(request)
        return sections

    def _grouped(self, request):
        apps = super().get_app_list(request)
        models = {m["object_name"].lower(): m for app in apps for m in app["models"]}
        sections = []
        returns = self._return_lists(models)
        for label, names in SECTIONS.items():
            section_models = []
            for name in names:
                if name in models:
                    section_models.append(models.pop(name))
                    section_models.extend(returns.get(name, []))
            if label == "Reports":
                section_models = [
                    {
                        "name": title,
                        "object_name": url_name,
                        "admin_url": self.reverse_report(url_name),
                        "view_only": True,
                        "perms": {"view": True},
                    }
                    for url_name, title in self.report_links
                ]
            if section_models:
                sections.append(
                    {
                        "name": label,
                        "app_label": label.lower(),
                        "app_url": "",
                        "has_module_perms": True,
                        "models": section_models,
                    }
                )
        if models:
            sections.append(
                {
                    "name": "Other",
                    "app_label": "other",
                    "app_url": "",
                    "has_module_perms": True,
                    "models": list(models.values()),
                }
            )
        return sections

    @staticmethod
    def _return_lists(models):
        """Credit notes and Refunds as lists of their own beside Bills and Invoices (SPEC 3): the bill and
        invoice lists filtered to return documents, shown to whoever may see those lists."""
        lists = {}
        for name, title in RETURN_LISTS.items():
            model = models.get(name)
            if model is None or not model.get("admin_url"):
                continue
            entry = {**model, "name": title, "object_name": f"{name}_returns", "add_url": None}
            entry["admin_url"] = f"{model['admin_url']}?{RETURNS_QUERY}"
            lists[name] = [entry]
        return lists

    def reverse_report(self, url_name):
        return reverse(f"admin:{url_name}", current_app=self.name)
