"""Inputs of the Users & groups page: one on/off switch per POST, the invitation and the group forms."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator


class SwitchForm(forms.Form):
    """`value=1` turns the setting on (grant access, mark as billing contact), `value=0` turns it off."""

    value = forms.TypedChoiceField(choices=[("1", "On"), ("0", "Off")], coerce=lambda value: value == "1")


class MemberChoiceField(forms.ModelMultipleChoiceField):
    """Users by name and username, never by id."""

    def label_from_instance(self, user) -> str:
        name = user.get_full_name()
        return f"{name} ({user.get_username()})" if name else user.get_username()


USERNAME_MAX_LENGTH = 150


class InviteForm(forms.Form):
    """Invite a user: email (unique), optional names, a username (the email unless given), groups, access."""

    email = forms.EmailField(label="Email", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    username = forms.CharField(
        label="Username",
        max_length=USERNAME_MAX_LENGTH,
        required=False,
        help_text="Leave empty to sign in with the email address.",
        validators=[UnicodeUsernameValidator()],
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"), required=False, label="Groups", widget=forms.CheckboxSelectMultiple
    )
    marketing_access = forms.BooleanField(label="Marketing contact access", required=False)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email

    def clean(self):
        cleaned = super().clean()
        username = cleaned.get("username") or cleaned.get("email")
        if username and "username" not in self.errors:
            if len(username) > USERNAME_MAX_LENGTH:
                self.add_error("username", f"Usernames have at most {USERNAME_MAX_LENGTH} characters; choose one.")
            elif get_user_model().objects.filter(username__iexact=username).exists():
                self.add_error("username", f"A user with the username {username} already exists; choose another.")
            else:
                cleaned["username"] = username
        return cleaned


class GroupForm(forms.Form):
    """A group's unique name and its members (and, when it is created, Marketing contact access)."""

    name = forms.CharField(label="Name", max_length=150)
    members = MemberChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        label="Members",
        widget=forms.CheckboxSelectMultiple,
    )
    marketing_access = forms.BooleanField(label="Marketing contact access", required=False)

    def __init__(self, *args, group: Group | None = None, **kwargs):
        self.group = group
        if group is not None:
            kwargs["initial"] = {"name": group.name, "members": list(group.user_set.all())}
        super().__init__(*args, **kwargs)
        if group is not None:
            del self.fields["marketing_access"]  # switched on the Users & groups page

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = Group.objects.filter(name__iexact=name).exclude(pk=getattr(self.group, "pk", None))
        if taken.exists():
            raise forms.ValidationError("A group with this name already exists.")
        return name


class ConfirmForm(forms.Form):
    """The confirmation of a destructive step (`confirm=yes`)."""

    confirm = forms.ChoiceField(choices=[("yes", "Yes")])
