"""The back office: lists of bills and invoices, the document card and the settings screens.

Views stay thin: every change goes through `invoicing.services`; every list figure comes from
the selectors' annotations. Other apps add buttons, tabs and columns through `invoicing.registry`.
"""

import csv

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from invoicing import card, registry, selectors, services
from invoicing.changelist import BackOfficeChangeList, DocumentChangeList
from invoicing.formatting import format_date, format_money, html_text
from invoicing.forms import (
    AllocationForm,
    BoundedModelMultipleChoiceField,
    DocumentForm,
    LineFormSet,
    NewDocumentLineFormSet,
    PaymentForm,
    PaymentReverseForm,
)
from invoicing.models import (
    Allocation,
    Bill,
    BillType,
    Company,
    Document,
    DocumentLine,
    DocumentType,
    Invoice,
    InvoiceType,
    Item,
    Kind,
    Partner,
    Payment,
    PaymentMethod,
    Reason,
    Status,
    Tax,
    guards_checked_once,
    refusal,
)
from invoicing.site import RETURN_LISTS

STATUS_COLOURS = {
    Status.DRAFT: "#6c757d",
    Status.TO_PAY: "#b35c00",
    Status.PAID: "#1e7e34",
    Status.CANCELED: "#a71d2a",
}


RETURN_PARTNER_HELP = {
    Kind.BILL: "A credit note is stored as a bill from this customer (the money goes back to them).",
    Kind.INVOICE: "A refund is stored as an invoice to this vendor (the money comes back from them).",
}


def status_badge(document):
    # Never let a credited document pass for a paid one; a correction settles against its original.
    label = html_text(selectors.status_words(document=document))
    status = html_text(document.status)
    return mark_safe(f'<span class="status-badge status-{status}" style="background:{STATUS_COLOURS[document.status]}">'
                     f"{label}</span>")  # fmt: skip


def amount_cell(value, currency, title=""):
    """An amount in a list: formatted once (`invoicing.formatting`), right-aligned, negatives marked."""
    negative = " negative" if value is not None and value < 0 else ""
    title = f' title="{html_text(title)}"' if title else ""
    return mark_safe(f'<span class="amount{negative}"{title}>{html_text(format_money(value, currency))}</span>')


def _csv_text(value):
    """Names typed by users, made safe for spreadsheets (a leading = + - @ would run as a formula)."""
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


# ----------------------------------------------------------------------------- list filters
class ReturnDocumentsFilter(admin.SimpleListFilter):
    title = "return documents"
    parameter_name = "returns"

    def lookups(self, request, model_admin):
        return [("only", "Return documents only"), ("none", "Without return documents")]

    def queryset(self, request, queryset):
        if self.value() == "only":
            return queryset.filter(type__is_return=True)
        if self.value() == "none":
            return queryset.filter(type__is_return=False)
        return queryset


class TypeOfKindFilter(admin.RelatedFieldListFilter):
    """The type filter offers the types of the list's kind only."""

    def field_choices(self, field, request, model_admin):
        return [(t.pk, str(t)) for t in DocumentType.objects.filter(kind=model_admin.kind)]


class PartnerOfListFilter(admin.RelatedFieldListFilter):
    """The partners that appear in the list, as one <select> with a Filter button that keeps the other filters
    and the search. A list of links, one per partner each with its own query string, is a thousand links at a
    thousand partners: slow to build and to use."""

    template = "invoicing/filter_select.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        lookup = f"{field_path}__{field.target_field.name}__exact"
        if params.get(lookup) == [""]:  # "All" chosen in the <select>: no filter, rather than a bad lookup
            params.pop(lookup)
        super().__init__(field, request, params, model, model_admin, field_path)

    def choices(self, changelist):
        chosen = str(self.lookup_val[-1]) if self.lookup_val else ""
        options = mark_safe("".join(
            f'<option value="{pk}"{" selected" if str(pk) == chosen else ""}>{html_text(name)}</option>'
            for pk, name in self.lookup_choices
        ))  # fmt: skip
        kept = [(name, value) for name, value in changelist.params.items() if name not in self.expected_parameters()]
        yield {"options": options, "kept": kept, "name": self.lookup_kwarg, "chosen": chosen}

    def field_choices(self, field, request, model_admin):
        # EXISTS per partner (an index seek each) rather than DISTINCT over a join of every document.
        has_documents = Document.objects.filter(partner=OuterRef("pk"), kind=model_admin.kind)
        # Its name is what a partner shows as (`Partner.__str__`); no model instance for each of them.
        return list(Partner.objects.filter(Exists(has_documents)).values_list("pk", "name"))


