"""Bulk actions of the contacts index (R15, R16, R22, R30, B2, B4) and the recycle bin (R22).

Thin views. A *preview* reads what an action would do and renders its confirmation: a fragment for
the index's dialog (`X-Fragment: 1`, sent by static/js/bulk.js) or, without JavaScript, a page.
An *apply* view re-checks the selection, the permission and the confirmation, then hands the change
to `jobs.services.bulk_change_start`, which changes up to 1,000 contacts at once and queues a job
above that. No view writes a status field itself.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from billing.selectors import marketing_contacts_enabled, next_update_date, subscription_get
from contacts.models import Contact
from contacts.selection import InvalidSelection, Selection
from crm.refusals import Refused, permission_required
from jobs.models import Job
from jobs.services import BulkOutcome, bulk_change_start
from marketing_status.actors import MARKETING_ACCESS_PERMISSION, MarketingStatusPermissionDenied
from marketing_status.policy import TierGuard, decide_tier_guard
from marketing_status.selectors import billing_impact_get
from marketing_status.services import MarketingContactsNotEnabled, TierGuardRefused

DELETE_PERMISSION = "contacts.delete_contact"
RECYCLE_BIN_PAGE_SIZE = 50
NOT_ENABLED = "Marketing contacts are not enabled for this account."
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def bulk_view(permission: str):
    """A POST-only view for signed-in users holding `permission`; others get 403 and nothing changes."""

    def decorate(view):
        return login_required(require_POST(permission_required(permission)(view)))

    return decorate


def _contacts(count: int) -> str:
    return f"{count:,} contact" + ("" if count == 1 else "s")


# --- What each action shows before it runs ----------------------------------------------------


def _set_marketing_context(queryset: QuerySet) -> dict:
    """R15, B2, B4: how many change, the count now and after, the tier, whether the guard asks."""
    if not marketing_contacts_enabled():
        return {"error": NOT_ENABLED, "can_confirm": False}
    impact = billing_impact_get(contacts=queryset, to_marketing=True)
    guard = decide_tier_guard(
        guard_enabled=subscription_get().tier_guard_enabled,
        confirmed=False,
        crosses_tier=impact.crosses_tier,
        attended=True,
    )
    return {
        "impact": impact,
        "cancelled_pending": impact.changing - impact.becoming_marketing,
        "tier_guarded": guard is TierGuard.REFUSE,  # the confirmation must say so
        "can_confirm": impact.changing > 0,
    }


def _set_non_marketing_context(queryset: QuerySet) -> dict:
    """R16: how many current marketing contacts become non-marketing, and on which update date (R20)."""
    if not marketing_contacts_enabled():
        return {"error": NOT_ENABLED, "can_confirm": False}
    impact = billing_impact_get(contacts=queryset, to_marketing=False)
    return {
        "impact": impact,
        "update_date": next_update_date(subscription=subscription_get()),
        "can_confirm": impact.changing > 0,
    }


def _delete_context(queryset: QuerySet) -> dict:
    """R22: how many are deleted, and how many of them stop counting toward the bill at once."""
    counts = queryset.aggregate(total=Count("pk"), marketing=Count("pk", filter=Q(marketable_status=True)))
    return {
        "deleting": counts["total"],
        "marketing": counts["marketing"],
        "restore_days": settings.CRM_RESTORE_WINDOW_DAYS,
        "can_confirm": counts["total"] > 0,
    }


# --- What each action says once it ran ----------------------------------------------------------


def _set_marketing_done(outcome: BulkOutcome, context: dict) -> str:
    counts = outcome.counts
    return f"{_contacts(counts.changed)} set as marketing contacts; {counts.unchanged:,} unchanged."


def _set_non_marketing_done(outcome: BulkOutcome, context: dict) -> str:
    counts = outcome.counts
    when = date_format(context["update_date"])
    return f"{_contacts(counts.changed)} will become non-marketing on {when}; {counts.unchanged:,} unchanged."


def _delete_done(outcome: BulkOutcome, context: dict) -> str:
    counts = outcome.counts
    return (
        f"{_contacts(counts.changed)} deleted; {counts.unchanged:,} unchanged. "
        f"Restore them from the recycle bin within {settings.CRM_RESTORE_WINDOW_DAYS} days."
    )


def _restore_done(outcome: BulkOutcome, context: dict) -> str:
    counts = outcome.counts
    return (
        f"{_contacts(counts.changed)} restored; {counts.refused:,} refused "
        f"(deleted more than {settings.CRM_RESTORE_WINDOW_DAYS} days ago, "
        "or their email address now belongs to another contact)."
    )


@dataclass(frozen=True)
class BulkAction:
    kind: str
    title: str
    template: str
    apply_url: str
    context: Callable[[QuerySet], dict]
    done: Callable[[BulkOutcome, dict], str]


SET_MARKETING = BulkAction(
    Job.Kind.SET_MARKETING,
    "Set as marketing contacts",
    "contacts/bulk_set_marketing.html",
    "contacts:bulk_set_marketing",
    _set_marketing_context,
    _set_marketing_done,
)
SET_NON_MARKETING = BulkAction(
    Job.Kind.SET_NON_MARKETING,
    "Set as non-marketing contacts",
    "contacts/bulk_set_non_marketing.html",
    "contacts:bulk_set_non_marketing",
    _set_non_marketing_context,
    _set_non_marketing_done,
)
DELETE = BulkAction(
    Job.Kind.ARCHIVE,
    "Delete contacts",
    "contacts/bulk_delete.html",
    "contacts:bulk_delete",
    _delete_context,
    _delete_done,
)
STATUS_REFUSED = "You need the Marketing contact access permission to change marketing contact status."
BULK_PERMISSIONS = {
    Job.Kind.SET_MARKETING: (MARKETING_ACCESS_PERMISSION, STATUS_REFUSED),
    Job.Kind.SET_NON_MARKETING: (MARKETING_ACCESS_PERMISSION, STATUS_REFUSED),
    Job.Kind.ARCHIVE: (DELETE_PERMISSION, "You need permission to delete contacts."),
}


# --- Shared steps -------------------------------------------------------------------------------


def _next_url(request: HttpRequest, selection: Selection | None) -> str:
    """Where to go back to: the index with its query, as posted by the dialog, when it is safe."""
    candidate = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    query = selection.query if selection is not None and selection.all_matching else ""
    return reverse("contacts:index") + (f"?{query}" if query else "")


def _selection_fields(selection: Selection | None) -> list[tuple[str, object]]:
    """The selection as hidden inputs of the confirmation form, so that apply sees what preview saw."""
    if selection is None:
        return []
    if selection.all_matching:
        return [("select_all", "1"), ("query", selection.query)]
    return [("ids", pk) for pk in selection.ids]


def _render(
    request: HttpRequest, action: BulkAction, selection: Selection | None, context: dict, *, status: int = 200
) -> HttpResponse:
    fragment = request.headers.get("X-Fragment") == "1"
    context = {
        **context,
        "action": action,
        "title": action.title,
        "section": "contacts",
        "fragment": fragment,
        "template": action.template,
        "apply_url": reverse(action.apply_url),
        "selection_fields": _selection_fields(selection),
        "next": _next_url(request, selection),
    }
    return render(request, action.template if fragment else "contacts/bulk_page.html", context, status=status)


def _read(request: HttpRequest, action: BulkAction) -> tuple[Selection, dict]:
    selection = Selection.from_post(request.POST)
    return selection, action.context(selection.queryset())


def _preview(request: HttpRequest, action: BulkAction) -> HttpResponse:
    try:
        selection, context = _read(request, action)
    except InvalidSelection as error:
        return _render(request, action, None, {"error": str(error), "can_confirm": False}, status=400)
    return _render(request, action, selection, context)


def _start(
    request: HttpRequest, action: BulkAction, selection: Selection, context: dict, params: dict | None = None
) -> HttpResponse:
    """Hand the change to the job engine; show its counts, or its job page when it runs as a job."""
    try:
        outcome = bulk_change_start(kind=action.kind, selection=selection, user=request.user, params=params)
    except MarketingStatusPermissionDenied as error:
        raise Refused(str(error), permission=MARKETING_ACCESS_PERMISSION) from error
    except (TierGuardRefused, MarketingContactsNotEnabled) as error:
        return _render(request, action, selection, {**context, "error": str(error)}, status=400)
    if outcome.job is not None:
        messages.info(request, f"{action.title}: {_contacts(outcome.total)} are being processed.")
        return redirect("jobs:detail", pk=outcome.job.pk)
    messages.success(request, action.done(outcome, context))
    return redirect(_next_url(request, selection))


def _apply(request: HttpRequest, action: BulkAction, confirm=None, params: dict | None = None) -> HttpResponse:
    """Re-read the selection, let `confirm` check the user's confirmation against it, then start."""
    try:
        selection, context = _read(request, action)
    except InvalidSelection as error:
        return _render(request, action, None, {"error": str(error), "can_confirm": False}, status=400)
    if not context["can_confirm"]:
        return _render(request, action, selection, context, status=400)
    error = confirm(context) if confirm else None
    if error:
        return _render(request, action, selection, {**context, "error": error}, status=400)
    return _start(request, action, selection, context, params)


