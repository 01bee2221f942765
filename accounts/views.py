"""Users & groups (settings): invited users and groups, Marketing contact access per user and group (R30),
billing contacts (R24); and the public page where an invited user sets a first password.

Only administrators with `auth.change_user` see the page or change anything (inviting users and changing
groups needs Django's permission for that too); changes go through `accounts.services`.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.models import Group
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN, PasswordResetConfirmView
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ConfirmForm, GroupForm, InviteForm, SwitchForm
from accounts.invitations import invitation_token_generator
from accounts.selectors import group_members, groups_access, users_access, users_ordered
from accounts.services import (
    ADD_GROUP_PERMISSION,
    ADD_USER_PERMISSION,
    ADMIN_PERMISSION,
    CHANGE_GROUP_PERMISSION,
    DELETE_GROUP_PERMISSION,
    AccountChangeRefused,
    billing_contact_set,
    ensure_account_permission,
    group_create,
    group_delete,
    group_marketing_access_set,
    group_update,
    invitation_accept,
    invitation_resend,
    user_active_set,
    user_invite,
    user_marketing_access_set,
)
from billing.selectors import subscription_get
from crm.addresses import public_base_url
from crm.decorators import requires
from marketing_status.actors import Actor

USERS_PER_PAGE = 50


admin_required = requires(ADMIN_PERMISSION)  # anonymous users go to sign-in; others without it get 403


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
        "may_invite": request.user.has_perm(ADD_USER_PERMISSION),
        "may_add_group": request.user.has_perm(ADD_GROUP_PERMISSION),
        "may_change_group": request.user.has_perm(CHANGE_GROUP_PERMISSION),
        "may_delete_group": request.user.has_perm(DELETE_GROUP_PERMISSION),
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


# --- Invitations and (de)activation -----------------------------------------------------------------------


def _settings_context(title: str, **extra) -> dict:
    return {"title": title, "section": "settings", **extra}


@admin_required
@require_http_methods(["GET", "POST"])
def invite(request):
    """Invite a user: created with no password; the emailed link lets them choose one."""
    actor = Actor.for_user(request.user)
    ensure_account_permission(actor, ADD_USER_PERMISSION)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            user = user_invite(
                email=data["email"],
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                groups=data["groups"],
                marketing_access=data["marketing_access"],
                base_url=public_base_url(request),
                actor=actor,
            )
        except AccountChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"{user.get_username()} is invited: an invitation is on its way to {user.email}.")
            return redirect("accounts:users")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/invite.html", _settings_context("Invite user", form=form), status=status)


@admin_required
@require_POST
def resend_invitation(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        invitation_resend(user=user, base_url=public_base_url(request), actor=Actor.for_user(request.user))
    except AccountChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"A new invitation is on its way to {user.email}; earlier links no longer work.")
    return _back(request)


@admin_required
@require_POST
def user_active(request, user_id: int):
    user = get_object_or_404(get_user_model(), pk=user_id)
    active = _switch_value(request)
    if active is None:
        return HttpResponseBadRequest("value must be 1 or 0")
    name = user.get_username()
    try:
        changed = user_active_set(user=user, active=active, actor=Actor.for_user(request.user))
    except AccountChangeRefused as refusal:
        messages.error(request, str(refusal))
        return _back(request)
    if not changed:
        messages.info(request, f"Nothing changed: {name} is already {'active' if active else 'deactivated'}.")
    elif active:
        messages.success(request, f"{name} is active again and can sign in.")
    else:
        messages.success(request, f"{name} is deactivated: they can no longer sign in.")
    return _back(request)


# --- Groups ---------------------------------------------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def group_new(request):
    actor = Actor.for_user(request.user)
    ensure_account_permission(actor, ADD_GROUP_PERMISSION)
    form = GroupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            group = group_create(
                name=data["name"], members=data["members"], marketing_access=data["marketing_access"], actor=actor
            )
        except AccountChangeRefused as refusal:
            form.add_error("name", str(refusal))
        else:
            messages.success(request, f"Group {group.name} is created.")
            return redirect("accounts:users")
    context = _settings_context("Create group", form=form, group=None)
    return render(request, "accounts/group_form.html", context, status=400 if form.is_bound else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def group_edit(request, group_id: int):
    actor = Actor.for_user(request.user)
    ensure_account_permission(actor, CHANGE_GROUP_PERMISSION)
    group = get_object_or_404(Group, pk=group_id)
    form = GroupForm(request.POST if request.method == "POST" else None, group=group)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            changed = group_update(group=group, name=data["name"], members=data["members"], actor=actor)
        except AccountChangeRefused as refusal:
            form.add_error("name", str(refusal))
        else:
            if changed:
                messages.success(request, f"Group {data['name']} is saved.")
            else:
                messages.info(request, f"Nothing changed for group {group.name}.")
            return redirect("accounts:users")
    context = _settings_context(f"Edit group {group.name}", form=form, group=group)
    return render(request, "accounts/group_form.html", context, status=400 if form.is_bound else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def group_delete_confirm(request, group_id: int):
    """GET says what members lose with the group; the confirmed POST deletes it."""
    actor = Actor.for_user(request.user)
    ensure_account_permission(actor, DELETE_GROUP_PERMISSION)
    group = get_object_or_404(Group, pk=group_id)
    if request.method == "POST" and ConfirmForm(request.POST).is_valid():
        name = group.name
        group_delete(group=group, actor=actor)
        messages.success(request, f"Group {name} is deleted.")
        return redirect("accounts:users")
    access = next(row for row in groups_access() if row.group.pk == group.pk)
    context = _settings_context(
        f"Delete group {group.name}", group=group, members=group_members(group=group), has_access=access.has_access
    )
    context["error"] = "Confirm that you want to delete this group." if request.method == "POST" else ""
    return render(request, "accounts/group_delete.html", context, status=400 if request.method == "POST" else 200)


# --- The invited user's page (public) ------------------------------------------------------------------------


class InvitationAcceptView(PasswordResetConfirmView):
    """Choose a first password from the invitation link, then signed in.

    As Django's password reset: the token moves from the URL into the session before the form is shown, and a
    bad, expired or spent link shows only that it does not work.
    """

    template_name = "registration/invitation_accept.html"
    token_generator = invitation_token_generator
    title = "Choose your password"
    backend = "django.contrib.auth.backends.ModelBackend"

    def form_valid(self, form):
        token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN, "")
        user = invitation_accept(user=self.user, token=token, password=form.cleaned_data["new_password1"])
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        if user is None:
            self.validlink = False
            return self.render_to_response(self.get_context_data())
        auth_login(self.request, user, self.backend)
        messages.success(self.request, f"Welcome, {user.get_full_name() or user.get_username()}: your password is set.")
        return redirect("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.validlink:
            context["title"] = "This invitation link doesn't work"
        return context
