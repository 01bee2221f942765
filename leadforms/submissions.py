"""Submissions of the forms tools: HubSpot forms (R5) and other sites' forms captured by the collector (R6).

Every submission finds or creates its contact through `capture.services.contact_capture`, which
applies the tool's setting (new contacts: marketing or not; existing non-marketing ones: upgraded
or not). The submission row is written in the same transaction as the contact's creation or match.
Because a marketing contact makes the capture lock the subscription (the tier check, R24) after it
has written the contact, a submission whose setting is on takes the subscription lock first: the
lock order everywhere is subscription, billing period, then contacts. The forms themselves are built in
`leadforms.builder`.
"""

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from capture.public import HONEYPOT_FIELD, is_spam
from capture.services import CaptureResult, contact_capture
from contacts.services import ContactInvalid, normalize_email
from leadforms.models import ExternalForm, Form, FormField, FormSubmission
from leadforms.properties import EMAIL, FORM_PROPERTIES
from marketing_status.actors import Actor, ActorKind
from marketing_status.policy import CreationTool

MAX_SUBMITTED_VALUES = 1000  # HubSpot's limit per submission
MAX_PAGE_URI = 2000
MAX_PAGE_NAME = 500


# --- Submissions of forms (R5) ---------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionError:
    """One of HubSpot's submission errors: its `errorType` and the field it concerns."""

    error_type: str
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        where = f"Error in 'fields.{self.field}'. " if self.field else ""
        return {"message": f"{where}{self.message}", "errorType": self.error_type}


class SubmissionInvalid(Exception):
    """A submission HubSpot would refuse (400); nothing was stored."""

    def __init__(self, errors: list[SubmissionError]):
        self.errors = errors
        super().__init__("; ".join(error.message for error in errors))


def _field_errors(form_fields: Sequence[FormField], values: Mapping[str, str]) -> list[SubmissionError]:
    errors = []
    for field in form_fields:
        prop, value = FORM_PROPERTIES[field.name], values.get(field.name, "")
        if not value:
            if field.required:
                errors.append(
                    SubmissionError("REQUIRED_FIELD", field.name, f"Required field '{field.name}' is missing")
                )
            continue
        if prop.max_length and len(value) > prop.max_length:
            errors.append(
                SubmissionError("INPUT_TOO_LARGE", field.name, f"Value is longer than {prop.max_length} characters")
            )
        elif field.name == EMAIL and not _valid_email(value):
            errors.append(SubmissionError("INVALID_EMAIL", field.name, "Invalid email address"))
        elif prop.options and value not in dict(prop.options):
            errors.append(
                SubmissionError("VALUE_NOT_IN_FIELD_DEFINITION", field.name, f"{value!r} is not one of the options")
            )
    return errors


def _submission_errors(
    form_fields: Sequence[FormField], values: Mapping[str, str], context: Mapping[str, str]
) -> list[SubmissionError]:
    if len(values) > MAX_SUBMITTED_VALUES:
        message = f"At most {MAX_SUBMITTED_VALUES} values can be submitted"
        return [SubmissionError("MAX_NUMBER_OF_SUBMITTED_VALUES_EXCEEDED", "", message)]
    known = {field.name for field in form_fields}
    errors = [
        SubmissionError("FIELD_NOT_IN_FORM_DEFINITION", name, "This field was not found in the form definition")
        for name in values
        if name not in known
    ]
    errors += _field_errors(form_fields, values)
    if len(context.get("pageUri", "")) > MAX_PAGE_URI:
        errors.append(SubmissionError("INVALID_PAGE_URI", "", f"pageUri is longer than {MAX_PAGE_URI} characters"))
    return errors


def _valid_email(value: str) -> bool:
    try:
        validate_email(normalize_email(value) or "")
    except ValidationError:
        return False
    return True


def _capture(
    *, data: Mapping[str, str], tool: CreationTool, source_id: str, now: datetime | None = None
) -> CaptureResult:
    return contact_capture(data=data, tool=tool, source_id=source_id, actor=Actor(ActorKind.FORM, source_id), now=now)


def _as_errors(invalid: ContactInvalid) -> list[SubmissionError]:
    by_field = {prop.field: prop.name for prop in FORM_PROPERTIES.values()}
    return [
        SubmissionError(
            "INVALID_EMAIL" if field == "email" else "VALUE_NOT_IN_FIELD_DEFINITION",
            by_field.get(field, field),
            message,
        )
        for field, message in invalid.errors.get(0, {}).items()
    ]


