"""Reads of the forms tools: lists with submission counts, submissions, and a form's public definition."""

import uuid
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from capture.public import HONEYPOT_FIELD
from capture.selectors import settings_switched_on
from capture.sources import CREATED, FORM, SWITCHED_ON, StatusTool
from leadforms.models import ExternalForm, Form, FormField, FormSubmission
from leadforms.properties import FORM_PROPERTIES
from marketing_status.models import CreationToolSetting
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, CreationTool
from marketing_status.selectors import creation_tool_setting_get


def forms_list() -> QuerySet:
    """Every form, newest first, with its numbers of submissions and of fields (a sub-select, so that the
    two counts don't multiply each other's rows)."""
    field_count = (
        FormField.objects.filter(form=OuterRef("pk")).order_by().values("form").annotate(n=Count("pk")).values("n")
    )
    return Form.objects.annotate(
        submission_count=Count("submissions"),
        field_count=Coalesce(Subquery(field_count, output_field=IntegerField()), 0),
    ).order_by("-created_at", "-pk")


def external_forms_list() -> QuerySet:
    """Every captured external form (R6), most recently captured first, with its number of submissions."""
    return ExternalForm.objects.annotate(submission_count=Count("submissions")).order_by("-last_captured_at", "-pk")


def forms_marketing_on_create(*, forms: list[Form]) -> dict[int, bool]:
    """R5 for a page of forms, in one query: each form's stored setting, or the default (on)."""
    stored = dict(
        CreationToolSetting.objects.filter(
            tool=CreationTool.HUBSPOT_FORM, source_id__in=[form.source_id for form in forms]
        ).values_list("source_id", "marketing_on_create")
    )
    default = CONFIGURABLE_TOOL_DEFAULTS[CreationTool.HUBSPOT_FORM]
    return {form.pk: stored.get(form.source_id, default) for form in forms}


def non_hubspot_forms_marketing_on_create() -> bool:
    """R6: the account-wide setting of non-HubSpot forms (on unless someone switched it off)."""
    return creation_tool_setting_get(tool=CreationTool.NON_HUBSPOT_FORM)


def form_by_guid(guid: object) -> Form | None:
    """The form with this public id, or None (also for something that is not a UUID)."""
    try:
        parsed = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    except ValueError:
        return None
    return Form.objects.filter(guid=parsed).first()


def form_submissions(*, form: Form | None = None, external_form: ExternalForm | None = None) -> QuerySet:
    """A form's (or external form's) submissions, newest first, each with its contact."""
    submissions = FormSubmission.objects.select_related("contact")
    if form is not None:
        return submissions.filter(form=form).order_by("-submitted_at", "-pk")
    return submissions.filter(external_form=external_form).order_by("-submitted_at", "-pk")


@dataclass(frozen=True)
class PublicField:
    """A form field as visitors see it (the embed script, the hosted page, the plain-HTML snippet)."""

    name: str
    label: str
    required: bool
    input_type: str
    options: tuple[tuple[str, str], ...]

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "required": self.required,
            "fieldType": self.input_type,
            "options": [{"value": value, "label": label} for value, label in self.options],
        }


def public_fields(*, form: Form) -> list[PublicField]:
    fields: list[FormField] = list(form.fields.all())
    return [
        PublicField(
            name=field.name,
            label=field.label,
            required=field.required,
            input_type=FORM_PROPERTIES[field.name].input_type,
            options=FORM_PROPERTIES[field.name].options,
        )
        for field in fields
        if field.name in FORM_PROPERTIES
    ]


def form_definition(*, form: Form, portal_id: str) -> dict:
    """What the embed script needs to render a form: fields, button, thank-you message or redirect."""
    return {
        "portalId": portal_id,
        "guid": form.source_id,
        "name": form.name,
        "submitText": form.submit_text,
        "inlineMessage": form.thank_you_message,
        "redirectUrl": form.redirect_url,
        "honeypotField": HONEYPOT_FIELD,
        "fields": [field.as_json() for field in public_fields(form=form)],
    }


def forms_by_source_id(source_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Form guid -> (name, editor URL), for pages that name it by id (`crm.sources`)."""
    guids = [source_id for source_id in source_ids if _is_uuid(source_id)]
    rows = Form.objects.filter(guid__in=guids).values_list("guid", "name")
    return {str(guid): (name, reverse("leadforms:edit", args=[guid])) for guid, name in rows}


def forms_named(source_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Form or external form guid -> (name, its page), for histories and tallies that name a form by id
    (`crm.sources`): two queries, whatever the number of ids."""
    guids = [source_id for source_id in source_ids if _is_uuid(source_id)]
    names = forms_by_source_id(guids)
    for external in ExternalForm.objects.filter(guid__in=guids).exclude(guid__in=[uuid.UUID(g) for g in names]):
        names[str(external.guid)] = (str(external), reverse("leadforms:external_submissions", args=[external.guid]))
    return names


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


FORM_EFFECT = "New contacts from it are marketing, and existing non-marketing contacts who submit it become marketing."


def forms_setting_status() -> list[StatusTool]:
    """R5 for Settings > Lead capture: the forms that set contacts as marketing now, those switched on and
    those on by default (no stored setting), each with who last switched it on, else who built it."""
    stored = CreationToolSetting.objects.filter(tool=CreationTool.HUBSPOT_FORM).values_list(
        "source_id", "marketing_on_create"
    )
    default = CONFIGURABLE_TOOL_DEFAULTS[CreationTool.HUBSPOT_FORM]
    differing = [uuid.UUID(source_id) for source_id, on in stored if on != default and _is_uuid(source_id)]
    forms = Form.objects.exclude(guid__in=differing) if default else Form.objects.filter(guid__in=differing)
    forms = list(forms.select_related("created_by").order_by("name", "pk"))
    switched = settings_switched_on(tool=CreationTool.HUBSPOT_FORM, source_ids=[form.source_id for form in forms])
    return [_form_status(form, switched.get(form.source_id)) for form in forms]


def _form_status(form: Form, change) -> StatusTool:
    url = reverse("leadforms:edit", args=[form.guid])
    return StatusTool(
        key=f"form:{form.guid}",
        kind=FORM,
        name=form.name,
        url=url,
        switch_url=url + "#marketing-setting",
        effect=FORM_EFFECT,
        person=change.changed_by if change else form.created_by,
        person_did=SWITCHED_ON if change else CREATED,
        at=change.changed_at if change else form.created_at,
    )
