"""The form builder's writes: a HubSpot form's definition, its fields and, at creation, its marketing setting (R5, R30).

`form_create` / `form_update` validate the definition (the Email field is always there and required) and write
the form and its fields in one transaction. The per-form "Set contacts created as marketing contacts" toggle is
`capture.views.setting_switch`; the embed code and hosted page are `leadforms.public_views`; submissions are
`leadforms.submissions`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from leadforms.models import Form, FormField
from leadforms.properties import EMAIL, FORM_PROPERTIES
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool
from marketing_status.services import creation_tool_setting_start_off

ADD_PERMISSION = "leadforms.add_form"
CHANGE_PERMISSION = "leadforms.change_form"
BUILD_REFUSED = "You need permission to build forms."
DEFAULT_THANK_YOU = "Thanks for submitting the form."


@dataclass(frozen=True)
class FieldSpec:
    """A field as the builder states it: a property name, its label (blank: the property's), required, order."""

    name: str
    label: str = ""
    required: bool = False
    position: int | None = None


class FormInvalid(Exception):
    """The form definition is not valid; `errors` maps "name", "submit_text", "redirect_url", "fields"
    or "fields.<index>" to a message. Nothing was written."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(f"invalid form: {errors}")


def _clean_fields(fields: Sequence[FieldSpec], errors: dict[str, str]) -> list[FieldSpec]:
    cleaned, seen = [], set()
    for index, spec in enumerate(fields):
        prop = FORM_PROPERTIES.get(spec.name)
        if prop is None:
            errors[f"fields.{index}"] = f"{spec.name!r} is not a contact property a form can fill."
            continue
        if spec.name in seen:
            errors[f"fields.{index}"] = f"{prop.label} is on the form twice."
            continue
        seen.add(spec.name)
        label = " ".join(spec.label.split()) or prop.label
        if len(label) > 200:
            errors[f"fields.{index}"] = "A label has at most 200 characters."
        required = spec.required or spec.name == EMAIL
        position = spec.position if spec.position is not None else index
        cleaned.append(FieldSpec(name=spec.name, label=label, required=required, position=position))
    if EMAIL not in seen:
        errors["fields"] = "A form needs the Email field: contacts are created and matched by email."
    cleaned.sort(key=lambda spec: spec.position)
    return [FieldSpec(spec.name, spec.label, spec.required, position) for position, spec in enumerate(cleaned)]


def _clean_definition(
    *, name: str, fields: Sequence[FieldSpec], submit_text: str, thank_you_message: str, redirect_url: str
) -> dict:
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Enter a name for the form."
    elif len(name) > 200:
        errors["name"] = "A name has at most 200 characters."
    submit_text = " ".join(submit_text.split()) or "Submit"
    if len(submit_text) > 100:
        errors["submit_text"] = "The button text has at most 100 characters."
    redirect_url = redirect_url.strip()
    if redirect_url:
        try:
            URLValidator(schemes=["http", "https"])(redirect_url)
        except ValidationError:
            errors["redirect_url"] = "Enter a full http:// or https:// address, or leave it empty."
    cleaned_fields = _clean_fields(fields, errors)
    if errors:
        raise FormInvalid(errors)
    return {
        "name": name,
        "submit_text": submit_text,
        "thank_you_message": thank_you_message.strip() or DEFAULT_THANK_YOU,
        "redirect_url": redirect_url,
        "fields": cleaned_fields,
    }


def _write_fields(form: Form, fields: Sequence[FieldSpec]) -> None:
    FormField.objects.filter(form=form).delete()
    FormField.objects.bulk_create(
        FormField(form=form, name=spec.name, label=spec.label, required=spec.required, position=spec.position)
        for spec in fields
    )


def form_create(
    *,
    name: str,
    fields: Sequence[FieldSpec],
    actor: Actor,
    submit_text: str = "Submit",
    thank_you_message: str = DEFAULT_THANK_YOU,
    redirect_url: str = "",
    now: datetime | None = None,
) -> Form:
    """Create a form. It must have the Email field, which is always required (contacts are matched by
    email). Its "Set contacts created as marketing contacts" setting starts on (R5's default) when the
    builder has Marketing contact access; without it (R30) the form starts with the setting stored off,
    recorded as that builder's change, since any visitor's submission of a form that is on sets its
    contact as marketing."""
    actor.ensure_permission(ADD_PERMISSION, BUILD_REFUSED)
    definition = _clean_definition(
        name=name,
        fields=fields,
        submit_text=submit_text,
        thank_you_message=thank_you_message,
        redirect_url=redirect_url,
    )
    fields = definition.pop("fields")
    created_at = now or timezone.now()
    with transaction.atomic():
        form = Form.objects.create(**definition, created_at=created_at, updated_at=created_at, created_by=actor.user)
        _write_fields(form, fields)
        if not actor.may_change_status():
            creation_tool_setting_start_off(
                tool=CreationTool.HUBSPOT_FORM, source_id=form.source_id, actor=actor, now=now
            )
    return form


def form_update(
    *,
    form: Form,
    name: str,
    fields: Sequence[FieldSpec],
    actor: Actor,
    submit_text: str = "Submit",
    thank_you_message: str = DEFAULT_THANK_YOU,
    redirect_url: str = "",
) -> Form:
    """Replace a form's definition. Past submissions keep the values they were sent with."""
    actor.ensure_permission(CHANGE_PERMISSION, BUILD_REFUSED)
    definition = _clean_definition(
        name=name,
        fields=fields,
        submit_text=submit_text,
        thank_you_message=thank_you_message,
        redirect_url=redirect_url,
    )
    fields = definition.pop("fields")
    with transaction.atomic():
        Form.objects.filter(pk=form.pk).update(**definition, updated_at=timezone.now())
        _write_fields(form, fields)
    return Form.objects.get(pk=form.pk)
