"""Inputs of the Integrations screen. They only parse input; the services decide (R8, R30)."""

from django import forms

from integrations.models import Integration
from integrations.scopes import DEFAULT_SCOPES, MARKETING_WRITE, SCOPE_CHOICES

NAME_MAX_LENGTH = Integration._meta.get_field("name").max_length


class CheckboxesWithDisabled(forms.CheckboxSelectMultiple):
    """Checkboxes whose options in `disabled_values` cannot be ticked (the service refuses them anyway)."""

    def __init__(self, *args, disabled_values: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = disabled_values

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class IntegrationCreateForm(forms.Form):
    """A private app: its name, its scopes (contacts read and write by default) and R8's setting (off by default).

    Without Marketing contact access (R30) the marketing scope and the R8 box are shown disabled; they
    are not silently dropped when posted anyway: the service refuses them and nothing is created.
    """

    name = forms.CharField(max_length=NAME_MAX_LENGTH, label="Name")
    scopes = forms.MultipleChoiceField(
        choices=SCOPE_CHOICES,
        initial=list(DEFAULT_SCOPES),
        label="Scopes",
        error_messages={"required": "Choose at least one scope."},
    )
    marketing_on_create = forms.BooleanField(
        required=False,
        initial=False,  # R8: integrations create non-marketing contacts unless switched on
        label="Create contacts as marketing contacts",
    )

    def __init__(self, *args, may_change_status: bool, **kwargs):
        super().__init__(*args, **kwargs)
        disabled = frozenset() if may_change_status else frozenset({MARKETING_WRITE})
        self.fields["scopes"].widget = CheckboxesWithDisabled(choices=SCOPE_CHOICES, disabled_values=disabled)
        if not may_change_status:
            self.fields["marketing_on_create"].widget.attrs["disabled"] = True


class SwitchForm(forms.Form):
    """R8's toggle: `value=1` switches "Create contacts as marketing contacts" on, `value=0` off."""

    value = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda value: value == "1")


class RevokeForm(forms.Form):
    """The confirmation step of a revoke: the confirm page posts `confirm=yes`."""

    confirm = forms.ChoiceField(choices=[("yes", "Yes")])