def confirmation_page(request: HttpRequest, action: BulkAction, ids: list[int]) -> HttpResponse:
    """The confirmation of `action` for picked contacts, for callers outside the index (the Django admin):
    the same impact, typed count and tier guard, posting to the same apply view (B2, B4, R15)."""
    permission, refusal = BULK_PERMISSIONS[action.kind]
    if not request.user.has_perm(permission):
        raise Refused(refusal, permission=permission)
    selection = Selection(ids=tuple(sorted(set(ids))))
    return _render(request, action, selection, action.context(selection.queryset()))


def typed_number(value: str) -> int | None:
    """The number a user typed, allowing thousands separators ("1,050"); None when it is not one."""
    digits = re.sub(r"[\s,]", "", value or "")
    return int(digits) if digits.isdigit() else None


# --- Views --------------------------------------------------------------------------------------


@bulk_view(MARKETING_ACCESS_PERMISSION)
def set_marketing_preview(request):
    return _preview(request, SET_MARKETING)


@bulk_view(MARKETING_ACCESS_PERMISSION)
def set_marketing(request):
    """R15: only the exact number of contacts that change confirms; B4: the tier box when guarded."""

    def confirm(context: dict) -> str | None:
        changing = context["impact"].changing
        if typed_number(request.POST.get("confirm_count", "")) != changing:
            return f"Type {changing:,}, the number of contacts that will change, to confirm."
        return None

    params = {"confirm_tier_upgrade": request.POST.get("confirm_tier_upgrade") == "1"}
    return _apply(request, SET_MARKETING, confirm, params)


