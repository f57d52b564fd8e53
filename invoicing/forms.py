"""Forms of the back office. Validation messages come from the models and services."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from invoicing import registry
from invoicing.amounts import minor_unit_exponent
from invoicing.models import Document, DocumentLine, Item, PaymentKind, PaymentMethod, Tax, payment_label
from invoicing.services import check_line_taxes


class TypeSelect(forms.Select):
    """Each type option says whether its prices include tax, for the lines' live preview."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-prices-include-tax"] = "1" if instance.prices_include_tax else "0"
        return option


class DocumentForm(forms.ModelForm):
    kind = None  # set by the admin of each list
    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Document
        fields = ["type", "partner", "company", "date", "due_date", "currency", "vendor_reference", "note"]
        widgets = {"type": TypeSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        # Two people editing one draft: the second save must not silently overwrite the first.
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded:
            stored = Document.objects.filter(pk=self.instance.pk).values_list("updated_at", flat=True).first()
            if stored and stored.isoformat() != loaded:
                # The next save is then a deliberate choice to keep this version.
                self.data = self.data.copy()
                self.data[self.add_prefix("loaded_version")] = stored.isoformat()
                raise ValidationError(
                    "Someone else saved this draft after you opened it. Your changes are still below: save again "
                    "to keep your version, or reload the page to see theirs."
                )
        return cleaned

    def _post_clean(self):
        # The kind is not a form field: the list the user is in decides it, before model validation.
        if not self.instance.kind:
            self.instance.kind = self.kind
        super()._post_clean()


class DocumentLineForm(forms.ModelForm):
    class Meta:
        model = DocumentLine
        fields = ["position", "item", "description", "quantity", "unit_price", "discount", "taxes"]
        widgets = {
            "taxes": forms.SelectMultiple(attrs={"size": 3, "class": "line-taxes"}),
            "description": forms.TextInput(attrs={"size": 22}),
            "position": forms.NumberInput(attrs={"style": "width: 4em"}),
            "quantity": forms.NumberInput(attrs={"style": "width: 7em", "step": "0.001"}),
            "unit_price": forms.NumberInput(attrs={"style": "width: 8em", "step": "0.01"}),
            "discount": forms.NumberInput(attrs={"style": "width: 5em", "step": "0.01"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False  # numbered in order when left empty

    def clean(self):
        cleaned = super().clean()
        if self.instance.source_line_id and (cleaned.get("quantity") or 0) <= 0:
            self.add_error("quantity", "A returned quantity must be greater than zero; delete the line instead.")
        taxes = cleaned.get("taxes")
        if taxes:
            try:
                check_line_taxes(list(taxes))
            except ValidationError as error:
                self.add_error("taxes", error)
        return cleaned


def _item_defaults(item):
    taxes = [tax.pk for tax in item.default_taxes.all()]
    return {"description": item.name, "price": str(item.default_price), "taxes": taxes}


class DocumentLineFormSet(BaseInlineFormSet):
    """Builds the item and tax choices once per request, not once per line (500 lines, 2 queries)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = list(Item.objects.prefetch_related("default_taxes"))
        taxes = list(Tax.objects.all())
        self._choices = [("", "---------"), *((i.pk, str(i)) for i in items)], [(t.pk, str(t)) for t in taxes]
        for form in self.forms:
            self._share_choices(form)
        # What the page's script needs to prefill a line from its item and preview its amounts.
        self.preview_data = {
            "items": {
                i.pk: {
                    "description": i.name,
                    "price": str(i.default_price),
                    "taxes": [t.pk for t in i.default_taxes.all()],
                }
                for i in items
            },
            "rates": {t.pk: str(t.rate) for t in taxes},
            "minor_units": {code: str(minor_unit_exponent(code)) for code in settings.CURRENCIES},
        }

    def _share_choices(self, form):
        form.fields["item"].choices, form.fields["taxes"].choices = self._choices
        return form

    @property
    def empty_form(self):
        return self._share_choices(super().empty_form)

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        lines = [f.instance for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        for message in registry.draft_lines_errors(document=self.instance, lines=lines):
            raise ValidationError(message)

    def save_new(self, form, commit=True):
        # A new line without a position goes after the others.
        if not form.instance.position:
            positions = [f.instance.position or 0 for f in self.forms if f.cleaned_data]
            form.instance.position = max(positions, default=0) + 1
        return super().save_new(form, commit)


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=PaymentKind.choices)
    method = forms.ModelChoiceField(queryset=PaymentMethod.objects.filter(is_active=True))
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    date = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        # Open credit suggests a refund; the amount is typed or filled in with the page's button.
        if document.balance_due < 0:
            self.fields["kind"].initial = PaymentKind.REFUND
        self.fields["kind"].choices = [(kind, payment_label(document, kind)) for kind in PaymentKind.values]
