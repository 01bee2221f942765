"""Writes of contacts: creation with a tool (R2–R9), edits, lists, archive and restore (R22).

Every write that creates or changes contacts records them in the change feed (`ContactChange`) inside
its transaction, after the change, so that workflows evaluate them once it commits (R18).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from billing.models import Subscription
from billing.selectors import subscription_get
from billing.services import subscription_check_tier
from contacts.models import (
    Contact,
    ContactChange,
    ContactList,
    ContactListMembership,
    EmailSubscription,
    LifecycleStage,
)
from marketing_status.actors import Actor, ActorKind, MarketingStatusPermissionDenied
from marketing_status.policy import (
    CONFIGURABLE_TOOL_DEFAULTS,
    NON_MARKETING,
    CreationTool,
    NewContactDecision,
    decide_new_contact,
)
from marketing_status.selectors import creation_tool_setting_get, new_contacts_billing_impact
from marketing_status.services import ContactSelection, TierGuardRefused, id_chunks
from marketing_status.transitions import record_creations

EDITABLE_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "phone",
    "lifecycle_stage",
    "email_subscription",
    "email_hard_bounced",
)
_CHOICES = {"lifecycle_stage": LifecycleStage.values, "email_subscription": EmailSubscription.values}


class ContactInvalid(Exception):
    """Some inputs are invalid; `errors` maps each input's index to {field: message}. Nothing was created."""

    def __init__(self, errors: dict[int, dict[str, str]]):
        self.errors = errors
        super().__init__(f"{len(errors)} invalid contact(s): {errors}")


class ContactConflict(Exception):
    """A contact with this email already exists (`existing_id`). Nothing was created."""

    def __init__(self, email: str, existing_id: int):
        self.email, self.existing_id = email, existing_id
        super().__init__(f"Contact already exists. Existing ID: {existing_id}")


def normalize_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


def _clean(index: int, data: Mapping[str, Any], errors: dict[int, dict[str, str]]) -> dict[str, Any]:
    row_errors: dict[str, str] = {}
    unknown = set(data) - set(EDITABLE_FIELDS)
    for name in sorted(unknown):
        row_errors[name] = f"Property {name!r} does not exist."
    cleaned = {name: data[name] for name in EDITABLE_FIELDS if name in data and data[name] is not None}
    cleaned["email"] = normalize_email(cleaned.get("email"))
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            row_errors["email"] = f"Email address {cleaned['email']!r} is invalid."
    for name, allowed in _CHOICES.items():
        if cleaned.get(name) and cleaned[name] not in allowed:
            row_errors[name] = f"{cleaned[name]!r} is not one of the allowed values for {name}."
    if row_errors:
        errors[index] = row_errors
    return cleaned


