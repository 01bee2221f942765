"""The writes of the contacts endpoints, composed from the domain services as the integration calling.

Writes go through `contacts.services` (create, update, archive) and `marketing_status.services` (the
R10–R13 switches); nothing here writes a Contact. What is particular to the API lives here: creating
as the integration (R8), grouping inputs by stated status, a batch create that reports taken emails
as conflicts, the upsert by email, and retrying a batch that lost a race for an email.
"""

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import transaction

from api.errors import ApiError, contact_invalid_error, not_found
from api.inputs import WriteInput
from api.selectors import contact_ids_by_email, contacts_find
from billing.selectors import subscription_require_enabled
from contacts.models import Contact
from contacts.properties import ContactInput
from contacts.services import ContactConflict, ContactInvalid, contact_update, contacts_archive
from integrations.models import Integration
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing

CONFLICT_RETRIES = 3  # a batch that keeps losing races for emails ends in 409 rather than looping


def _reindexed(exc: ContactInvalid, inputs: list[WriteInput]) -> ApiError:
    """The service numbers errors by position in what it was given; the client by position in its request."""
    return contact_invalid_error(ContactInvalid({inputs[pos].index: errors for pos, errors in exc.errors.items()}))


def contacts_create_via_api(
    *, inputs: list[WriteInput], integration: Integration, actor: Actor, confirm_tier_upgrade: bool
) -> list[Contact]:
    """R2, R8, B1: create contacts as the integration (tool INTEGRATION, source id = its id), all or nothing.

    Their status is the integration's own setting (R8) unless an input states `hs_marketable_status`
    (B1), which the service checks against the marketing-contacts.write scope (R30). Inputs are
    created in one `contacts_create` call per stated status (at most three), in one transaction.
    B4: the tier guard applies, unless `confirm_tier_upgrade`.
    """
    groups: dict[bool | None, list[int]] = {}
    if any(item.contact.marketing is not None for item in inputs):
        subscription_require_enabled()  # a stated status needs statuses to exist (R1)
    for pos, item in enumerate(inputs):
        groups.setdefault(item.contact.marketing, []).append(pos)
    created: dict[int, Contact] = {}
    # One group (the usual case) is one contacts_create, atomic by itself: no savepoint around it.
    try:
        with transaction.atomic() if len(groups) > 1 else nullcontext():
            for stated, positions in groups.items():
                contacts = contacts_create(
                    data=[inputs[pos].contact.data for pos in positions],
                    tool=CreationTool.INTEGRATION,
                    actor=actor,
                    source_id=str(integration.pk),
                    stated_marketing=stated,
                    confirm_tier_upgrade=confirm_tier_upgrade,
                )
                created.update(zip(positions, contacts, strict=True))
    except ContactInvalid as exc:
        # the service numbers errors by position in the group it was given
        raise _reindexed(exc, [inputs[pos] for pos in positions]) from exc
    return [created[pos] for pos in range(len(inputs))]


@dataclass
class BatchCreateOutcome:
    created: list[tuple[WriteInput, Contact]]
    conflicts: list[tuple[WriteInput, int]]  # an input whose email a contact already has, and that contact's id


def _partition_by_email(inputs: list[WriteInput]) -> tuple[list[WriteInput], list[WriteInput], dict[str, int]]:
    """Inputs to create, inputs whose email exists (or repeats an earlier input's), and the existing ids."""
    existing = contact_ids_by_email(item.email for item in inputs)
    fresh, conflicting, seen = [], [], set()
    for item in inputs:
        if item.email and (item.email in existing or item.email in seen):
            conflicting.append(item)
        else:
            fresh.append(item)
            seen.add(item.email)
    return fresh, conflicting, existing


def contacts_batch_create(
    *, inputs: list[WriteInput], integration: Integration, actor: Actor, confirm_tier_upgrade: bool
) -> BatchCreateOutcome:
    """Batch create: inputs whose email a contact already has (or an earlier input has) are left out and
    reported as conflicts; the others are created with one `contacts_create` call (set-based). An
    email taken by a concurrent request meanwhile moves its input to the conflicts and the batch is retried.
    """
    for attempt in range(CONFLICT_RETRIES):
        fresh, conflicting, existing = _partition_by_email(inputs)
        try:
            contacts = (
                contacts_create_via_api(
                    inputs=fresh, integration=integration, actor=actor, confirm_tier_upgrade=confirm_tier_upgrade
                )
                if fresh
                else []
            )
        except ContactConflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
            continue
        created_ids = {contact.email: contact.pk for contact in contacts if contact.email}
        conflicts = [(item, existing.get(item.email) or created_ids[item.email]) for item in conflicting]
        return BatchCreateOutcome(created=list(zip(fresh, contacts, strict=True)), conflicts=conflicts)
    raise AssertionError("unreachable")


