"""The public side of forms: HubSpot's submission endpoint, form definitions, the embed and collector
scripts, the hosted form page, and the intake of captured non-HubSpot forms.

All are unauthenticated and wrapped by `capture.public.public_endpoint` (CORS, size and rate limits,
HubSpot's error JSON). An accepted submission, one with the honeypot filled, and (for captured
forms) one without an email all get the same answer, which never depends on whether a contact
with that email existed.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from capture.public import HONEYPOT_FIELD, IntakeError, json_body, public_endpoint, script_response
from leadforms.models import Form
from leadforms.selectors import form_by_guid, form_definition, public_fields
from leadforms.submissions import CapturedField, PageUrlInvalid, SubmissionInvalid, external_form_capture, form_submit

CONTACT_OBJECT_TYPE = "0-1"  # HubSpot's objectTypeId of contacts
NOT_VALID = "The request is not valid"
# What the hosted page tells a visitor for each of HubSpot's errorTypes (the embed script says the same).
VISITOR_MESSAGES = {
    "REQUIRED_FIELD": "Please complete this required field.",
    "INVALID_EMAIL": "Please enter a valid email address.",
    "INPUT_TOO_LARGE": "This value is too long.",
    "VALUE_NOT_IN_FIELD_DEFINITION": "Please select one of the options.",
}


def _form_or_404(portal_id: str, guid: str) -> Form:
    form = form_by_guid(guid) if portal_id == settings.CRM_PORTAL_ID else None
    if form is None:
        raise IntakeError(404, f"No form {guid} in portal {portal_id}.")
    return form


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise IntakeError(400, NOT_VALID, [{"message": "Field values must be strings.", "errorType": "INVALID_METADATA"}])


def _submitted_values(body: Mapping[str, Any]) -> dict[str, str]:
    """`fields: [{objectTypeId, name, value}]` as name → value; fields of other objects are not in any form."""
    fields = body.get("fields")
    if not isinstance(fields, list) or not all(isinstance(field, dict) for field in fields):
        raise IntakeError(
            400, NOT_VALID, [{"message": "'fields' must be a list of objects.", "errorType": "INVALID_METADATA"}]
        )
    values: dict[str, str] = {}
    for field in fields:
        name = field.get("name")
        if not isinstance(name, str) or not name:
            raise IntakeError(
                400, NOT_VALID, [{"message": "Every field needs a name.", "errorType": "INVALID_METADATA"}]
            )
        object_type = field.get("objectTypeId", CONTACT_OBJECT_TYPE)
        key = name if object_type == CONTACT_OBJECT_TYPE else f"{object_type}/{name}"
        values[key] = _text(field.get("value"))
    return values


def _context(body: Mapping[str, Any]) -> dict[str, str]:
    context = body.get("context")
    if not isinstance(context, dict):
        return {}
    return {key: context[key] for key in ("pageUri", "pageName") if isinstance(context.get(key), str)}


def _accepted(form: Form) -> dict[str, str]:
    """HubSpot's success answer: where to send the visitor, or the message to show."""
    return {"redirectUri": form.redirect_url} if form.redirect_url else {"inlineMessage": form.thank_you_message}


@public_endpoint(methods=("POST",))
def submit(request: HttpRequest, portal_id: str, guid: str) -> HttpResponse:
    """`POST /submissions/v3/integration/submit/<portal id>/<form guid>`, HubSpot's unauthenticated endpoint (R5)."""
    form = _form_or_404(portal_id, guid)
    body = json_body(request)
    try:
        form_submit(form=form, values=_submitted_values(body), context=_context(body))
    except SubmissionInvalid as invalid:
        raise IntakeError(400, NOT_VALID, [error.as_json() for error in invalid.errors]) from None
    return JsonResponse(_accepted(form))


@public_endpoint(methods=("GET",), counted=False)
def definition(request: HttpRequest, portal_id: str, guid: str) -> HttpResponse:
    """The form as the embed script renders it."""
    return JsonResponse(form_definition(form=_form_or_404(portal_id, guid), portal_id=settings.CRM_PORTAL_ID))


@public_endpoint(methods=("GET",), counted=False)
def embed_script(request: HttpRequest) -> HttpResponse:
    """`hbspt.forms.create({portalId, formId, target})`, so HubSpot embed codes work against this server."""
    return script_response("leadforms/embed-v2.js")


