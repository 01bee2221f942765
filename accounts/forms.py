"""Inputs of the Users & groups page: one on/off switch per POST."""

from django import forms


class SwitchForm(forms.Form):
    """`value=1` turns the setting on (grant access, mark as billing contact), `value=0` turns it off."""

    value = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda value: value == "1")