def form_submit(
    *, form: Form, values: Mapping[str, str], context: Mapping[str, str] | None = None, now: datetime | None = None
) -> FormSubmission | None:
    """R5: a visitor's submission of `form`: validate it as HubSpot does, then create or match the contact.

    `values` maps field names (HubSpot property names) to strings; `context` may carry `pageUri` and
    `pageName`. Raises `SubmissionInvalid` (HubSpot's errorTypes) and stores nothing when it is not
    valid. A submission with the honeypot filled returns None and stores nothing. With the form's
    setting on (the default) a new contact is marketing and an existing non-marketing one is
    upgraded (`FORM_SUBMISSION`, reason id = the form's guid); off, new contacts are non-marketing
    and existing ones keep their status.
    """
    if is_spam(values):
        return None
    context = context or {}
    values = {name: value.strip() for name, value in values.items() if name != HONEYPOT_FIELD}
    form_fields = list(form.fields.all())
    errors = _submission_errors(form_fields, values, context)
    if errors:
        raise SubmissionInvalid(errors)
    data = {FORM_PROPERTIES[name].field: value for name, value in values.items() if value}
    ordered = [{"name": field.name, "value": values[field.name]} for field in form_fields if field.name in values]
    try:
        with transaction.atomic():
            result = _capture(data=data, tool=CreationTool.HUBSPOT_FORM, source_id=form.source_id, now=now)
            return _record(
                result,
                form=form,
                values=ordered,
                page_uri=context.get("pageUri", ""),
                page_name=context.get("pageName", ""),
                now=now,
            )
    except ContactInvalid as invalid:
        raise SubmissionInvalid(_as_errors(invalid)) from None


def _record(
    result: CaptureResult, *, values: list[dict], page_uri: str, page_name: str, now: datetime | None = None, **form
) -> FormSubmission:
    return FormSubmission.objects.create(
        **form,
        contact=result.contact,
        values=values,
        page_uri=page_uri[:MAX_PAGE_URI],
        page_name=page_name[:MAX_PAGE_NAME],
        submitted_at=now or timezone.now(),
        created=result.created,
        upgraded=result.upgraded,
        held_by_tier_guard=result.held_by_tier_guard,
    )


# --- Submissions of other sites' forms (R6) --------------------------------------------------


@dataclass(frozen=True)
class CapturedField:
    """A field of a form on another site, as the collector script read it."""

    name: str
    value: str
    type: str = "text"


SKIPPED_TYPES = frozenset({"password", "file", "hidden", "submit", "button", "reset", "image"})
SENSITIVE_TOKENS = frozenset(
    {"password", "passwd", "pwd", "pass", "card", "cc", "cvc", "cvv", "ccv", "csc", "ssn", "iban", "pin"}
)
MAX_CAPTURED_FIELDS = 200
MAX_CAPTURED_VALUE = 10_000
# Field names (lower-cased, letters and digits only) that name a contact property on ordinary forms.
NAME_KEYS = {
    "first_name": {"firstname", "fname", "givenname", "first", "forename"},
    "last_name": {"lastname", "lname", "surname", "familyname", "last"},
    "company": {"company", "companyname", "organization", "organisation", "org", "business"},
    "phone": {"phone", "phonenumber", "tel", "telephone", "mobile", "mobilephone", "cell"},
}
FULL_NAME_KEYS = {"name", "fullname", "yourname", "contactname"}


