from django import forms


class TierGuardForm(forms.Form):
    """B4: the tier guard toggle on Usage & limits; the button posts the state to switch to."""

    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    @property
    def enabled_value(self) -> bool:
        return self.cleaned_data["enabled"] == "on"