def _validated(data: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    errors: dict[int, dict[str, str]] = {}
    rows = [_clean(index, item, errors) for index, item in enumerate(data)]
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        if row["email"] and row["email"] in seen:
            errors.setdefault(index, {})["email"] = f"Duplicate of input {seen[row['email']]}."
        elif row["email"]:
            seen[row["email"]] = index
    if errors:
        raise ContactInvalid(errors)
    return rows


def _raise_if_taken(emails: list[str]) -> None:
    # Unordered on purpose: `.first()` would add ORDER BY id, and with many emails PostgreSQL then walks
    # the primary key and filters every row instead of probing the email index (23 ms at 100,000 contacts,
    # 230 ms at 1,000,000, against 0.1 ms). Which taken email is reported does not matter.
    existing = Contact.objects.filter(email__in=emails, archived_at__isnull=True).order_by().values_list("email", "pk")
    for email, pk in existing[:1]:
        raise ContactConflict(email, pk)


def _decide(
    *,
    tool: CreationTool,
    source_id: str,
    marketing: bool,
    stated_marketing: bool | None,
    actor: Actor,
    subscription: Subscription | None,
) -> NewContactDecision:
    setting = creation_tool_setting_get(tool=tool, source_id=source_id) if tool in CONFIGURABLE_TOOL_DEFAULTS else None
    decision = decide_new_contact(
        tool=tool,
        source_id=source_id,
        tool_setting=setting,
        requested_marketing=marketing,
        stated_marketing=stated_marketing,
        enabled=subscription is not None and subscription.marketing_contacts_enabled,
    )
    if decision.needs_permission:
        actor.ensure_may_change_status()  # R3, R4, R30
    return decision


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
    created non-marketing, and the caller sees it on `marketable_status`.
    """
    actor.ensure_permission("contacts.add_contact", "You need permission to create contacts.")
    rows = _validated(data)
    if tool == CreationTool.MANUAL and not source_id and actor.kind == ActorKind.USER:
        source_id = actor.id  # R3: a manual creation's source is the user who created the contact
    subscription = subscription_get()
    decision = _decide(
        tool=tool,
        source_id=source_id,
        marketing=marketing,
        stated_marketing=stated_marketing,
        actor=actor,
        subscription=subscription,
    )
    if not rows:
        return []
    status = decision.status
    if status.is_marketing and subscription and subscription.tier_guard_enabled and not confirm_tier_upgrade:
        impact = new_contacts_billing_impact(count=len(rows))
        if impact.crosses_tier and not tier_guard_holds:
            raise TierGuardRefused(impact)  # B4
        if impact.crosses_tier:
            status = NON_MARKETING  # B4, held: kept, not billed, until someone confirms
    now = timezone.now()
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
    try:
        with transaction.atomic():
            Contact.objects.bulk_create(contacts, batch_size=1000)
            if status.is_marketing is not None:
                record_creations(ids=[contact.pk for contact in contacts], actor=actor, now=now)
            ContactChange.objects.record(contact.pk for contact in contacts)
    except IntegrityError:
        # The unique constraint is the check, so a concurrent creation cannot slip between a look-up
        # and the INSERT; this look-up only names the contact that holds the email.
        _raise_if_taken([row["email"] for row in rows if row["email"]])
        raise
    if status.is_marketing:
        subscription_check_tier(cause_type=decision.reason_type, cause_id=decision.reason_id)
    return contacts


def contact_create(*, tool: CreationTool, actor: Actor, source_id: str = "", marketing: bool = False, **fields):
    """Create one contact; see `contacts_create`."""
    (contact,) = contacts_create(data=[fields], tool=tool, actor=actor, source_id=source_id, marketing=marketing)
    return contact


def contacts_archive(*, contacts: ContactSelection, actor: Actor) -> int:
    """R22: archive (delete) contacts; they leave the billable count at once. Returns how many."""
    actor.ensure_permission("contacts.delete_contact", "You need permission to delete contacts.")
    archived = 0
    for ids in id_chunks(contacts, settings.CRM_BULK_CHUNK_SIZE):
        now = timezone.now()
        archived += Contact.objects.filter(pk__in=ids, archived_at__isnull=True).update(archived_at=now, updated_at=now)
    return archived


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


def contacts_restore(*, contacts: ContactSelection, actor: Actor) -> RestoreResult:
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
        now = timezone.now()
        window_start = now - timedelta(days=settings.CRM_RESTORE_WINDOW_DAYS)
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
            restored = restorable.update(archived_at=None, updated_at=now)
            if restored and (feed := ContactChange.objects.feeding()):
                live = Contact.objects.filter(pk__in=ids, archived_at__isnull=True).values_list("pk", flat=True)
                ContactChange.objects.record(live, tasks=feed)
        result.restored += restored
        result.refused += Contact.objects.filter(pk__in=ids, archived_at__isnull=False).count()
    if result.restored:
        subscription_check_tier(cause_type="RESTORE", cause_id=actor.id)
    return result


def contact_list_add(*, contact_list, contacts: ContactSelection, actor: Actor) -> int:
    """Add contacts to a static list; contacts already in it are left alone. Returns how many were added."""
    actor.ensure_permission("contacts.change_contact", "You need permission to edit contacts.")
    added = 0
    for ids in id_chunks(contacts, settings.CRM_BULK_CHUNK_SIZE):
        present = set(contact_list.memberships.filter(contact_id__in=ids).values_list("contact_id", flat=True))
        new = [ContactListMembership(contact_list=contact_list, contact_id=pk) for pk in ids if pk not in present]
        with transaction.atomic():
            ContactListMembership.objects.bulk_create(new, ignore_conflicts=True)
            ContactChange.objects.record(membership.contact_id for membership in new)
        added += len(new)
    return added


def _raise_if_taken_by_other(email: str, contact_id: int) -> None:
    existing = (
        Contact.objects.filter(email=email, archived_at__isnull=True).exclude(pk=contact_id).values_list("pk").first()
    )
    if existing:
        raise ContactConflict(email, existing[0])


def contact_update(*, contact: Contact, data: Mapping[str, Any], actor: Actor) -> Contact:
    """Edit a contact's plain properties (`EDITABLE_FIELDS`) only: its marketing status changes only
    through `marketing_status.services` (R10–R13).

    Emails are normalised and validated as on creation; an invalid value raises `ContactInvalid`
    (keyed by index 0), an email that another live contact has raises `ContactConflict`. A deleted
    contact (R22) cannot be edited (`Contact.DoesNotExist`). Nothing is written on refusal.
    """
    actor.ensure_permission("contacts.change_contact", "You need permission to edit contacts.")
    errors: dict[int, dict[str, str]] = {}
    cleaned = _clean(0, data, errors)
    if errors:
        raise ContactInvalid(errors)
    fields = {name: cleaned[name] for name in data if name in cleaned}
    if fields.get("email"):
        _raise_if_taken_by_other(fields["email"], contact.pk)
    try:
        with transaction.atomic():
            updated = Contact.objects.filter(pk=contact.pk, archived_at__isnull=True).update(
                **fields, updated_at=timezone.now()
            )
            if updated:
                ContactChange.objects.record([contact.pk])
    except IntegrityError:
        _raise_if_taken_by_other(fields["email"], contact.pk)  # lost a race for the email
        raise
    if not updated:
        raise Contact.DoesNotExist(f"Contact {contact.pk} is deleted or does not exist.")
    return Contact.objects.get(pk=contact.pk)


class ContactListInvalid(ValueError):
    """The list name is empty or taken (`existing_id`). Nothing was created."""

    def __init__(self, message: str, existing_id: int | None = None):
        self.existing_id = existing_id
        super().__init__(message)


def contact_list_create(*, name: str, actor: Actor) -> ContactList:
    """Create a static list (R17's "choose contacts by list"); names are unique."""
    actor.ensure_permission("contacts.change_contact", "You need permission to edit contacts.")
    name = " ".join(name.split())
    if not name:
        raise ContactListInvalid("Enter a name for the list.")
    try:
        with transaction.atomic():
            return ContactList.objects.create(name=name, created_by=actor.user)
    except IntegrityError:
        existing = ContactList.objects.filter(name=name).values_list("pk", flat=True).first()
        raise ContactListInvalid(f"A list named {name!r} already exists.", existing_id=existing) from None


def contact_list_remove(*, contact_list: ContactList, contacts: ContactSelection, actor: Actor) -> int:
    """Remove contacts from a static list; contacts not in it are ignored. Returns how many were removed."""
    actor.ensure_permission("contacts.change_contact", "You need permission to edit contacts.")
    removed = 0
    for ids in id_chunks(contacts, settings.CRM_BULK_CHUNK_SIZE):
        with transaction.atomic():
            members = list(contact_list.memberships.filter(contact_id__in=ids).values_list("contact_id", flat=True))
            deleted, _ = contact_list.memberships.filter(contact_id__in=members).delete()
            ContactChange.objects.record(members)
        removed += deleted
    return removed


def contacts_properties_set(*, contacts: ContactSelection, data: Mapping[str, Any], actor: Actor) -> int:
    """Set the same plain properties on many live contacts, set-based (a workflow's "set a property value").

    `data` holds `EDITABLE_FIELDS` but the email, which is unique per contact; marketing status changes
    only through `marketing_status.services`. Invalid values raise `ContactInvalid` (keyed by index 0)
    and change nothing. Returns how many contacts were updated.
    """
    actor.ensure_permission("contacts.change_contact", "You need permission to edit contacts.")
    errors: dict[int, dict[str, str]] = {}
    cleaned = _clean(0, data, errors)
    if "email" in data:
        errors.setdefault(0, {})["email"] = "The email cannot be set on many contacts at once."
    if errors:
        raise ContactInvalid(errors)
    fields = {name: cleaned[name] for name in data if name in cleaned}
    updated = 0
    for ids in id_chunks(contacts, settings.CRM_BULK_CHUNK_SIZE):
        with transaction.atomic():
            changed = Contact.objects.filter(pk__in=ids, archived_at__isnull=True)
            count = changed.update(**fields, updated_at=timezone.now())
            if count:
                ContactChange.objects.record(ids)
        updated += count
    return updated
