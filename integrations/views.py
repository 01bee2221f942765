"""Settings > Integrations (HubSpot's private apps): the list, creation (the token is shown once, in the
response to the POST, and stored nowhere), revoking with a confirmation step, and each integration's
"Create contacts as marketing contacts" setting (R8) with the history of its changes.

Viewing needs `integrations.view_integration`, creating `integrations.add_integration`, revoking and the
R8 toggle `integrations.change_integration`. The toggle, creating with R8 on and granting the
marketing-contacts.write scope also need Marketing contact access (R30), which the services check.
Refusals are 403 and change nothing. Views only parse input, check permissions and call services.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from crm.decorators import requires
from crm.refusals import refused
from integrations.forms import IntegrationCreateForm, RevokeForm, SwitchForm
from integrations.models import Integration
from integrations.scopes import SCOPE_CHOICES
from integrations.selectors import (
    integration_marketing_on_create,
    integration_setting_history,
    integrations_list,
    integrations_marketing_on_create,
)
from integrations.services import (
    IntegrationInvalid,
    integration_create,
    integration_marketing_on_create_set,
    integration_revoke,
)
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, Actor, MarketingStatusPermissionDenied

VIEW_PERMISSION = "integrations.view_integration"
ADD_PERMISSION = "integrations.add_integration"
CHANGE_PERMISSION = "integrations.change_integration"
PER_PAGE = 50
SCOPE_LABELS = dict(SCOPE_CHOICES)
NO_ACCESS = "You need the Marketing contact access permission to change marketing contact status."


# --- Reads ---------------------------------------------------------------------------------------


def _scopes(integration: Integration) -> list[tuple[str, str]]:
    return [(scope, SCOPE_LABELS.get(scope, scope)) for scope in integration.scopes]


# --- Pages ---------------------------------------------------------------------------------------


@requires(VIEW_PERMISSION)
def index(request):
    page = Paginator(integrations_list(), PER_PAGE).get_page(request.GET.get("page"))
    integrations = list(page.object_list)
    settings = integrations_marketing_on_create(integrations=integrations)
    rows = [
        {"integration": integration, "scopes": _scopes(integration), "marketing_on_create": settings[integration.pk]}
        for integration in integrations
    ]
    context = {
        "title": "Integrations",
        "section": "settings",
        "page": page,
        "rows": rows,
        "may_add": request.user.has_perm(ADD_PERMISSION),
    }
    return render(request, "integrations/index.html", context)


def _render_detail(request, integration: Integration, *, status: int = 200):
    may_change = request.user.has_perm(CHANGE_PERMISSION)
    context = {
        "title": integration.name,
        "section": "settings",
        "integration": integration,
        "scopes": _scopes(integration),
        "marketing_on_create": integration_marketing_on_create(integration=integration),
        "history": integration_setting_history(integration=integration),
        "may_change": may_change,
        "may_toggle": may_change and Actor.for_user(request.user).may_change_status(),
        "no_access_message": NO_ACCESS,
    }
    return render(request, "integrations/detail.html", context, status=status)


@requires(VIEW_PERMISSION)
def detail(request, pk: int):
    return _render_detail(request, get_object_or_404(integrations_list(), pk=pk))


def _refused(request, integration: Integration, message: str, *, status: int):
    """The refusal page, back to the integration; a 403 names Marketing contact access (R30)."""
    return refused(
        request,
        message,
        status=status,
        permission=MARKETING_ACCESS_PERMISSION if status == 403 else None,
        title=integration.name,
        section="settings",
        back_url=reverse("integrations:detail", args=[integration.pk]),
        back_label=f"Back to {integration.name}",
    )


# --- Create --------------------------------------------------------------------------------------


def _create_from_form(request, form: IntegrationCreateForm) -> tuple[tuple[Integration, str] | None, int]:
    """Call the service; on refusal put the reason on the form and return the response status."""
    data = form.cleaned_data
    try:
        created = integration_create(
            name=data["name"],
            scopes=data["scopes"],
            marketing_on_create=data["marketing_on_create"],
            actor=Actor.for_user(request.user),
        )
    except MarketingStatusPermissionDenied as refusal:
        form.add_error("marketing_on_create" if data["marketing_on_create"] else "scopes", str(refusal))
        return None, 403
    except IntegrationInvalid as invalid:
        form.add_error(None, str(invalid))
        return None, 200
    return created, 201


@requires(ADD_PERMISSION)
@never_cache
@require_http_methods(["GET", "POST"])
def new(request):
    """Create an integration; the token is in this response only (never stored, never cached)."""
    allowed = Actor.for_user(request.user).may_change_status()
    form = IntegrationCreateForm(request.POST if request.method == "POST" else None, may_change_status=allowed)
    status = 200
    if form.is_bound and form.is_valid():
        created, status = _create_from_form(request, form)
        if created is not None:
            integration, token = created
            context = {"title": "Integration created", "section": "settings", "integration": integration}
            context |= {"token": token, "scopes": _scopes(integration)}
            return render(request, "integrations/created.html", context, status=201)
    context = {
        "title": "Create integration",
        "section": "settings",
        "form": form,
        "may_change_status": allowed,
        "no_access_message": NO_ACCESS,
    }
    return render(request, "integrations/new.html", context, status=status)


# --- Revoke --------------------------------------------------------------------------------------


@requires(CHANGE_PERMISSION)
@require_http_methods(["GET", "POST"])
def revoke(request, pk: int):
    """GET asks for confirmation; the confirmed POST revokes the token at once (the API answers 401 after)."""
    integration = get_object_or_404(integrations_list(), pk=pk)
    status, error = 200, ""
    if request.method == "POST":
        if RevokeForm(request.POST).is_valid():
            return _revoke_confirmed(request, integration)
        status, error = 400, "Confirm that you want to revoke this token."
    context = {"title": f"Revoke {integration.name}", "section": "settings", "integration": integration}
    return render(request, "integrations/revoke.html", context | {"error": error}, status=status)


def _revoke_confirmed(request, integration: Integration):
    if integration_revoke(integration=integration, actor=Actor.for_user(request.user)):
        messages.success(request, f"{integration.name} is revoked: requests with its token are refused from now on.")
    else:
        messages.info(request, f"{integration.name} was already revoked: nothing changed.")
    return redirect("integrations:detail", pk=integration.pk)


# --- R8 toggle -----------------------------------------------------------------------------------


@requires(CHANGE_PERMISSION)
@require_POST
def marketing_on_create(request, pk: int):
    """R8: switch "Create contacts as marketing contacts"; needs Marketing contact access (R30).

    It affects only contacts created afterwards; each change is recorded with who and when.
    """
    integration = get_object_or_404(Integration, pk=pk)
    form = SwitchForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("value must be 1 or 0")
    if not integration.is_active:
        return _refused(request, integration, "This integration is revoked.", status=409)
    value = form.cleaned_data["value"]
    before = integration_marketing_on_create(integration=integration)
    try:
        integration_marketing_on_create_set(
            integration=integration, marketing_on_create=value, actor=Actor.for_user(request.user)
        )
    except MarketingStatusPermissionDenied as refusal:
        return _refused(request, integration, str(refusal), status=403)
    if before == value:
        messages.info(request, f"Nothing changed: it was already {'on' if value else 'off'}.")
    elif value:
        messages.success(request, f"{integration.name} now creates marketing contacts (from now on).")
    else:
        messages.success(request, f"{integration.name} now creates non-marketing contacts (from now on).")
    return redirect("integrations:detail", pk=integration.pk)
