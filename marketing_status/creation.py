"""Creating contacts with their marketing status (R2–R9, B4) and restoring archived ones (R22).

These are the contact writes that decide or bring back a marketing status, so they live above billing:
the policy (`decide_new_contact`) gives a new contact its status, a tier check follows every write that
may grow the billable count (R24), and the tier guard may refuse or hold a creation (B4). Contacts'
plain properties are validated by `contacts.services`; every write records the change feed
(`ContactChange`) in its transaction.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from billing.models import Subscription
from billing.selectors import subscription_enabled_get
from billing.services import subscription_check_tier
from contacts.models import Contact, ContactChange
from contacts.selection import ContactSelection, id_chunks
from contacts.services import contacts_validate, email_conflict_raise
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.policy import (
    CONFIGURABLE_TOOL_DEFAULTS,
    NON_MARKETING,
    CreationTool,
    NewContactDecision,
    Status,
    TierGuard,
    decide_new_contact,
)
from marketing_status.selectors import creation_tool_setting_get, new_contacts_billing_impact
from marketing_status.services import tier_guard_apply
from marketing_status.transitions import record_creations


def _decide(
    *,
    tool: CreationTool,
    source_id: str,
    marketing: bool,
    stated_marketing: bool | None,
    actor: Actor,
) -> tuple[NewContactDecision, Subscription | None]:
    """The policy's decision, and the subscription when marketing contacts are enabled (else None).

    When the new contacts may be marketing, the subscription is locked, inside the caller's transaction:
    the first lock of the order, taken before the tier guard counts (B4), so two creations cannot both
    pass under the tier."""
    setting = creation_tool_setting_get(tool=tool, source_id=source_id) if tool in CONFIGURABLE_TOOL_DEFAULTS else None

    def decide(enabled: bool) -> NewContactDecision:
        return decide_new_contact(
            tool=tool,
            source_id=source_id,
            tool_setting=setting,
            requested_marketing=marketing,
            stated_marketing=stated_marketing,
            enabled=enabled,
        )

    subscription = subscription_enabled_get(lock=bool(decide(True).status.is_marketing))
    decision = decide(subscription is not None)
    if decision.needs_permission:
        actor.ensure_may_change_status()  # R3, R4, R30
    return decision, subscription


def contacts_create(
    *,
    data: Sequence[Mapping[str, Any]],
    tool: CreationTool,
    actor: Actor,
    source_id: str = "",
    marketing: bool = False,
    stated_marketing: bool | None = None,
    confirm_tier_upgrade: bool = False,
    tier_guard_holds: bool = False,
    now: datetime | None = None,
) -> list[Contact]:
    """R2–R9: create contacts with `tool`; their marketing status comes from the policy.

    `marketing` is the creator's choice for manual creation (R3) and single-file imports (R4);
    choosing it needs the Marketing contact access permission (R30). `stated_marketing` is the status
    an integration writes on create (B1), which needs the marketing-contacts.write scope. One history
    row is written per contact that gets a status. All or nothing: an invalid input or a taken email
    raises and creates no contact.

    B4: with the tier guard on, marketing contacts that would cross the tier raise `TierGuardRefused`
    unless `confirm_tier_upgrade`. Unattended intake (forms, chat, imports) cannot ask anyone to
    confirm and must not lose the contact, so it passes `tier_guard_holds`: the contacts are then
    created non-marketing, and the caller sees it on `marketable_status`. Marketing contacts are
    created holding the subscription's lock (the first of the lock order), taken before the guard
    counts, so two creations cannot both pass under the tier.
    """
    actor.ensure_permission("contacts.add_contact", "You need permission to create contacts.")
    rows = contacts_validate(data=data)
    if tool == CreationTool.MANUAL and not source_id and actor.kind == ActorKind.USER:
        source_id = actor.id  # R3: a manual creation's source is the user who created the contact
    try:
        with transaction.atomic():
            decision, subscription = _decide(
                tool=tool, source_id=source_id, marketing=marketing, stated_marketing=stated_marketing, actor=actor
            )
            if not rows:
                return []
            status = decision.status
            if status.is_marketing:
                status = _guarded_status(
                    subscription=subscription,
                    status=status,
                    count=len(rows),
                    confirmed=confirm_tier_upgrade,
                    attended=not tier_guard_holds,
                )
            contacts = _insert(
                rows=rows, tool=tool, source_id=source_id, status=status, decision=decision, actor=actor, now=now
            )
    except IntegrityError:
        # The unique constraint is the check, so a concurrent creation cannot slip between a look-up
        # and the INSERT; this look-up only names the contact that holds the email.
        email_conflict_raise(emails=[row["email"] for row in rows if row["email"]])
        raise
    if status.is_marketing:
        subscription_check_tier(cause_type=decision.reason_type, cause_id=decision.reason_id, now=now)
    return contacts


def _guarded_status(
    *, subscription: Subscription | None, status: Status, count: int, confirmed: bool, attended: bool
) -> Status:
    """B4 for `count` new marketing contacts, under the subscription's lock: `status`, or non-marketing
    when the guard holds them."""
    guard = tier_guard_apply(
        subscription=subscription,
        confirmed=confirmed,
        attended=attended,
        impact=lambda: new_contacts_billing_impact(count=count),
    )
    return NON_MARKETING if guard is TierGuard.HOLD else status  # held: kept, not billed, until someone confirms


def _insert(
    *,
    rows: list[dict[str, Any]],
    tool: CreationTool,
    source_id: str,
    status: Status,
    decision: NewContactDecision,
    actor: Actor,
    now: datetime | None = None,
) -> list[Contact]:
    """The contacts, their history rows and their change feed, inside the caller's transaction."""
    now = now or timezone.now()
    contacts = [
        Contact(
            **row,
            creation_tool=tool,
            creation_source_id=source_id,
            marketable_status=status.is_marketing,
            marketable_reason_type=decision.reason_type if status.is_marketing is not None else "",
            marketable_reason_id=decision.reason_id if status.is_marketing is not None else "",
            marketable_status_changed_at=now if status.is_marketing is not None else None,
            created_at=now,
            updated_at=now,
        )
        for row in rows
    ]
    Contact.objects.bulk_create(contacts, batch_size=1000)
    if status.is_marketing is not None:
        record_creations(ids=[contact.pk for contact in contacts], actor=actor, now=now)
    ContactChange.objects.record(contact.pk for contact in contacts)
    return contacts


