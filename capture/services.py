"""Contacts arriving through a lead-capture tool: create a new contact or match an existing one (R2–R9).

Forms, non-HubSpot forms, chatflows, meetings, tickets, logged emails and the extension all call
`contact_capture`. It finds the live contact with the submitted email; if there is none it creates
one with the tool (its status comes from the policy, R3–R9), and if there is one it updates the
submitted properties and, when the tool's setting asks for it (R5, R6), sets it as marketing
(R10, or R12 for a pending contact; R13 for one already marketing). Whatever happens, the caller
gets the same kind of answer, so public endpoints never reveal whether a contact existed.

Unattended intake has nobody to confirm a tier upgrade (B4): with the tier guard on, a submission
that would cross the tier keeps its contact non-marketing and says so (`held_by_tier_guard`).

A capture that may make a marketing contact takes the subscription's lock before any contact's (the
lock order: subscription, billing period, contacts by id) and holds it to the end of the caller's
transaction, so every tool's captures serialise with each other, with bulk switches and with the
renewal, and the tier guard's count cannot change between its check and the write.

A matched contact counts as changed even when nothing of it changed: the submission itself is what a
workflow's form trigger waits for, so it is recorded in the contacts change feed (R18).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from billing.selectors import subscription_get
from contacts.models import Contact, ContactChange
from contacts.services import ContactConflict, contact_update, normalize_email
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import (
    CONFIGURABLE_TOOL_DEFAULTS,
    CreationTool,
    decide_new_contact,
    upgrades_existing_contact,
)
from marketing_status.selectors import creation_tool_setting_get
from marketing_status.services import MarketingContactsNotEnabled, contacts_set_marketing

# A lost race for a new email is retried this many times as a match.
CAPTURE_ATTEMPTS = 3


@dataclass(frozen=True)
class CaptureResult:
    contact: Contact
    created: bool  # a new contact, created by the tool
    upgraded: bool  # an existing contact set as marketing by the submission (R5, R6)
    held_by_tier_guard: bool = False  # B4: would have been marketing, kept non-marketing instead


def _tool_setting(tool: CreationTool, source_id: str) -> bool | None:
    if tool not in CONFIGURABLE_TOOL_DEFAULTS:
        return None
    return creation_tool_setting_get(tool=tool, source_id=source_id)


def _live_contact(email: str | None) -> Contact | None:
    if not email:
        return None
    return Contact.objects.filter(email=email, archived_at__isnull=True).first()


def _update_existing(contact: Contact, data: Mapping[str, Any], actor: Actor, now: datetime | None) -> Contact:
    """Submitted values replace stored ones; empty values and the email itself leave them alone."""
    changes = {name: value for name, value in data.items() if name != "email" and value not in (None, "")}
    return contact_update(contact=contact, data=changes, actor=actor, now=now) if changes else contact


def _upgrade(
    contact: Contact, tool: CreationTool, source_id: str, actor: Actor, now: datetime | None
) -> tuple[bool, bool]:
    """R5, R6: (upgraded, held by the tier guard)."""
    if not upgrades_existing_contact(tool=tool, tool_setting=_tool_setting(tool, source_id)):
        return False, False
    try:
        result = contacts_set_marketing(contacts=[contact.pk], actor=actor, attended=False, now=now)
    except MarketingContactsNotEnabled:
        return False, False  # before R1 contacts have no status to change
    return result.changed > 0, result.held


def _may_make_marketing(tool: CreationTool, source_id: str) -> bool:
    """Whether a capture through `tool` can add a marketing contact: a new one (R5–R8) or an upgrade (R5, R6)."""
    setting = _tool_setting(tool, source_id)
    new_status = decide_new_contact(tool=tool, source_id=source_id, tool_setting=setting).status
    return bool(new_status.is_marketing) or upgrades_existing_contact(tool=tool, tool_setting=setting)


def contact_capture(
    *, data: Mapping[str, Any], tool: CreationTool, source_id: str, actor: Actor, now: datetime | None = None
) -> CaptureResult:
    """R2–R9: the contact a submission through `tool` (form, chatflow, meeting…) names, created or matched.

    `data` holds contact properties (`contacts.services.EDITABLE_FIELDS`); invalid values raise
    `ContactInvalid` and change nothing. A submission without an email always creates a contact.
    """
    with transaction.atomic():  # the caller's, when it records the submission in the same transaction
        if _may_make_marketing(tool, source_id):
            subscription_get(lock=True)  # the first lock of the order, held to the transaction's end
        return _capture(data, tool, source_id, actor, now)


def _capture(
    data: Mapping[str, Any], tool: CreationTool, source_id: str, actor: Actor, now: datetime | None
) -> CaptureResult:
    email = normalize_email(data.get("email"))
    data = {**data, "email": email}
    conflict = None
    for _ in range(CAPTURE_ATTEMPTS):
        existing = _live_contact(email)
        if existing is not None:
            return _capture_existing(existing, data, tool, source_id, actor, now)
        try:
            (contact,) = contacts_create(
                data=[data], tool=tool, actor=actor, source_id=source_id, tier_guard_holds=True, now=now
            )
        except ContactConflict as exc:
            conflict = exc  # created meanwhile by a concurrent submission: match it
            continue
        decision = decide_new_contact(tool=tool, source_id=source_id, tool_setting=_tool_setting(tool, source_id))
        held = bool(decision.status.is_marketing) and contact.marketable_status is False
        return CaptureResult(contact, created=True, upgraded=False, held_by_tier_guard=held)
    raise conflict


def _capture_existing(
    contact: Contact, data: Mapping[str, Any], tool: CreationTool, source_id: str, actor: Actor, now: datetime | None
) -> CaptureResult:
    contact = _update_existing(contact, data, actor, now)
    upgraded, held = _upgrade(contact, tool, source_id, actor, now)
    with transaction.atomic():  # the caller's, when it records the submission in the same transaction
        ContactChange.objects.record([contact.pk])
    if upgraded:
        contact.refresh_from_db()
    return CaptureResult(contact, created=False, upgraded=upgraded, held_by_tier_guard=held)
