"""Inputs of the contact record, create and list pages. They only parse input; the services decide."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from contacts.models import Contact, ContactList, EmailSubscription, LifecycleStage
from contacts.services import ContactConflict

NO_STAGE = [("", "—")]


class ServiceErrorsMixin:
    """Show a service's refusal on the field it names (or on the form)."""

    def add_service_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)

    def add_conflict(self, conflict: ContactConflict) -> None:
        existing = Contact.objects.filter(pk=conflict.existing_id).first()
        self.add_error(
            "email",
            format_html(
                'A contact with this email already exists: <a href="{}">{}</a> (ID {}).',
                reverse("contacts:record", args=[conflict.existing_id]),
                existing or conflict.email,
                conflict.existing_id,
            ),
        )


class ContactPropertiesForm(ServiceErrorsMixin, forms.Form):
    """The plain properties shared by create and edit. Emails are validated by the service."""

    email = forms.CharField(max_length=254, required=False, widget=forms.EmailInput)
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    company = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=50, required=False)
    lifecycle_stage = forms.ChoiceField(choices=NO_STAGE + LifecycleStage.choices, required=False)

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name, "").strip() for name in ("email", "first_name", "last_name")):
            raise forms.ValidationError("Enter an email address or a name.")
        return cleaned


class ContactEditForm(ContactPropertiesForm):
    email_subscription = forms.ChoiceField(choices=EmailSubscription.choices, label="Email subscription")
    email_hard_bounced = forms.BooleanField(required=False, label="Email hard bounced")

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {name: getattr(contact, name) or "" for name in cls.base_fields}


class RadioSelectWithDisabled(forms.RadioSelect):
    """A radio group whose options in `disabled_values` cannot be chosen."""

    def __init__(self, *args, disabled_values: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = disabled_values

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


MARKETING_CHOICES = [("false", "Non-marketing contact"), ("true", "Marketing contact")]


class ContactCreateForm(ContactPropertiesForm):
    """R3: the creator chooses the status, non-marketing by default; marketing needs permission (R30).

    Without the permission the Marketing option is disabled; the service refuses it anyway.
    """

    marketing = forms.TypedChoiceField(
        label="Marketing contact status",
        choices=MARKETING_CHOICES,
        coerce=lambda value: value == "true",
        required=False,
        empty_value=False,  # R3: non-marketing unless chosen
        initial="false",
        widget=forms.RadioSelect,
    )
    confirm_tier_upgrade = forms.BooleanField(required=False, label="Confirm the tier upgrade")

    def __init__(self, *args, may_set_marketing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marketing"].widget = RadioSelectWithDisabled(
            choices=MARKETING_CHOICES, disabled_values=frozenset() if may_set_marketing else frozenset({"true"})
        )

    def properties(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name in ContactPropertiesForm.base_fields}


class ContactListForm(forms.Form):
    name = forms.CharField(max_length=200, label="List name")


class AddToListForm(forms.Form):
    """The index's "Add to list": an existing list, or the name of a new one."""

    add_to_list = forms.ModelChoiceField(queryset=ContactList.objects.all(), required=False, label="List")
    new_list_name = forms.CharField(max_length=200, required=False, label="New list name")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("add_to_list")) == bool(cleaned.get("new_list_name", "").strip()):
            raise forms.ValidationError("Choose a list or enter the name of a new one.")
        return cleaned
