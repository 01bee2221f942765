"""Inputs of the form builder. They only parse; `leadforms.builder` decides what a valid form is."""

from django import forms

from leadforms.builder import FieldSpec
from leadforms.models import Form
from leadforms.properties import DEFAULT_FIELDS, FORM_PROPERTIES, PROPERTY_CHOICES


class DefinitionForm(forms.Form):
    """A form's name, button text and what happens after a visitor submits it."""

    name = forms.CharField(max_length=200)
    submit_text = forms.CharField(label="Submit button text", max_length=100, required=False)
    thank_you_message = forms.CharField(
        label="Thank-you message", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    redirect_url = forms.CharField(
        label="Redirect to (optional)",
        max_length=2000,
        required=False,
        help_text="Instead of the thank-you message, send visitors to this page.",
    )

    @classmethod
    def for_form(cls, form: Form | None, data=None) -> "DefinitionForm":
        if form is None:
            return cls(data, initial={"submit_text": "Submit", "thank_you_message": "Thanks for submitting the form."})
        initial = {name: getattr(form, name) for name in ("name", "submit_text", "thank_you_message", "redirect_url")}
        return cls(data, initial=initial)


class FieldRowForm(forms.Form):
    """One field of the form: the contact property it fills, its label, required, its place."""

    property = forms.ChoiceField(choices=[("", "— choose a property —"), *PROPERTY_CHOICES], required=False)
    label = forms.CharField(max_length=200, required=False)
    required = forms.BooleanField(required=False)
    position = forms.IntegerField(min_value=0, max_value=999, required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("property") and cleaned.get("label") and not cleaned.get("DELETE"):
            self.add_error("property", "Choose the contact property this field fills.")
        return cleaned


FieldRowFormSet = forms.formset_factory(FieldRowForm, extra=2, can_delete=True, max_num=len(PROPERTY_CHOICES) + 2)
FIELDS_PREFIX = "fields"


def field_rows(form: Form | None, data=None):
    """The field rows of a form (a new form starts with Email, required, then first and last name).

    A posted formset is read without initial values: a row equal to its initial value would
    otherwise count as unchanged, and be dropped."""
    if data is not None:
        return FieldRowFormSet(data, prefix=FIELDS_PREFIX)
    if form is None:
        initial = [
            {"property": name, "label": FORM_PROPERTIES[name].label, "required": required, "position": index}
            for index, (name, required) in enumerate(DEFAULT_FIELDS)
        ]
    else:
        initial = [
            {"property": field.name, "label": field.label, "required": field.required, "position": field.position}
            for field in form.fields.all()
        ]
    return FieldRowFormSet(initial=initial, prefix=FIELDS_PREFIX)


def field_specs(rows) -> tuple[list[FieldSpec], list[int]]:
    """The fields a valid formset states, and the formset row each came from (to put errors back)."""
    specs, origins = [], []
    for index, row in enumerate(rows.forms):
        data = row.cleaned_data
        if not data or data.get("DELETE") or not data.get("property"):
            continue
        position = data.get("position")
        specs.append(
            FieldSpec(
                name=data["property"],
                label=data.get("label") or "",
                required=bool(data.get("required")),
                position=index if position is None else position,
            )
        )
        origins.append(index)
    return specs, origins
