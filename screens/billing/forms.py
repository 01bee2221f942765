from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model

from billing.policy import BillingCycle, HubTier


class TierGuardForm(forms.Form):
    """B4: the tier guard toggle on Usage & limits; the button posts the state to switch to."""

    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")])

    @property
    def enabled_value(self) -> bool:
        return self.cleaned_data["enabled"] == "on"


class SubscriptionForm(forms.Form):
    """The subscription an admin sets up on a fresh installation, or changes later (R25).

    Limits left empty take the hub tier's configured sizes. "Enable marketing contacts" (R1) is a
    separate, explicit step, not a field here.
    """

    hub_tier = forms.ChoiceField(label="Hub tier", choices=[(tier.value, tier.name.title()) for tier in HubTier])
    billing_cycle = forms.ChoiceField(
        label="Billing", choices=[(BillingCycle.MONTHLY.value, "Monthly"), (BillingCycle.ANNUAL.value, "Annual")]
    )
    contract_start = forms.DateField(label="Contract start", widget=forms.DateInput(attrs={"type": "date"}))
    renewal_date = forms.DateField(
        label="Contract renewal date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The tier can be reduced only at the contract renewal; after it, the date moves on a year.",
    )
    contact_tier_limit = forms.IntegerField(
        label="Contact tier limit",
        required=False,
        min_value=1,
        help_text="Marketing contacts the contract includes. Empty: the hub tier's.",
    )
    tier_block_size = forms.IntegerField(
        label="Tier block size",
        required=False,
        min_value=1,
        help_text="The tier grows by blocks of this many contacts. Empty: the hub tier's.",
    )
    billing_contacts = forms.ModelMultipleChoiceField(
        label="Billing contacts",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Told by email when the count nears and when it passes the tier.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["billing_contacts"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["billing_contacts"].label_from_instance = _user_label
        tiers = settings.CRM_TIER_INCLUDED_CONTACTS
        self.fields["hub_tier"].choices = [
            (tier.value, f"{tier.name.title()} ({tiers[tier.value]:,} marketing contacts)") for tier in HubTier
        ]

    def clean(self):
        cleaned = super().clean()
        start, renewal = cleaned.get("contract_start"), cleaned.get("renewal_date")
        if start and renewal and renewal - start > timedelta(days=366):
            self.add_error(
                "renewal_date", "A contract runs for a year: the renewal comes at most a year after its start."
            )
        return cleaned


def _user_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.email or user.username})" if name else user.email or user.username