@public_endpoint(methods=("GET",), counted=False)
def collector_script(request: HttpRequest) -> HttpResponse:
    """The non-HubSpot forms collector (R6), for `<script src=... data-portal-id=...>` on other sites."""
    return script_response("leadforms/collector.js")


# --- The hosted form page --------------------------------------------------------------------


def _hosted_page(request, form: Form, *, values=None, errors=None, status: int = 200, done: bool = False):
    values, errors = values or {}, errors or {}
    context = {
        "form_obj": form,
        "portal_id": settings.CRM_PORTAL_ID,
        "action_url": reverse("leadforms_public:hosted_form", args=[form.guid]),
        "rows": [
            {"field": field, "value": values.get(field.name, ""), "error": errors.get(field.name, "")}
            for field in public_fields(form=form)
        ],
        "form_errors": errors.get("", []),
        "honeypot": HONEYPOT_FIELD,
        "submit_text": form.submit_text,
        "done": done,
        "bound": bool(values),
    }
    return render(request, "leadforms/public/hosted.html", context, status=status)


def _hosted_form(guid) -> Form:
    form = form_by_guid(guid)
    if form is None:
        raise Http404("No such form.")
    return form


@public_endpoint(methods=("GET",), counted=False)
def _hosted_get(request: HttpRequest, guid) -> HttpResponse:
    return _hosted_page(request, _hosted_form(guid))


@public_endpoint(methods=("POST",))
def _hosted_post(request: HttpRequest, guid) -> HttpResponse:
    """The hosted page posted as plain HTML (no script): errors on the page, or the thank-you message."""
    form = _hosted_form(guid)
    values = {name: request.POST.get(name, "") for name in request.POST}
    try:
        form_submit(form=form, values=values, context={"pageUri": request.build_absolute_uri(), "pageName": form.name})
    except SubmissionInvalid as invalid:
        errors: dict[str, Any] = {"": []}
        for error in invalid.errors:
            message = VISITOR_MESSAGES.get(error.error_type, error.message)
            if error.field and error.field not in errors:
                errors[error.field] = message
            else:
                errors[""].append(message)
        return _hosted_page(request, form, values=values, errors=errors, status=400)
    if form.redirect_url:
        return redirect(form.redirect_url)
    return _hosted_page(request, form, done=True)


@csrf_exempt
def hosted_form(request: HttpRequest, guid) -> HttpResponse:
    """`/forms/<guid>/`: the form on its own page; page views are not rate-limited, submissions are."""
    if request.method == "POST":
        return _hosted_post(request, guid)
    return _hosted_get(request, guid)


# --- Captured non-HubSpot forms (R6) ---------------------------------------------------------


def _captured_fields(body: Mapping[str, Any]) -> list[CapturedField]:
    fields = body.get("fields")
    if not isinstance(fields, list) or not all(isinstance(field, dict) for field in fields):
        raise IntakeError(
            400, NOT_VALID, [{"message": "'fields' must be a list of objects.", "errorType": "INVALID_METADATA"}]
        )
    return [
        CapturedField(
            name=str(field.get("name") or ""), value=_text(field.get("value")), type=str(field.get("type") or "text")
        )
        for field in fields
    ]


def _position(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10_000 else None


@public_endpoint(methods=("POST",))
def collected_submit(request: HttpRequest, portal_id: str) -> HttpResponse:
    """`POST /collected-forms/v1/submit/<portal id>`: one submission of an ordinary form on another site.

    Answered 200 with an empty object whether the capture was stored, held as spam (honeypot), or had
    no email field (HubSpot makes no contact without one): the page's script has nothing to act on,
    and the answer says nothing about the visitor. Malformed requests are 400, an unknown portal 404.
    """
    if portal_id != settings.CRM_PORTAL_ID:
        raise IntakeError(404, f"No portal {portal_id}.")
    body = json_body(request)
    fields = _captured_fields(body)
    try:
        external_form_capture(
            page_url=str(body.get("pageUrl") or ""),
            page_title=str(body.get("pageTitle") or ""),
            form_id_attr=str(body.get("formId") or ""),
            form_name_attr=str(body.get("formName") or ""),
            position=_position(body.get("formPosition")),
            fields=fields,
        )
    except PageUrlInvalid as invalid:
        raise IntakeError(400, NOT_VALID, [{"message": str(invalid), "errorType": "INVALID_PAGE_URI"}]) from None
    return JsonResponse({})
