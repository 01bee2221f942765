"""The contact record (properties, marketing status and its history, lists), its edit page, the
"Set as (non-)marketing contact" buttons (R10–R13, R30) and manual creation (R3).

Views only parse input, check permissions and call services; every marketing write goes through
`contacts.services` or `marketing_status.services`.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from billing.selectors import marketing_contacts_enabled, next_update_date, subscription_get
from contacts.models import Contact
from contacts.services import ContactConflict, ContactInvalid, contact_update
from crm.refusals import permission_required
from crm.sources import SourceName, sources_resolve
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool, ReasonType
from marketing_status.services import (
    MarketingContactsNotEnabled,
    SwitchResult,
    TierGuardRefused,
    contacts_set_marketing,
    contacts_set_non_marketing,
)
from screens.contacts.forms import ContactCreateForm, ContactEditForm

TO_MARKETING, TO_NON_MARKETING = "marketing", "non_marketing"
NO_ACCESS = "You need the Marketing contact access permission to change marketing contact status."


def _next_update() -> date | None:
    subscription = subscription_get()
    return next_update_date(subscription=subscription) if subscription else None


def _actor(change: MarketingStatusChange, names: dict) -> SourceName | str:
    if change.actor_type == ActorKind.SYSTEM:
        return ActorKind.SYSTEM.label
    return names.get((change.actor_type, change.actor_id), ActorKind.label_of(change.actor_type))


def _names(contact: Contact, changes: list[MarketingStatusChange]) -> dict:
    """Every source and actor the page names, resolved in one batch (a query per kind, not per row)."""
    pairs = [
        (contact.marketable_reason_type, contact.marketable_reason_id),
        (contact.creation_tool, contact.creation_source_id),
    ]
    for change in changes:
        pairs += [(change.reason_type, change.reason_id), (change.actor_type, change.actor_id)]
    return sources_resolve(pairs)


def _marketing_properties(contact: Contact, names: dict) -> list[tuple[str, str, object]]:
    """The four hs_marketable_* properties as (internal name, label, shown value), labels from the spec."""
    props = contact.hs_marketable_properties()
    status = {"true": "Marketing contact", "false": "Non-marketing contact"}.get(props["hs_marketable_status"], "")
    reason_type = contact.marketable_reason_type
    return [
        ("hs_marketable_status", "Marketing contact status", status),
        (
            "hs_marketable_until_renewal",
            "Marketing contact until next update",
            "Yes" if contact.marketable_until_renewal else "",
        ),
        ("hs_marketable_reason_type", "Marketing contact status source type", ReasonType.label_of(reason_type)),
        (
            "hs_marketable_reason_id",
            "Marketing contact status source name",
            names.get((reason_type, contact.marketable_reason_id), ""),
        ),
    ]


def _plain_properties(contact: Contact, names: dict) -> list[tuple[str, object]]:
    return [
        ("Email", contact.email or ""),
        ("First name", contact.first_name),
        ("Last name", contact.last_name),
        ("Company", contact.company),
        ("Phone number", contact.phone),
        ("Lifecycle stage", contact.get_lifecycle_stage_display()),
        ("Email subscription", contact.get_email_subscription_display()),
        ("Email hard bounced", "Yes" if contact.email_hard_bounced else "No"),
        ("Creation tool", contact.get_creation_tool_display()),
        ("Creation source", names.get((contact.creation_tool, contact.creation_source_id), "")),
        ("Create date", contact.created_at),
        ("Last modified", contact.updated_at),
    ]


def _history(changes: list[MarketingStatusChange], names: dict) -> list[dict]:
    return [
        {
            "changed_at": change.changed_at,
            "old_label": change.old_label,
            "new_label": change.new_label,
            "reason_type": ReasonType.label_of(change.reason_type) if change.reason_type else "",
            "source": names.get((change.reason_type, change.reason_id), ""),
            "actor": _actor(change, names),
        }
        for change in changes
    ]


def _render_record(request, contact: Contact, *, status: int = 200, **extra):
    memberships = contact.list_memberships.select_related("contact_list").order_by("contact_list__name")
    changes = list(contact.marketing_history.order_by("-changed_at", "-pk"))
    names = _names(contact, changes)
    context = {
        "title": str(contact),
        "section": "contacts",
        "contact": contact,
        "properties": _plain_properties(contact, names),
        "marketing_properties": _marketing_properties(contact, names),
        "history": _history(changes, names),
        "memberships": memberships,
        "next_update": _next_update(),
        "may_change_status": Actor.for_user(request.user).may_change_status(),
        "may_edit": request.user.has_perm("contacts.change_contact"),
        "confirm_non_marketing": request.GET.get("confirm") == TO_NON_MARKETING,
        "no_access_message": NO_ACCESS,
        **extra,
    }
    return render(request, "contacts/record.html", context, status=status)


@login_required
def record(request, pk: int):
    return _render_record(request, get_object_or_404(Contact, pk=pk))


def _switch_message(before: Contact, to: str, result: SwitchResult, next_update: date | None) -> tuple[int, str]:
    when = date_format(next_update) if next_update else "the next update date"
    if to == TO_MARKETING:
        if not result.changed:
            return messages.INFO, "It is already a marketing contact: nothing changed."
        if before.marketable_until_renewal:
            return messages.SUCCESS, "The switch to non-marketing was cancelled: it stays a marketing contact."
        return messages.SUCCESS, "Set as a marketing contact."
    if result.changed:
        return (
            messages.SUCCESS,
            f"It stays a marketing contact until the next update date, {when}, then becomes non-marketing.",
        )
    if before.marketable_until_renewal:
        return messages.INFO, f"It already becomes non-marketing on {when}: nothing changed."
    return messages.INFO, "It is already a non-marketing contact: nothing changed."


@login_required
@require_POST
def record_status(request, pk: int):
    """R10–R13 for one contact; refused without Marketing contact access (R30, 403, nothing changed)."""
    contact = get_object_or_404(Contact, pk=pk, archived_at__isnull=True)
    to = request.POST.get("to")
    if to not in (TO_MARKETING, TO_NON_MARKETING):
        return HttpResponseBadRequest("'to' must be 'marketing' or 'non_marketing'.")
    actor = Actor.for_user(request.user)
    try:
        if to == TO_MARKETING:
            confirm = request.POST.get("confirm_tier_upgrade") == "1"
            result = contacts_set_marketing(contacts=[contact.pk], actor=actor, confirm_tier_upgrade=confirm)
        else:
            result = contacts_set_non_marketing(contacts=[contact.pk], actor=actor)
    except MarketingStatusPermissionDenied as refusal:
        messages.error(request, str(refusal))
        return _render_record(request, contact, status=403)
    except TierGuardRefused as refusal:
        messages.error(request, str(refusal))
        return _render_record(request, contact, status=409, tier_refusal=refusal)
    except MarketingContactsNotEnabled as refusal:
        messages.error(request, str(refusal))
        return _render_record(request, contact, status=409)
    level, text = _switch_message(contact, to, result, _next_update())
    messages.add_message(request, level, text)
    return redirect("contacts:record", pk=contact.pk)


@login_required
@permission_required("contacts.change_contact")
def record_edit(request, pk: int):
    """Edit plain properties through `contact_update`; marketing status is not editable here."""
    contact = get_object_or_404(Contact, pk=pk, archived_at__isnull=True)
    form = ContactEditForm(request.POST or None, initial=ContactEditForm.initial_for(contact))
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(contact=contact, data=form.cleaned_data, actor=Actor.for_user(request.user))
        except ContactInvalid as invalid:
            form.add_service_errors(invalid.errors[0])
        except ContactConflict as conflict:
            form.add_conflict(conflict)
        else:
            messages.success(request, "Contact saved.")
            return redirect("contacts:record", pk=contact.pk)
    context = {"title": f"Edit {contact}", "section": "contacts", "contact": contact, "form": form}
    return render(request, "contacts/edit.html", context)


@login_required
@permission_required("contacts.add_contact")
def record_create(request):
    """R3: create a contact manually, non-marketing unless the creator (with R30's permission) chooses marketing."""
    allowed = Actor.for_user(request.user).may_change_status()
    form = ContactCreateForm(request.POST or None, may_set_marketing=allowed)
    status = 200
    if request.method == "POST" and form.is_valid():
        contact, status = _create_from_form(request, form)
        if contact is not None:
            messages.success(request, f"Contact {contact} created.")
            return redirect("contacts:record", pk=contact.pk)
    context = {
        "title": "Create contact",
        "section": "contacts",
        "form": form,
        "may_set_marketing": allowed,
        "marketing_enabled": marketing_contacts_enabled(),
        "no_access_message": NO_ACCESS,
    }
    return render(request, "contacts/create.html", context, status=status)


def _create_from_form(request, form: ContactCreateForm) -> tuple[Contact | None, int]:
    """Call the service (`contacts_create`, which also takes B4's confirmation); on refusal put the
    reason on the form and return the response status."""
    try:
        (contact,) = contacts_create(
            data=[form.properties()],
            tool=CreationTool.MANUAL,
            actor=Actor.for_user(request.user),
            marketing=form.cleaned_data["marketing"],
            confirm_tier_upgrade=form.cleaned_data["confirm_tier_upgrade"],
        )
    except MarketingStatusPermissionDenied as refusal:
        form.add_error("marketing", str(refusal))
        return None, 403
    except TierGuardRefused as refusal:
        form.add_error(None, str(refusal))
        form.tier_refusal = refusal
        return None, 409
    except ContactInvalid as invalid:
        form.add_service_errors(invalid.errors[0])
    except ContactConflict as conflict:
        form.add_conflict(conflict)
    else:
        return contact, 201
    return None, 200