# ----------------------------------------------------------------------------- documents
class DocumentAdmin(admin.ModelAdmin):
    kind = None
    form = DocumentForm
    change_form_template = "invoicing/card.html"
    change_list_template = "invoicing/change_list.html"
    list_per_page = 50
    show_full_result_count = False  # one COUNT instead of two on a filtered list
    date_hierarchy = "date"
    search_fields = ["number", "partner__name", "vendor_reference"]
    list_select_related = ["type", "partner", "company"]
    sortable_by = None
    actions = None
    list_filter = [
        "status",
        ("type", TypeOfKindFilter),
        "company",
        ("partner", PartnerOfListFilter),
        ReturnDocumentsFilter,
    ]

    # ---- list
    def get_queryset(self, request):
        queryset = selectors.document_list(queryset=super().get_queryset(request))
        for column in registry.list_columns():
            queryset = column.annotate(queryset)
        return queryset

    def get_list_display(self, request):
        # No Type column: the number's series and the Credit notes / Refunds lists tell it (the filter stays).
        base = ["number_link", "date", "partner", "status_badge", "total", "balance", "due"]
        return base + [self._column(c) for c in registry.list_columns()]

    def get_changelist(self, request, **kwargs):
        return DocumentChangeList

    def changelist_view(self, request, extra_context=None):
        """Titled for what it lists: "Invoices", or "Refunds" under the return documents filter."""
        plural = self.model._meta.verbose_name_plural
        if request.GET.get("returns") == "only":
            plural = RETURN_LISTS[self.opts.model_name]
        return super().changelist_view(request, {"title": plural.capitalize(), **(extra_context or {})})

    @staticmethod
    def _column(column):
        def cell(document):
            return column.render(document)

        cell.short_description = column.label
        cell.admin_order_field = column.admin_order_field
        cell.__name__ = f"column_{column.name}"
        return cell

    @admin.display(description="Number", ordering="number")
    def number_link(self, document):
        return selectors.list_name(document=document)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, document):
        return status_badge(document)

    @admin.display(description="Total", ordering="amount_total")
    def total(self, document):
        return amount_cell(document.amount_total, document.currency)

    @admin.display(description="Balance", ordering="balance_due")
    def balance(self, document):
        balance = selectors.balance_line(document=document)
        if balance is None:
            return ""
        if balance.key == "open_credit":
            return amount_cell(-balance.amount, document.currency, title="Open credit")
        return amount_cell(balance.amount, document.currency)

    @admin.display(description="Due", ordering="due_date")
    def due(self, document):
        if document.due_date is None:
            return ""
        due = html_text(format_date(document.due_date, "SHORT_DATE_FORMAT"))
        if selectors.is_overdue(document=document):
            return mark_safe(f'<span class="due overdue" title="Overdue">{due}</span>')
        return mark_safe(f'<span class="due">{due}</span>')

    def get_list_display_links(self, request, list_display):
        return ["number_link"]

    # ---- form
    def get_fieldsets(self, request, obj=None):
        partner = "partner"
        if obj is not None and not obj.is_editable:
            partner = obj.role_label.lower()
        header = ["type", partner, "company", "date", "due_date", "currency", "loaded_version"]
        if obj is not None and obj.original_id:  # a correction names what it corrects
            header[:0] = ["original_bill", "reversal"] if self.kind == Kind.BILL else ["original_invoice"]
        if self.kind == Kind.BILL:
            header.append("vendor_reference")
        fieldsets = [(None, {"fields": header})]
        if obj is not None and (obj.original_id or obj.is_return):  # SPEC 5 and 7: they state why
            reason = ["reason_preset", "reason"] if obj.is_editable else ["reason"]
            fieldsets.append(("Reason", {"fields": reason}))
        return [*fieldsets, ("Note", {"fields": ["note"], "classes": ["collapse"]})]

    def get_readonly_fields(self, request, obj=None):
        return ["vendor", "customer", "original_bill", "original_invoice", "reversal"]

    def _original_link(self, document):
        return format_html('<a href="{}">{}</a>', document.original.get_absolute_url(), document.original)

    @admin.display(description="Original bill")
    def original_bill(self, document):
        return self._original_link(document)

    @admin.display(description="Original invoice")
    def original_invoice(self, document):
        return self._original_link(document)

    @admin.display(description="Reversal", boolean=True)
    def reversal(self, document):
        return document.is_reversal

    @admin.display(description="Vendor")
    def vendor(self, document):
        return document.partner

    @admin.display(description="Customer")
    def customer(self, document):
        return document.partner

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.kind = self.kind
        if "partner" in form.base_fields:  # absent when the document is read-only
            partner = form.base_fields["partner"]
            role = obj.role_label if obj is not None else ("Vendor" if self.kind == Kind.BILL else "Customer")
            partner.label = role
            if obj is not None and obj.is_return:
                partner.help_text = RETURN_PARTNER_HELP[obj.kind]
            form.base_fields["type"].queryset = DocumentType.objects.filter(kind=self.kind, is_active=True)
        return form

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and (not obj.is_editable or obj.number):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.document_delete(document=obj, user=request.user)

    def get_object(self, request, object_id, from_field=None):
        # The change view asks twice (to choose the editor, then to render read-only): one query, of the row
        # with what a card shows joined, without the list's columns. Read through the model's manager (a bill's
        # admin finds bills only), not `get_queryset`: a restriction added there must be added here too.
        key = (self.model, object_id, from_field)
        cache = request.__dict__.setdefault("_loaded_documents", {})
        if key not in cache:
            queryset = selectors.card_document_queryset(model=self.model)
            field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
            try:
                cache[key] = queryset.get(**{field.name: field.to_python(object_id)})
            except (self.model.DoesNotExist, ValidationError, ValueError):
                cache[key] = None
        return cache[key]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Drafts the user may edit open in the draft editor; everything else renders read-only."""
        obj = None
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        editable = (
            self.has_add_permission(request)
            if obj is None
            else obj.is_editable and self.has_change_permission(request, obj)
        )
        if editable:
            return self._draft_editor(request, obj, form_url, extra_context)
        if request.method == "POST" and obj is not None and self.has_view_permission(request, obj):
            if obj.is_editable:
                raise PermissionDenied
            messages.error(request, f"{services.STALE_MESSAGE} ({obj} is {obj.get_status_display()}.)")
            return HttpResponseRedirect(request.path)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _draft_editor(self, request, obj, form_url, extra_context):
        """The header form and the lines formset parse what was typed; `document_create` or
        `document_draft_save` validate and write it; their errors go back onto the forms, input kept."""
        form_class = self.get_form(request, obj, change=obj is not None)
        lines = selectors.document_lines(document=obj) if obj is not None else []
        kept = {line.pk: {"source_line": line.source_line_id, "replaces": line.replaces_id} for line in lines}
        instance = obj or Document(kind=self.kind)
        formset_class = LineFormSet if obj is not None else NewDocumentLineFormSet
        if request.method == "POST":
            form = form_class(request.POST, instance=instance)
            formset = formset_class(request.POST, prefix="lines", kept=kept)
            if form.is_valid() and formset.is_valid():
                try:
                    document = self._save_draft(request, obj, form, formset)
                except ValidationError as error:
                    self._show_save_errors(request, obj, form, formset, error)
                else:
                    return self._after_save(request, obj, document)
        else:
            form = form_class(instance=instance, initial=self._initial_header(request, obj))
            formset = formset_class(prefix="lines", initial=selectors.line_initial(lines=lines), kept=kept)
        admin_form = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request, obj)),
            {},
            readonly_fields=self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Add {self.opts.verbose_name}" if obj is None else str(obj),
            "subtitle": None,
            "adminform": admin_form,
            "object_id": obj.pk if obj else None,
            "original": obj,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "lines_editor": formset,
            "line_preview_data": formset.preview_data,
            "editor_lines": lines,
            # What each stored line comes to, shown until the user edits it (the preview takes over).
            "line_totals": [] if formset.is_bound else [line.amount_total for line in lines],
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=obj is None, change=obj is not None, obj=obj,
                                       form_url=form_url)  # fmt: skip

    def _initial_header(self, request, obj):
        if obj is not None:
            return {}
        return {key: value for key, value in request.GET.items() if key in ("type", "partner", "company")}

    def _save_draft(self, request, obj, form, formset):
        header, lines = form.header(), formset.line_data()
        if obj is None:
            return services.document_create(kind=self.kind, user=request.user, lines=lines, **header)
        version = form.cleaned_data.get("loaded_version")
        return services.document_draft_save(document=obj, user=request.user, lines=lines, version=version, **header)

    def _show_save_errors(self, request, obj, form, formset, error):
        if getattr(error, "code", None) == "stale" and obj is not None:
            # Keep everything typed; the next save is then a deliberate choice to keep this version. Lines
            # someone else deleted come back as new lines.
            fresh = Document.objects.filter(pk=obj.pk).values_list("version", flat=True).first()
            existing = set(DocumentLine.objects.filter(document=obj).values_list("pk", flat=True))
            form.data = form.data.copy()
            form.data["loaded_version"] = fresh
            for line_form in formset.forms:
                if line_form.cleaned_data.get("id") and line_form.cleaned_data["id"] not in existing:
                    form.data[line_form.add_prefix("id")] = ""
            form.add_error(None, error)
            return
        forms_saved = formset.kept_forms()
        for key, messages_ in services.error_dict(error).items():
            target, field = form, None
            if key.startswith("lines."):
                _, index, *rest = key.split(".")
                target = forms_saved[int(index)]
                field = rest[0] if rest and rest[0] in target.fields else None
            elif key in form.fields:
                field = key
            target.add_error(field, messages_)

    def _after_save(self, request, obj, document):
        self.message_user(request, f"{document} saved.", messages.SUCCESS)
        if "_addanother" in request.POST:
            return HttpResponseRedirect(reverse(f"admin:invoicing_{self.opts.model_name}_add"))
        return HttpResponseRedirect(reverse(f"admin:invoicing_{self.opts.model_name}_change", args=[document.pk]))

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(
                reverse(f"admin:invoicing_{self.model._meta.model_name}_change", args=[object_id])
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        lines = context.get("editor_lines")
        context.update(card.card_context(document=obj, request=request, kind=self.kind, lines=lines))
        if obj is not None:
            title = f"{obj} — correction of {obj.original.display_number}" if obj.original_id else str(obj)
            context.update(title=title, subtitle=None)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- extra views: transitions, payments, print, CSV
    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/transition/<str:name>/", view(self.transition_view), name=f"{prefix}_transition"),
            path("<int:pk>/payment/", view(self.payment_view), name=f"{prefix}_payment"),
            path(
                "<int:pk>/payment/<int:payment_pk>/reverse/",
                view(self.payment_reverse_view),
                name=f"{prefix}_payment_reverse",
            ),
            path("<int:pk>/allocate/", view(self.allocate_view), name=f"{prefix}_allocate"),
            path(
                "<int:pk>/allocation/<int:allocation_pk>/remove/",
                view(self.allocation_remove_view),
                name=f"{prefix}_allocation_remove",
            ),
            path("<int:pk>/print/", view(self.print_view), name=f"{prefix}_print"),
            path("export/", view(self.export_view), name=f"{prefix}_export"),
        ] + super().get_urls()

    def _document(self, request, pk):
        document = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return document

    def transition_view(self, request, pk, name):
        document = self._document(request, pk)
        try:
            transition = services.transition_meta(name)
        except ValueError:
            raise Http404(f"No transition named {name!r}.") from None
        if transition.custom.get("automatic"):
            raise Http404(f"{name!r} happens by itself.")
        if not transition.has_perm(document, request.user):
            raise PermissionDenied
        if request.method == "POST":
            # The copy the user saw: its status must still be the one in the database.
            seen_status = request.POST.get("status")
            if seen_status and seen_status != document.status:
                messages.error(request, services.STALE_MESSAGE)
                return HttpResponseRedirect(document.get_absolute_url())
            try:
                services.document_transition(document=document, name=name, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{document} is now {selectors.status_words(document=document)}.")
            return HttpResponseRedirect(document.get_absolute_url())
        with guards_checked_once():
            refused = refusal(document, name)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "document": document,
            "transition": transition.custom,
            "name": name,
            "refusal": refused,
            "title": f"{transition.custom['label']}: {document}",
        }
        return TemplateResponse(request, "invoicing/confirm_transition.html", context)

    def payment_view(self, request, pk):
        document = self._document(request, pk)
        if not request.user.has_perm("invoicing.add_payment"):
            raise PermissionDenied
        form = PaymentForm(request.POST or None, document=document)
        if request.method == "POST" and form.is_valid():
            try:
                payment = services.payment_register(document=document, user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{payment.label} of {payment.amount} {payment.currency} registered.")
                return HttpResponseRedirect(document.get_absolute_url() + "#tab-payments")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "document": document,
            "form": form,
            "title": f"Register payment or refund: {document}",
            "balance_due": document.balance_due,
            "open_credit": max(-document.balance_due, 0),
        }
        return TemplateResponse(request, "invoicing/payment_form.html", context)

    def payment_reverse_view(self, request, pk, payment_pk):
        """A small form asks why; the POST reverses the payment (the row stays, struck through)."""
        document = self._document(request, pk)
        if not request.user.has_perm("invoicing.reverse_payment"):
            raise PermissionDenied
        payment = get_object_or_404(
            Payment.objects.select_related("method", "reversed_by"), pk=payment_pk, document=document
        )
        payment.document = document
        form = PaymentReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.payment_reverse(payment=payment, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                document.refresh_from_db()
                messages.success(
                    request,
                    f"{payment.label} of {payment.amount} {payment.currency} reversed; {document} is now "
                    f"{selectors.status_words(document=document)}.",
                )
            return HttpResponseRedirect(document.get_absolute_url() + "#tab-payments")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "document": document,
            "payment": payment,
            "form": form,
            "title": f"Reverse {payment.label.lower()}: {document}",
        }
        return TemplateResponse(request, "invoicing/payment_reverse.html", context)

    def allocate_view(self, request, pk):
        """Apply an amount between this document and one of the partner's open documents (the card's box)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        document = self._document(request, pk)
        if not request.user.has_perm("invoicing.add_allocation"):
            raise PermissionDenied
        form = AllocationForm(request.POST)
        counterpart = None
        if form.is_valid():
            counterpart = (
                Document.objects.select_related("type", "partner").filter(pk=form.cleaned_data["counterpart"]).first()
            )
            if counterpart is None:
                form.add_error("counterpart", "That document does not exist (any more); reload the card.")
        if not form.is_valid():
            errors = [message for messages_ in form.errors.values() for message in messages_]
            messages.error(request, "Nothing was applied: " + " ".join(errors))
            return HttpResponseRedirect(document.get_absolute_url())
        amount = form.cleaned_data["amount"]
        try:
            services.allocation_create(document=document, counterpart=counterpart, amount=amount, user=request.user)
        except ValidationError as error:
            messages.error(request, "Nothing was applied: " + " ".join(error.messages))
            return HttpResponseRedirect(document.get_absolute_url())
        messages.success(
            request,
            f"{amount} {document.currency} applied between {document} and {counterpart}: {document} is now "
            f"{selectors.status_words(document=document)}, {counterpart} "
            f"{selectors.status_words(document=counterpart)}.",
        )
        return HttpResponseRedirect(document.get_absolute_url() + "#tab-debt")

    def allocation_remove_view(self, request, pk, allocation_pk):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        document = self._document(request, pk)
        if not request.user.has_perm("invoicing.add_allocation"):
            raise PermissionDenied
        allocation = get_object_or_404(Allocation.objects.touching(document), pk=allocation_pk)
        try:
            services.allocation_reverse(allocation=allocation, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            document.refresh_from_db()
            messages.success(
                request,
                f"Allocation of {allocation.amount} {allocation.currency} with {allocation.other(document)} removed; "
                f"{document} is now {selectors.status_words(document=document)}.",
            )
        return HttpResponseRedirect(document.get_absolute_url() + "#tab-debt")

    def print_view(self, request, pk):
        document = self._document(request, pk)
        return TemplateResponse(request, "invoicing/print.html", card.print_context(document=document))

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except (IncorrectLookupParameters, ValidationError, ValueError):
            # The list says the same and shows everything; an export of a filter it cannot read is refused.
            messages.error(request, "Those filters cannot be read; choose them again on the list, then export.")
            return HttpResponseRedirect(reverse(f"admin:invoicing_{self.opts.model_name}_changelist") + "?e=1")
        response = HttpResponse(content_type="text/csv")
        plural = self.model._meta.verbose_name_plural
        response["Content-Disposition"] = f'attachment; filename="{plural}-{timezone.localdate()}.csv"'
        writer = csv.writer(response)
        writer.writerow(["Number", "Date", "Partner", "Type", "Status", "Total", "Balance due", "Currency", "Due"])
        for d in queryset.iterator(chunk_size=2000):
            writer.writerow(
                [_csv_text(d.display_number), d.date, _csv_text(d.partner), _csv_text(d.type),
                 selectors.status_words(document=d), d.amount_total, d.balance_due, d.currency, d.due_date or ""]
            )  # fmt: skip
        return response


@admin.register(Bill)
class BillAdmin(DocumentAdmin):
    kind = Kind.BILL


@admin.register(Invoice)
class InvoiceAdmin(DocumentAdmin):
    kind = Kind.INVOICE


# ----------------------------------------------------------------------------- payments (read-only list)
@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["date", "document_link", "partner", "label", "method", "amount", "currency", "reference"]
    list_filter = ["kind", "method", "document__company"]
    search_fields = ["reference", "document__number", "document__partner__name"]
    date_hierarchy = "date"
    change_list_template = "invoicing/periods_change_list.html"
    list_select_related = ["document__type", "document__partner", "method"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["-date", "-id"]

    def get_changelist(self, request, **kwargs):
        return BackOfficeChangeList

    @admin.display(description="Document", ordering="document__number")
    def document_link(self, payment):
        return format_html('<a href="{}">{}</a>', payment.document.get_absolute_url(), payment.document)

    @admin.display(description="Partner", ordering="document__partner__name")
    def partner(self, payment):
        return payment.document.partner

    @admin.display(description="Type")
    def label(self, payment):
        return payment.label

    # Payments are registered from the document card only, through the service with its caps.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ----------------------------------------------------------------------------- settings
class DocumentTypeForm(forms.ModelForm):
    class Meta:
        model = DocumentType
        fields = [
            "name", "series", "is_return", "return_type", "check_returned_quantity", "prices_include_tax",
            "is_active",
        ]  # fmt: skip


class DocumentTypeAdmin(admin.ModelAdmin):
    kind = None
    form = DocumentTypeForm
    list_display = ["name", "series", "is_return", "return_type", "check_returned_quantity", "prices_include_tax",
                    "is_active"]  # fmt: skip
    list_filter = ["is_return", "is_active"]
    search_fields = ["name", "series"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "return_type":
            # Only return types of the opposite kind can be chosen.
            opposite = Kind.INVOICE if self.kind == Kind.BILL else Kind.BILL
            kwargs["queryset"] = DocumentType.objects.filter(kind=opposite, is_return=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        kind = self.kind

        class KindForm(form):
            def _post_clean(self):
                self.instance.kind = kind
                super()._post_clean()

            def _get_validation_exclusions(self):
                # The kind is not on the form, but "one name per kind" must be checked, not left to the database.
                exclusions = super()._get_validation_exclusions()
                exclusions.discard("kind")
                return exclusions

        return KindForm


@admin.register(BillType)
class BillTypeAdmin(DocumentTypeAdmin):
    kind = Kind.BILL


@admin.register(InvoiceType)
class InvoiceTypeAdmin(DocumentTypeAdmin):
    kind = Kind.INVOICE


@admin.register(Tax)
class TaxAdmin(admin.ModelAdmin):
    list_display = ["name", "rate", "group"]
    search_fields = ["name", "group"]

    def has_delete_permission(self, request, obj=None):
        # Lines carry their taxes: a tax on any line stays (its amounts would vanish with it).
        if obj is not None and DocumentLine.objects.filter(taxes=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]

    def has_delete_permission(self, request, obj=None):
        # A method in use is deactivated, not deleted (payments keep it).
        if obj is not None and obj.payments.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "unit", "default_price", "is_sellable", "is_purchasable"]
    list_filter = ["is_sellable", "is_purchasable"]
    search_fields = ["sku", "name"]
    filter_horizontal = ["default_taxes"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


ADDRESS_FIELDS = ["street", "postcode", "city", "country", "vat_id"]
PEPPOL_FIELDS = ("Peppol", {"fields": [("peppol_scheme", "peppol_id")], "classes": ["collapse"]})


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "is_customer", "is_vendor", "payment_terms_days", "vat_id", "country", "email"]
    list_filter = ["is_customer", "is_vendor"]
    search_fields = ["name", "vat_id", "email"]
    fieldsets = [
        (None, {"fields": ["name", ("is_customer", "is_vendor"), "payment_terms_days", "email"]}),
        ("Address and VAT", {"fields": ADDRESS_FIELDS}),
        PEPPOL_FIELDS,
    ]


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "vat_id", "country"]
    search_fields = ["name", "legal_name", "vat_id"]
    fieldsets = [
        (None, {"fields": ["name", "currency", "legal_name", "registration_number", "email", "logo"]}),
        ("Address and VAT", {"fields": ADDRESS_FIELDS}),
        ("Bank", {"fields": ["iban", "bic"]}),
        PEPPOL_FIELDS,
    ]


@admin.register(Reason)
class ReasonAdmin(admin.ModelAdmin):
    """The reasons offered for corrections and returns; deactivate one to stop offering it."""

    list_display = ["text", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["text"]