def _update_fields(*, contact: Contact, item: WriteInput, actor: Actor) -> None:
    try:
        contact_update(contact=contact, data=item.contact.data, actor=actor)
    except ContactInvalid as exc:
        raise contact_invalid_error(ContactInvalid({item.index: exc.errors[0]})) from exc
    except Contact.DoesNotExist:
        raise not_found(context={"ids": [str(contact.pk)]}) from None  # archived meanwhile


def contacts_update_via_api(
    *, targets: list[tuple[Contact, WriteInput]], actor: Actor, confirm_tier_upgrade: bool
) -> dict[int, Contact]:
    """Edit contacts: plain properties through `contact_update`, then `hs_marketable_status` through the
    switches, set-based: "true" follows R10 and R12, "false" R11, the status already held R13. One
    transaction, so a refusal (invalid value, taken email, B4 tier guard) changes nothing. Returns the
    contacts as they are now, by id.
    """
    with transaction.atomic():
        if any(item.contact.marketing is not None for _, item in targets):
            # R1; and a switch to marketing follows the lock order: the subscription before these contacts
            subscription_require_enabled(lock=any(item.contact.marketing is True for _, item in targets))
        for contact, item in targets:
            if item.contact.data:
                _update_fields(contact=contact, item=item, actor=actor)
        to_marketing = [contact.pk for contact, item in targets if item.contact.marketing is True]
        to_non_marketing = [contact.pk for contact, item in targets if item.contact.marketing is False]
        if to_marketing:
            contacts_set_marketing(contacts=to_marketing, actor=actor, confirm_tier_upgrade=confirm_tier_upgrade)
        if to_non_marketing:
            contacts_set_non_marketing(contacts=to_non_marketing, actor=actor)
    return Contact.objects.in_bulk([contact.pk for contact, _ in targets])


def _upsert_once(
    *, inputs: list[WriteInput], integration: Integration, actor: Actor, confirm_tier_upgrade: bool
) -> list[tuple[WriteInput, Contact, bool]]:
    existing = contacts_find([item.id for item in inputs], id_property="email")
    new = [
        WriteInput(
            item.index, ContactInput({**item.contact.data, "email": item.id}, item.contact.marketing), item.names
        )
        for item in inputs
        if item.id not in existing
    ]
    with transaction.atomic():
        created = contacts_create_via_api(
            inputs=new, integration=integration, actor=actor, confirm_tier_upgrade=confirm_tier_upgrade
        )
        targets = [(existing[item.id], item) for item in inputs if item.id in existing]
        updated = contacts_update_via_api(targets=targets, actor=actor, confirm_tier_upgrade=confirm_tier_upgrade)
    by_index = {item.index: (contact, True) for item, contact in zip(new, created, strict=True)}
    by_index |= {item.index: (updated[contact.pk], False) for contact, item in targets}
    return [(item, *by_index[item.index]) for item in inputs]


def contacts_upsert_via_api(
    *, inputs: list[WriteInput], integration: Integration, actor: Actor, confirm_tier_upgrade: bool
) -> list[tuple[WriteInput, Contact, bool]]:
    """Upsert by email: existing contacts are updated (keeping their status unless the input sets
    `hs_marketable_status`, R10–R13), missing ones created as the integration (R8); all in one
    transaction. Returns each input with its contact and whether it is new."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            return _upsert_once(
                inputs=inputs, integration=integration, actor=actor, confirm_tier_upgrade=confirm_tier_upgrade
            )
        except ContactConflict:  # created concurrently: the next attempt finds and updates it
            if attempt == CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def contacts_archive_via_api(*, contacts: Iterable[Contact], actor: Actor) -> int:
    """R22: archive (delete) contacts; they leave the billable count at once."""
    return contacts_archive(contacts=[contact.pk for contact in contacts], actor=actor)
