"""Forms of the back office. They only parse what was typed: every rule lives in the services and models,
whose `ValidationError`s come back onto these forms with the input kept."""

import copy
from collections import defaultdict

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property

from invoicing import selectors
from invoicing.amounts import AMOUNT_PLACES, decimals_of, fits, minor_unit_exponent, parse_decimal
from invoicing.models import (
    FIRST_DATE,
    LAST_DATE,
    Document,
    Item,
    PaymentKind,
    PaymentMethod,
    Reason,
    Tax,
    payment_direction_label,
)
from invoicing.services import MAX_LINES


class NumberField(forms.Field):
    """A number typed with a dot or a comma as decimal separator ("12,50"); anything ambiguous is refused."""

    def __init__(self, *args, places=None, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 9, "class": "num"}))
        self.places = places
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = str(value).strip() if value is not None else ""
        if value in self.empty_values:
            return None
        if len(value) > 40:
            raise forms.ValidationError("This number is too long.", code="too_long")
        try:
            number = parse_decimal(value)
        except (ValueError, ArithmeticError):
            raise forms.ValidationError(
                "Enter a number, with a dot or a comma as the decimal separator (e.g. 12.50 or 12,50).",
                code="invalid",
            ) from None
        return self._check_places(number)

    def has_changed(self, initial, data):
        try:
            return self.to_python(initial) != self.to_python(data)
        except forms.ValidationError:
            return True

    def _check_places(self, number):
        if self.places is not None:
            if decimals_of(number) > self.places:
                raise forms.ValidationError(f"Enter a number with at most {self.places} decimals.", code="places")
            if not fits(number, self.places):
                raise forms.ValidationError("This number is too large.", code="too_large")
        return number


class BoundedDateField(forms.DateField):
    """A date from 1900-01-01 to 2999-12-31, the range every document and payment date keeps to."""

    default_validators = [
        MinValueValidator(FIRST_DATE, message="Enter a date from 1900-01-01 on."),
        MaxValueValidator(LAST_DATE, message="Enter a date up to 2999-12-31."),
    ]


class TypeSelect(forms.Select):
    """Each type option says whether its prices include tax, for the lines' live preview."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-prices-include-tax"] = "1" if instance.prices_include_tax else "0"
        return option


class DocumentForm(forms.ModelForm):
    """The header of a draft. It parses; `document_draft_save` validates and saves."""

    kind = None  # set by the admin of each list
    HEADER = ["type", "partner", "company", "date", "due_date", "currency", "vendor_reference", "note", "reason"]
    # The `Document.version` the editor loaded, sent back so a save over someone else's is refused.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # Corrections and returns: a reason an administrator configured, put in front of what is typed.
    reason_preset = forms.ModelChoiceField(
        queryset=Reason.objects.filter(is_active=True),
        required=False,
        label="Reason from the list",
        help_text="Pick a configured reason, type one below, or both.",
    )

    class Meta:
        model = Document
        fields = ["type", "partner", "company", "date", "due_date", "currency", "vendor_reference", "note", "reason"]
        widgets = {"type": TypeSelect, "reason": forms.Textarea(attrs={"rows": 2, "cols": 60})}
        field_classes = {"date": BoundedDateField, "due_date": BoundedDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def _post_clean(self):
        # No model validation here: the service checks the whole draft, header and lines, in one pass.
        pass

    def header(self):
        header = {name: self.cleaned_data[name] for name in self.HEADER if name in self.cleaned_data}
        preset = self.cleaned_data.get("reason_preset")
        if preset is not None:
            typed = (header.get("reason") or "").strip()
            header["reason"] = preset.text if not typed or typed.startswith(preset.text) else f"{preset.text}: {typed}"
        return header


class SharedChoices(BaseChoiceIterator):
    """Choices read once per formset and given as they are to every line's field. A plain list is normalized
    again at each assignment (for the field, then its widget), and a value is checked by scanning the list: with
    a catalog of 1,000 items that was O(lines × items), 0.8 s to save 200 lines."""

    def __init__(self, choices):
        self.choices = list(choices)
        self.values = frozenset(str(value) for value, _ in self.choices)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)


class SharedChoicesMixin:
    def valid_value(self, value):
        # What Django's scan answers for flat choices: the value typed matches a choice's value as text.
        if isinstance(self.choices, SharedChoices):
            return str(value) in self.choices.values
        return super().valid_value(value)


class ItemChoiceField(SharedChoicesMixin, forms.TypedChoiceField):
    pass


class TaxChoiceField(SharedChoicesMixin, forms.TypedMultipleChoiceField):
    pass


class LineForm(forms.Form):
    """One line of a draft as typed; item and tax choices are shared by every line of the formset."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1)
    position = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.NumberInput(attrs={"class": "position"})
    )
    item = ItemChoiceField(coerce=int, empty_value=None, required=False)
    description = forms.CharField(max_length=300, required=False, widget=forms.TextInput(attrs={"size": 22}))
    quantity = NumberField(required=False, places=3, initial="1")
    unit_price = NumberField(required=False, places=AMOUNT_PLACES)
    discount = NumberField(required=False, places=AMOUNT_PLACES, initial="0")
    taxes = TaxChoiceField(coerce=int, required=False, widget=forms.CheckboxSelectMultiple)

    def line_data(self):
        data = {name: self.cleaned_data.get(name) for name in ("id", "position", "item", "description",
                                                               "quantity", "unit_price", "discount")}  # fmt: skip
        data["taxes"] = self.cleaned_data.get("taxes") or []
        data["description"] = data["description"] or ""
        return data