@bulk_view(MARKETING_ACCESS_PERMISSION)
def set_non_marketing_preview(request):
    return _preview(request, SET_NON_MARKETING)


@bulk_view(MARKETING_ACCESS_PERMISSION)
def set_non_marketing(request):
    return _apply(request, SET_NON_MARKETING)


@bulk_view(DELETE_PERMISSION)
def delete_preview(request):
    return _preview(request, DELETE)


@bulk_view(DELETE_PERMISSION)
def delete(request):
    return _apply(request, DELETE)


# --- Recycle bin (R22) --------------------------------------------------------------------------


def _cursor(value: str) -> tuple[datetime, int] | None:
    """`<archived_at as epoch microseconds>_<id>` of the last row shown; None when absent or malformed."""
    micros, _, pk = (value or "").partition("_")
    if not (micros.isdigit() and pk.isdigit()):
        return None
    return EPOCH + timedelta(microseconds=int(micros)), int(pk)


def _cursor_of(contact: Contact) -> str:
    micros = (contact.archived_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{contact.pk}"


def _archived_page(cursor: tuple[datetime, int] | None) -> tuple[list[Contact], str | None]:
    """Archived contacts, most recently deleted first, by keyset on (archived_at, id)."""
    queryset = Contact.objects.filter(archived_at__isnull=False).order_by("-archived_at", "-pk")
    if cursor is not None:
        archived_at, pk = cursor
        queryset = queryset.filter(Q(archived_at__lt=archived_at) | Q(archived_at=archived_at, pk__lt=pk))
    rows = list(queryset[: RECYCLE_BIN_PAGE_SIZE + 1])
    more = len(rows) > RECYCLE_BIN_PAGE_SIZE
    rows = rows[:RECYCLE_BIN_PAGE_SIZE]
    return rows, _cursor_of(rows[-1]) if more else None


@login_required
def recycle_bin(request):
    """R22: deleted contacts, newest first, each with the last day it can be restored."""
    rows, next_cursor = _archived_page(_cursor(request.GET.get("cursor", "")))
    window = timedelta(days=settings.CRM_RESTORE_WINDOW_DAYS)
    now = timezone.now()
    contacts = [(contact, contact.archived_at + window, contact.archived_at + window > now) for contact in rows]
    context = {
        "title": "Recycle bin",
        "section": "contacts",
        "contacts": contacts,
        "archived_total": Contact.objects.filter(archived_at__isnull=False).count(),
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("cursor")),
        "restore_days": settings.CRM_RESTORE_WINDOW_DAYS,
    }
    return render(request, "contacts/recycle_bin.html", context)


@bulk_view(DELETE_PERMISSION)
def recycle_bin_restore(request):
    """R22: restore picked (or all) deleted contacts; too old ones and taken emails are refused."""
    back = reverse("contacts:recycle_bin")
    try:
        selection = Selection.from_post(request.POST, archived=True)
        outcome = bulk_change_start(kind=Job.Kind.RESTORE, selection=selection, user=request.user)
    except InvalidSelection as error:
        messages.error(request, str(error))
        return redirect(back)
    except MarketingStatusPermissionDenied as error:
        raise Refused(str(error), permission=MARKETING_ACCESS_PERMISSION) from error
    if outcome.job is not None:
        messages.info(request, f"Restore contacts: {_contacts(outcome.total)} are being processed.")
        return redirect("jobs:detail", pk=outcome.job.pk)
    messages.success(request, _restore_done(outcome, {}))
    return redirect(back)
