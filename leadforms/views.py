"""Marketing > Forms: the form builder, its per-form marketing setting (R5), embed codes, and the
submissions of forms and of captured non-HubSpot forms (R6).

Viewing needs `leadforms.view_form`, creating `leadforms.add_form`, editing and the toggle
`leadforms.change_form`; the toggle also needs Marketing contact access (R30), which the service
checks. A form built without that access starts with its setting off (`form_create`), and the editor
says so. Refusals are 403 and change nothing. Views parse input, check permissions and call services.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from capture.public import HONEYPOT_FIELD
from capture.views import setting_context, setting_switch
from crm.addresses import public_base_url
from crm.decorators import requires
from crm.refusals import Refused
from leadforms.builder import FormInvalid, form_create, form_update
from leadforms.forms import FIELDS_PREFIX, DefinitionForm, field_rows, field_specs
from leadforms.models import ExternalForm, Form
from leadforms.selectors import (
    external_forms_list,
    form_by_guid,
    form_submissions,
    forms_list,
    forms_marketing_on_create,
    non_hubspot_forms_marketing_on_create,
    public_fields,
)
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool
from marketing_status.selectors import creation_tool_setting_get

VIEW_PERMISSION = "leadforms.view_form"
ADD_PERMISSION = "leadforms.add_form"
CHANGE_PERMISSION = "leadforms.change_form"
PER_PAGE = 50
SETTING_LABEL = "Set contacts created as marketing contacts"
# Shown where a builder without Marketing contact access (R30) meets a form whose setting is off.
NON_MARKETING_NOTE = (
    "New contacts from this form will be non-marketing; ask an admin for Marketing contact access to change it."
)


def _form_or_404(guid) -> Form:
    form = form_by_guid(guid)
    if form is None:
        raise Http404("No such form.")
    return form


# --- Lists -----------------------------------------------------------------------------------


@requires(VIEW_PERMISSION)
def index(request):
    """Forms with their submission counts and setting, then the captured non-HubSpot forms (R6)."""
    page = Paginator(forms_list(), PER_PAGE).get_page(request.GET.get("page"))
    forms = list(page.object_list)
    marketing = forms_marketing_on_create(forms=forms)
    external_page = Paginator(external_forms_list(), PER_PAGE).get_page(request.GET.get("external_page"))
    base = public_base_url(request)
    context = {
        "title": "Forms",
        "section": "marketing",
        "page": page,
        "rows": [{"form": form, "marketing_on_create": marketing[form.pk]} for form in forms],
        "external_page": external_page,
        "non_hubspot_on": non_hubspot_forms_marketing_on_create(),
        "collector_snippet": (
            f'<script src="{base}{reverse("leadforms_public:collector_script")}" '
            f'data-portal-id="{settings.CRM_PORTAL_ID}" async></script>'
        ),
        "may_add": request.user.has_perm(ADD_PERMISSION),
    }
    return render(request, "leadforms/index.html", context)


# --- Builder ---------------------------------------------------------------------------------


def _put_back(invalid: FormInvalid, definition: DefinitionForm, rows, origins: list[int]) -> None:
    """Show the service's refusal on the inputs it concerns."""
    for key, message in invalid.errors.items():
        if key.startswith("fields."):
            rows.forms[origins[int(key.split(".", 1)[1])]].add_error("property", message)
        elif key in definition.fields:
            definition.add_error(key, message)
        else:
            definition.add_error(None, message)


def _save(request, form: Form | None):
    """Validate the posted definition and call the service; (saved form, None) or (None, (definition, rows))."""
    definition, rows = DefinitionForm.for_form(form, request.POST), field_rows(form, request.POST)
    if not (definition.is_valid() and rows.is_valid()):
        return None, (definition, rows)
    specs, origins = field_specs(rows)
    arguments = {**definition.cleaned_data, "fields": specs, "actor": Actor.for_user(request.user)}
    try:
        saved = form_create(**arguments) if form is None else form_update(form=form, **arguments)
    except FormInvalid as invalid:
        _put_back(invalid, definition, rows, origins)
        return None, (definition, rows)
    return saved, None


def _render_editor(request, form: Form | None, definition, rows, *, status: int = 200):
    context = {
        "title": form.name if form else "Create form",
        "section": "marketing",
        "form_obj": form,
        "definition": definition,
        "rows": rows,
        "fields_prefix": FIELDS_PREFIX,
        "may_change": form is None or request.user.has_perm(CHANGE_PERMISSION),
        "may_change_status": Actor.for_user(request.user).may_change_status(),
        "non_marketing_note": NON_MARKETING_NOTE,
    }
    if form is not None:
        context |= _setting_context(request, form, may_change=context["may_change"])
        context["hosted_url"] = public_base_url(request) + reverse("leadforms_public:hosted_form", args=[form.guid])
    return render(request, "leadforms/edit.html", context, status=status)