class _LineFields(dict):
    """`LineForm.base_fields`, as each line's form copies them (a form deep-copies its class's fields): the choice
    fields deeply, since each formset sets their choices; the others shallowly, sharing a widget that nothing
    changes per line. Deep copies of every field and widget were a fifth of saving 200 lines."""

    def __deepcopy__(self, memo):
        return {
            name: copy.deepcopy(field, memo) if isinstance(field, forms.ChoiceField) else copy.copy(field)
            for name, field in self.items()
        }


LineForm.base_fields = _LineFields(LineForm.base_fields)


class BaseLineFormSet(forms.BaseFormSet):
    """The lines of a draft. Item and tax choices are read once per request (2 queries at any size, and 1 more for
    the items' default taxes when the editor is shown); what a line keeps that the form does not show (its source
    line, the line it replaces) comes from `kept`."""

    def __init__(self, *args, kept=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept = kept or {}  # {line id: {"source_line": id, "replaces": id}} of the stored lines
        self.items = list(Item.objects.all())
        self.taxes = list(Tax.objects.all())
        self.item_choices = SharedChoices([("", "---------"), *((i.pk, str(i)) for i in self.items)])
        self.tax_choices = SharedChoices((t.pk, t.name) for t in self.taxes)

    @cached_property
    def preview_data(self):
        """What the editor's script needs to prefill a line from its item and to preview the amounts. Only a shown
        editor reads it: a save that succeeds redirects without it."""
        default_taxes = defaultdict(list)
        for item_id, tax_id in Item.default_taxes.through.objects.order_by("pk").values_list("item_id", "tax_id"):
            default_taxes[item_id].append(tax_id)
        return {
            "items": {
                i.pk: {"description": i.name, "price": str(i.default_price), "taxes": default_taxes[i.pk]}
                for i in self.items
            },
            "rates": {t.pk: str(t.rate) for t in self.taxes},
            "minor_units": {code: str(minor_unit_exponent(code)) for code in settings.CURRENCIES},
        }

    def __getitem__(self, index):
        # A template looks `lines_editor.management_form` up as a key first, and `BaseFormSet` answers keys from
        # its forms: a name is not an index, so no form per line is built to find that out.
        if not isinstance(index, int):
            raise TypeError(f"{type(self).__name__} indices are integers, not {type(index).__name__}.")
        return super().__getitem__(index)

    def _construct_form(self, i, **kwargs):
        # Forms are built when first asked for: an editor that was not posted renders from `initial` alone.
        return self._share_choices(super()._construct_form(i, **kwargs))

    def _share_choices(self, form):
        form.fields["item"].choices = self.item_choices
        form.fields["taxes"].choices = self.tax_choices
        return form

    @property
    def empty_form(self):
        return self._share_choices(super().empty_form)

    def kept_forms(self):
        """The forms whose lines are saved: neither deleted nor left blank."""
        return [f for f in self.forms if f.has_changed() or f.cleaned_data.get("id") if not self._should_delete_form(f)]

    def line_data(self):
        rows = []
        for form in self.kept_forms():
            data = form.line_data()
            data.update(self.kept.get(data["id"], {}))
            rows.append(data)
        return rows


def _line_formset(extra):
    return forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=extra,
        can_delete=True,
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        validate_max=True,
    )


LineFormSet = _line_formset(extra=1)  # a draft's lines and one empty line
NewDocumentLineFormSet = _line_formset(extra=3)  # a new document starts with three empty lines


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label="Type", choices=PaymentKind.choices)
    method = forms.ModelChoiceField(queryset=PaymentMethod.objects.filter(is_active=True))
    amount = NumberField(places=AMOUNT_PLACES)
    date = BoundedDateField(initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        self.document = document
        # Open credit suggests a refund; the amount is typed or filled in with the page's button.
        if document.balance_due < 0:
            self.fields["kind"].initial = PaymentKind.REFUND
        self.fields["kind"].choices = [(kind, payment_direction_label(document, kind)) for kind in PaymentKind.values]
        self.fields["method"].initial = selectors.default_payment_method(document=document)


class AllocationForm(forms.Form):
    """Apply an amount between the card's document and one of the partner's open documents (SPEC 10)."""

    counterpart = forms.IntegerField(min_value=1, error_messages={"invalid": "Choose a document to apply."})
    amount = NumberField(places=AMOUNT_PLACES)


class PaymentReverseForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why the payment is reversed (e.g. typed on the wrong document); it stays on the document.",
    )


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Ids beyond a 64-bit integer are refused like unknown ones (SQLite raises on them instead of finding none)."""

    def _check_values(self, value):
        for pk in value or ():
            try:
                number = int(pk)
            except (TypeError, ValueError):
                continue  # the parent says it is not a valid value
            if not -(2**63) <= number < 2**63:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)
