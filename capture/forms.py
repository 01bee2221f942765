"""Inputs of the lead-capture settings: they only parse; the services decide (R5–R8, R30)."""

from django import forms


class SwitchForm(forms.Form):
    """A "create contacts as marketing" toggle: `value=1` switches it on, `value=0` off."""

    value = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda value: value == "1")
