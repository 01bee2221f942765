"""Users & groups (settings): Marketing contact access per user and group (R30), billing contacts (R24).

Only administrators with `auth.change_user` see the page or change anything; changes go through
`accounts.services`.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.forms import SwitchForm
from accounts.selectors import groups_access, users_access, users_ordered
from accounts.services import (
    ADMIN_PERMISSION,
    AccountChangeRefused,
    billing_contact_set,
    group_marketing_access_set,
    user_marketing_access_set,
)
from billing.selectors import subscription_get
from marketing_status.actors import Actor

USERS_PER_PAGE = 50


def admin_required(view):
    """Anonymous users go to sign-in; signed-in users without `auth.change_user` get 403."""
    return login_required(permission_required(ADMIN_PERMISSION, raise_exception=True)(view))


@admin_required
def users(request):
    page = Paginator(users_ordered(), USERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "title": "Users & groups",
        "section": "settings",
        "page": page,
        "users": users_access(users=page.object_list),
        "groups": groups_access(),
        "has_subscription": subscription_get() is not None,
    }
    return render(request, "accounts/users.html", context)


def _switch_value(request) -> bool | None:
    form = SwitchForm(request.POST)
    return form.cleaned_data["value"] if form.is_valid() else None


def _back(request):
    """Back to the page of users the admin was on."""
    url = reverse("accounts:users")
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@admin_required
@require_POST
def user_marketing_access(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    granted = _switch_value(request)
    if granted is None:
        return HttpResponseBadRequest("value must be 1 or 0")
    changed = user_marketing_access_set(user=user, granted=granted, actor=Actor.for_user(request.user))
    name = user.get_username()
    if not changed:
        messages.info(request, f"Nothing changed: {name} already {'has' if granted else 'lacks'} direct access.")
    elif granted:
        messages.success(request, f"Marketing contact access granted to {name}.")
    else:
        groups = users_access(users=[user])[0].via_groups
        still = f" They still have it through {', '.join(groups)}." if groups else ""
        messages.success(request, f"Marketing contact access removed from {name}.{still}")
    return _back(request)


@admin_required
@require_POST
def group_marketing_access(request, group_id: int):
    group = get_object_or_404(Group, pk=group_id)
    granted = _switch_value(request)
    if granted is None:
        return HttpResponseBadRequest("value must be 1 or 0")
    changed = group_marketing_access_set(group=group, granted=granted, actor=Actor.for_user(request.user))
    if not changed:
        messages.info(request, f"Nothing changed for group {group.name}.")
    else:
        verb = "granted to" if granted else "removed from"
        messages.success(request, f"Marketing contact access {verb} group {group.name}.")
    return _back(request)


@admin_required
@require_POST
def user_billing_contact(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    value = _switch_value(request)
    if value is None:
        return HttpResponseBadRequest("value must be 1 or 0")
    try:
        changed = billing_contact_set(user=user, billing_contact=value, actor=Actor.for_user(request.user))
    except AccountChangeRefused as refusal:
        messages.error(request, str(refusal))
        return _back(request)
    name = user.get_username()
    if not changed:
        messages.info(request, f"Nothing changed for {name}.")
    elif value:
        messages.success(request, f"{name} is now a billing contact.")
    else:
        messages.success(request, f"{name} is no longer a billing contact.")
    return _back(request)