def contact_create(*, tool: CreationTool, actor: Actor, source_id: str = "", marketing: bool = False, **fields):
    """Create one contact; see `contacts_create`."""
    (contact,) = contacts_create(data=[fields], tool=tool, actor=actor, source_id=source_id, marketing=marketing)
    return contact


@dataclass
class RestoreResult:
    restored: int = 0
    refused: int = 0  # archived too long ago, or their email now belongs to another contact


RESTORE_MARKETING_REFUSED = (
    "Restoring marketing contacts adds them back to your bill: you need the Marketing contact access "
    "permission to restore them."
)


def restore_ensure_allowed(*, contacts: ContactSelection, actor: Actor) -> None:
    """R22, R30: restoring archived marketing contacts adds them back to the billable count, so it needs
    the Marketing contact access permission; non-marketing ones need only the delete permission."""
    if actor.may_change_status():
        return
    archived = contacts if isinstance(contacts, QuerySet) else Contact.objects.filter(pk__in=list(contacts))
    if archived.filter(archived_at__isnull=False, marketable_status=True).exists():
        raise MarketingStatusPermissionDenied(RESTORE_MARKETING_REFUSED)


def contacts_restore(*, contacts: ContactSelection, actor: Actor, now: datetime | None = None) -> RestoreResult:
    """R22: restore contacts archived within the restore window, with the status they had.

    A pending switch whose update date passed while the contact was archived has taken effect (the
    renewal flips archived contacts too). A contact whose email was taken meanwhile is refused.
    """
    actor.ensure_permission("contacts.delete_contact", "You need permission to restore contacts.")
    contacts = contacts if isinstance(contacts, QuerySet) else list(contacts)
    restore_ensure_allowed(contacts=contacts, actor=actor)
    result = RestoreResult()
    email_taken = Exists(Contact.objects.filter(email=OuterRef("email"), archived_at__isnull=True))
    for ids in id_chunks(contacts, settings.CRM_BULK_CHUNK_SIZE):
        at = now or timezone.now()
        window_start = at - timedelta(days=settings.CRM_RESTORE_WINDOW_DAYS)
        restorable = Contact.objects.filter(pk__in=ids, archived_at__gte=window_start).exclude(email_taken)
        # Archived contacts sharing an email: restore the first only (PostgreSQL checks `email_taken`
        # against the snapshot before the UPDATE, so both would pass it and break the unique constraint).
        restorable = restorable.exclude(
            Exists(
                Contact.objects.filter(
                    pk__in=ids, archived_at__gte=window_start, email=OuterRef("email"), pk__lt=OuterRef("pk")
                )
            )
        )
        with transaction.atomic():
            restored = restorable.update(archived_at=None, updated_at=at)
            if restored and (feed := ContactChange.objects.feeding()):
                live = Contact.objects.filter(pk__in=ids, archived_at__isnull=True).values_list("pk", flat=True)
                ContactChange.objects.record(live, tasks=feed)
        result.restored += restored
        result.refused += Contact.objects.filter(pk__in=ids, archived_at__isnull=False).count()
    if result.restored:
        subscription_check_tier(cause_type="RESTORE", cause_id=actor.id, now=now)
    return result
