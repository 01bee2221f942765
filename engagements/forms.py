"""Input of the engagement pages. Forms only parse and show errors; the services validate and write."""

import re
from datetime import UTC, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from capture.public import HONEYPOT_FIELD
from engagements.models import MeetingLink, TicketStage
from engagements.services import MAX_RECIPIENTS
from engagements.slots import WEEKDAYS, Window

_ADDRESS_SEPARATORS = re.compile(r"[,;\s]+")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")


class ServiceErrorsMixin:
    def add_service_errors(self, errors: dict[str, str]) -> None:
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, message)


def addresses(text: str) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or new lines, each checked."""
    found = [part for part in _ADDRESS_SEPARATORS.split(text or "") if part]
    invalid = []
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
    if invalid:
        raise ValidationError(f"Not valid email addresses: {', '.join(invalid)}.")
    return found


class EmailLogForm(ServiceErrorsMixin, forms.Form):
    to = forms.CharField(label="To", max_length=20_000, help_text="Separate addresses with commas.")
    cc = forms.CharField(label="Cc", max_length=20_000, required=False)
    subject = forms.CharField(max_length=255)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=100_000)
    sent_at = forms.DateTimeField(
        label="Sent at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In the account time zone.",
    )

    def clean_to(self) -> list[str]:
        return addresses(self.cleaned_data["to"])

    def clean_cc(self) -> list[str]:
        return addresses(self.cleaned_data["cc"])

    def clean_sent_at(self) -> datetime:
        sent_at = self.cleaned_data["sent_at"]
        if sent_at > timezone.now():
            raise ValidationError("An email can only be logged once it was sent: this time is in the future.")
        return sent_at

    def clean(self):
        cleaned = super().clean()
        if len({*cleaned.get("to", []), *cleaned.get("cc", [])}) > MAX_RECIPIENTS:
            self.add_error("cc", f"An email can be logged with at most {MAX_RECIPIENTS} recipients.")
        return cleaned


def _windows_of_day(weekday: int, text: str) -> list[Window]:
    windows = []
    for part in filter(None, (piece.strip() for piece in (text or "").split(","))):
        match = _WINDOW.match(part)
        if not match:
            raise ValidationError(f"{part!r}: write windows as 09:00-12:00, separated by commas.")
        h1, m1, h2, m2 = map(int, match.groups())
        if max(h1, h2) > 23 or max(m1, m2) > 59:
            raise ValidationError(f"{part!r}: times run from 00:00 to 23:59.")
        windows.append(Window(weekday, time(h1, m1), time(h2, m2)))
    return windows


def _day_field(name: str) -> str:
    return name.lower()


class MeetingLinkForm(ServiceErrorsMixin, forms.Form):
    """A meetings link; availability is one text box per weekday, e.g. "09:00-12:00, 13:00-17:00"."""

    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=60, label="Link address", help_text="The page is at /meetings/<address>: letters, digits, - and _."
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration", coerce=int, choices=[(minutes, f"{minutes} minutes") for minutes in MeetingLink.DURATIONS]
    )
    days_ahead = forms.IntegerField(
        label="Bookable days ahead", min_value=1, max_value=90, help_text="Today and this many days after it."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for weekday, day in enumerate(WEEKDAYS):
            self.fields[_day_field(day)] = forms.CharField(
                label=day, required=False, max_length=200, widget=forms.TextInput(attrs={"placeholder": "09:00-17:00"})
            )
            self.fields[_day_field(day)].weekday = weekday

    @property
    def day_fields(self):
        return [self[_day_field(day)] for day in WEEKDAYS]

    @property
    def main_fields(self):
        return [self[name] for name in ("name", "slug", "duration_minutes", "days_ahead")]

    def clean(self):
        cleaned = super().clean()
        windows = []
        for weekday, day in enumerate(WEEKDAYS):
            try:
                windows += _windows_of_day(weekday, cleaned.get(_day_field(day), ""))
            except ValidationError as invalid:
                self.add_error(_day_field(day), invalid)
        cleaned["windows"] = windows
        return cleaned

    @staticmethod
    def initial_for(link: MeetingLink, windows: list[Window]) -> dict:
        initial = {
            "name": link.name,
            "slug": link.slug,
            "duration_minutes": link.duration_minutes,
            "days_ahead": link.days_ahead,
        }
        for weekday, day in enumerate(WEEKDAYS):
            initial[_day_field(day)] = ", ".join(
                f"{window.start:%H:%M}-{window.end:%H:%M}" for window in windows if window.weekday == weekday
            )
        return initial


class TicketForm(ServiceErrorsMixin, forms.Form):
    subject = forms.CharField(max_length=255)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=100_000)
    stage = forms.ChoiceField(label="Pipeline stage", choices=TicketStage.choices, initial=TicketStage.NEW)
    requester_email = forms.EmailField(label="Requester email", max_length=254)


class BookingForm(forms.Form):
    """The public booking form. `start` is an ISO 8601 instant with its offset (the slot's value)."""

    name = forms.CharField(max_length=100)
    email = forms.CharField(max_length=254)
    start = forms.CharField(max_length=40)
    honeypot = forms.CharField(required=False, max_length=1000)

    def __init__(self, data=None, **kwargs):
        if data is not None and HONEYPOT_FIELD in data:
            data = {**{key: data.get(key) for key in data}, "honeypot": data.get(HONEYPOT_FIELD)}
        super().__init__(data, **kwargs)

    def clean_start(self) -> datetime:
        raw = self.cleaned_data["start"].strip().replace(" ", "+")
        try:
            start = datetime.fromisoformat(raw)
        except ValueError:
            raise ValidationError("Choose a time from the list.") from None
        if start.tzinfo is None:
            raise ValidationError("The time must carry its UTC offset.")
        try:
            return start.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Choose a time from the list.") from None