def _tokens(name: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return {token for token in re.split(r"[^a-z0-9]+", spaced.lower()) if token}


def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _looks_like_card_number(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    return digits.isdigit() and 13 <= len(digits) <= 19 and _luhn_valid(digits)


def is_sensitive(field: CapturedField) -> bool:
    """Never stored: passwords, files, hidden inputs, and what looks like card or identity numbers."""
    tokens = _tokens(field.name)
    return (
        field.type.lower() in SKIPPED_TYPES
        or bool(tokens & SENSITIVE_TOKENS)
        or any("credit" in token or "password" in token for token in tokens)
        or _looks_like_card_number(field.value)
    )


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _find_email(fields: Sequence[CapturedField]) -> str | None:
    """The email field: an `<input type=email>`, else a field named like one, else any email-valued field."""
    tiers = (
        lambda field: field.type.lower() == "email",
        lambda field: "email" in _key(field.name) or _key(field.name) == "mail",
        lambda field: True,
    )
    for matches in tiers:
        for field in fields:
            if matches(field) and _valid_email(field.value):
                return normalize_email(field.value)
    return None


def _mapped_properties(fields: Sequence[CapturedField]) -> dict[str, str]:
    data: dict[str, str] = {}
    for field in fields:
        key, value = _key(field.name), field.value.strip()
        for contact_field, keys in NAME_KEYS.items():
            if value and (key in keys or (contact_field == "phone" and field.type.lower() == "tel")):
                data.setdefault(contact_field, value)
        if value and key in FULL_NAME_KEYS and "first_name" not in data:
            first, _, rest = value.partition(" ")
            data["first_name"], data["last_name"] = first, data.get("last_name") or rest.strip()
    limits = {prop.field: prop.max_length for prop in FORM_PROPERTIES.values()}
    return {name: value[: limits[name]] for name, value in data.items() if value}


class PageUrlInvalid(ValueError):
    """The captured page's address is not an http(s) URL of at most 2,000 characters. Nothing was stored."""


def page_url_normalized(url: str) -> str | None:
    """The page's address without query or fragment (they often carry tokens), or None if not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    normalized = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))
    return normalized if len(normalized) <= MAX_PAGE_URI else None


def _external_form(*, page_url: str, page_title: str, form_id_attr: str, form_name_attr: str, position: int | None):
    if form_id_attr:
        identity = f"id:{form_id_attr}"
    elif form_name_attr:
        identity = f"name:{form_name_attr}"
    else:
        identity = f"position:{position}"
    key_hash = hashlib.sha256(f"{page_url}\n{identity}".encode()).hexdigest()
    now = timezone.now()
    external, created = ExternalForm.objects.get_or_create(
        key_hash=key_hash,
        defaults={
            "page_url": page_url,
            "page_title": page_title,
            "form_id_attr": form_id_attr,
            "form_name_attr": form_name_attr,
            "position": position,
            "first_captured_at": now,
            "last_captured_at": now,
        },
    )
    if not created:
        ExternalForm.objects.filter(pk=external.pk).update(
            last_captured_at=now, page_title=page_title or external.page_title
        )
    return external


def external_form_capture(
    *,
    page_url: str,
    fields: Sequence[CapturedField],
    form_id_attr: str = "",
    form_name_attr: str = "",
    position: int | None = None,
    page_title: str = "",
) -> FormSubmission | None:
    """R6: a submission of an ordinary form on another site, captured by the collector script.

    Sensitive fields are dropped. Without a valid email nothing is stored (HubSpot needs an email to
    make a contact) and None is returned, as for a filled honeypot. Otherwise the external form's row
    is created on its first capture, and the contact is created or matched with the account-wide
    setting (on by default): new contacts marketing, existing non-marketing ones upgraded
    (`FORM_SUBMISSION`, reason id = the external form's guid). A `page_url` that is not http(s) raises
    `PageUrlInvalid`.
    """
    normalized = page_url_normalized(page_url)
    if normalized is None:
        raise PageUrlInvalid("The page address must be an http:// or https:// URL of at most 2,000 characters.")
    if is_spam({field.name: field.value for field in fields}):
        return None
    kept = [
        CapturedField(field.name[:200], field.value[:MAX_CAPTURED_VALUE], field.type[:32])
        for field in fields[:MAX_CAPTURED_FIELDS]
        if field.name != HONEYPOT_FIELD and not is_sensitive(field)
    ]
    email = _find_email(kept)
    if email is None:
        return None
    data = {**_mapped_properties(kept), "email": email}
    with transaction.atomic():
        external = _external_form(
            page_url=normalized,
            page_title=page_title.strip()[:MAX_PAGE_NAME],
            form_id_attr=form_id_attr.strip()[:200],
            form_name_attr=form_name_attr.strip()[:200],
            position=position,
        )
        result = contact_capture(
            data=data,
            tool=CreationTool.NON_HUBSPOT_FORM,
            source_id=external.source_id,
            actor=Actor(ActorKind.FORM, external.source_id),
        )
        values = [{"name": field.name, "value": field.value} for field in kept]
        return _record(result, external_form=external, values=values, page_uri=normalized, page_name=page_title)