def _setting_context(request, form: Form, *, may_change: bool) -> dict:
    """R5's toggle, disabled with the reason when this user may not switch it."""
    context = setting_context(
        request=request,
        tool=CreationTool.HUBSPOT_FORM,
        source_id=form.source_id,
        action_url=reverse("leadforms:marketing_setting", args=[form.guid]),
        label=SETTING_LABEL,
    )
    if not may_change:
        context["setting_no_access"] = "You need permission to edit forms."
    elif not context["setting_may_toggle"] and not context["setting_on"]:
        context["setting_no_access"] = NON_MARKETING_NOTE
    context["setting_may_toggle"] = context["setting_may_toggle"] and may_change
    return context


@requires(ADD_PERMISSION)
@require_http_methods(["GET", "POST"])
def new(request):
    if request.method == "GET":
        return _render_editor(request, None, DefinitionForm.for_form(None), field_rows(None))
    saved, invalid = _save(request, None)
    if saved is None:
        return _render_editor(request, None, *invalid, status=400)
    on = creation_tool_setting_get(tool=CreationTool.HUBSPOT_FORM, source_id=saved.source_id)
    outcome = "It creates marketing contacts unless you switch it off." if on else NON_MARKETING_NOTE
    messages.success(request, f"Form “{saved.name}” created. {outcome}")
    return redirect("leadforms:edit", guid=saved.guid)


@requires(VIEW_PERMISSION)
@require_http_methods(["GET", "POST"])
def edit(request, guid):
    """The editor (read-only without `change_form`) with the form's R5 setting and its history."""
    form = _form_or_404(guid)
    if request.method == "GET":
        return _render_editor(request, form, DefinitionForm.for_form(form), field_rows(form))
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise Refused(permission=CHANGE_PERMISSION)
    saved, invalid = _save(request, form)
    if saved is None:
        return _render_editor(request, form, *invalid, status=400)
    messages.success(request, f"Form “{saved.name}” saved.")
    return redirect("leadforms:edit", guid=saved.guid)


@requires(CHANGE_PERMISSION)
@require_POST
def marketing_setting(request, guid):
    """R5: switch "Set contacts created as marketing contacts" for this form (R30-checked; 403 on refusal)."""
    form = _form_or_404(guid)
    refusal = setting_switch(request=request, tool=CreationTool.HUBSPOT_FORM, source_id=form.source_id, name=form.name)
    return refusal or redirect(reverse("leadforms:edit", args=[form.guid]) + "#marketing-setting")


# --- Embed codes and submissions -------------------------------------------------------------


@requires(VIEW_PERMISSION)
def embed(request, guid):
    """The script embed code (HubSpot's), a plain-HTML alternative that works without script, the hosted page."""
    form = _form_or_404(guid)
    base = public_base_url(request)
    portal = settings.CRM_PORTAL_ID
    script_snippet = (
        f'<script charset="utf-8" type="text/javascript" src="{base}{reverse("leadforms_public:embed_script")}">'
        f"</script>\n<script>\n  hbspt.forms.create({{\n"
        f'    portalId: "{portal}",\n    formId: "{form.guid}"\n  }});\n</script>'
    )
    plain = render_to_string(
        "leadforms/public/_plain_form.html",
        {
            "action_url": base + reverse("leadforms_public:hosted_form", args=[form.guid]),
            "rows": [{"field": field, "value": "", "error": ""} for field in public_fields(form=form)],
            "honeypot": HONEYPOT_FIELD,
            "submit_text": form.submit_text,
        },
    )
    context = {
        "title": f"Embed {form.name}",
        "section": "marketing",
        "form_obj": form,
        "script_snippet": script_snippet,
        "plain_snippet": plain.strip(),
        "hosted_url": base + reverse("leadforms_public:hosted_form", args=[form.guid]),
        "submit_url": base + reverse("leadforms_public:submit", args=[portal, form.guid]),
    }
    return render(request, "leadforms/embed.html", context)


@requires(VIEW_PERMISSION)
def submissions(request, guid):
    form = _form_or_404(guid)
    page = Paginator(form_submissions(form=form), PER_PAGE).get_page(request.GET.get("page"))
    context = {"title": f"Submissions of {form.name}", "section": "marketing", "form_obj": form, "page": page}
    return render(request, "leadforms/submissions.html", context)


@requires(VIEW_PERMISSION)
def external_submissions(request, guid):
    external = get_object_or_404(ExternalForm, guid=guid)
    page = Paginator(form_submissions(external_form=external), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": f"Submissions of {external.label}",
        "section": "marketing",
        "external_form": external,
        "page": page,
    }
    return render(request, "leadforms/submissions.html", context)
