"""Settings > Lead capture, and the toggle every tool's settings screen shares.

`setting_context` and `setting_switch` give a form's, a chatflow's or the account's
"create contacts as marketing" setting (R5–R7) one look and one write path: the template
`capture/_marketing_setting.html` shows the state, the switch and the history of changes (who, when,
old, new); the POST goes through `creation_tool_setting_set`, which checks Marketing contact access
(R30). A refusal is 403 and changes nothing. The settings page also lists every tool that sets
marketing status now (`capture.selectors.status_setting_tools`), so that admins can switch off those
whose configurer lost the access: the tools keep working until then (see the README).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from capture.forms import SwitchForm
from capture.selectors import setting_changes, setting_history, status_setting_tools
from crm.refusals import refused
from crm.sources import sources_resolve
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied
from marketing_status.policy import CONFIGURABLE_TOOL_DEFAULTS, CreationTool
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import creation_tool_setting_set

NO_ACCESS = "You need the Marketing contact access permission to change marketing contact status."
TOOL_LABELS = {
    CreationTool.HUBSPOT_FORM: "Form",
    CreationTool.NON_HUBSPOT_FORM: "Non-HubSpot forms",
    CreationTool.CHATFLOW: "Chatflow",
    CreationTool.INTEGRATION: "Integration",
}


def setting_context(*, request: HttpRequest, tool: CreationTool, source_id: str, action_url: str, label: str) -> dict:
    """What `capture/_marketing_setting.html` needs to show one tool's setting."""
    return {
        "setting_label": label,
        "setting_on": creation_tool_setting_get(tool=tool, source_id=source_id),
        "setting_default_on": CONFIGURABLE_TOOL_DEFAULTS[tool],
        "setting_action_url": action_url,
        "setting_history": setting_history(tool=tool, source_id=source_id),
        "setting_may_toggle": Actor.for_user(request.user).may_change_status(),
        "setting_no_access": NO_ACCESS,
    }


def setting_switch(*, request: HttpRequest, tool: CreationTool, source_id: str, name: str) -> HttpResponse | None:
    """Apply a posted toggle; None when done (messages say what happened), else the refusal to return."""
    form = SwitchForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("value must be 1 or 0")
    value = form.cleaned_data["value"]
    before = creation_tool_setting_get(tool=tool, source_id=source_id)
    try:
        creation_tool_setting_set(
            tool=tool, source_id=source_id, marketing_on_create=value, actor=Actor.for_user(request.user)
        )
    except MarketingStatusPermissionDenied as refusal:
        return refused(request, str(refusal), permission=MARKETING_ACCESS_PERMISSION, section="settings")
    if before == value:
        messages.info(request, f"Nothing changed: it was already {'on' if value else 'off'}.")
    else:
        kind = "marketing" if value else "non-marketing"
        messages.success(request, f"{name} now creates {kind} contacts (from now on).")
    return None


@login_required
def settings_page(request):
    """R6's account-wide setting, every tool that sets marketing status now (with a warning where whoever
    switched it on may no longer), and every change of any tool's setting (forms, chatflows, integrations)."""
    changes = list(setting_changes())
    names = sources_resolve((change.tool, change.source_id) for change in changes)
    context = {
        "title": "Lead capture",
        "section": "settings",
        "status_tools": status_setting_tools(),
        "changes": [
            (TOOL_LABELS.get(change.tool, change.tool), names.get((change.tool, change.source_id)), change)
            for change in changes
        ],
    }
    context |= setting_context(
        request=request,
        tool=CreationTool.NON_HUBSPOT_FORM,
        source_id="",
        action_url=reverse("capture:non_hubspot_forms_setting"),
        label="Set new contacts created through non-HubSpot forms as marketing contacts",
    )
    return render(request, "capture/settings.html", context)


@login_required
@require_POST
def non_hubspot_forms_setting(request):
    """R6: the account-wide toggle for non-HubSpot forms."""
    refusal = setting_switch(
        request=request, tool=CreationTool.NON_HUBSPOT_FORM, source_id="", name="Non-HubSpot forms"
    )
    return refusal or redirect("capture:settings")
