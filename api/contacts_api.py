"""The contacts object API (HubSpot CRM v3): request parsing, the writes its views compose from services,
and response bodies in HubSpot's shapes.

Writes go through `contacts.services` (create, update, archive) and `marketing_status.services` (the
R10–R13 switches); nothing here writes a Contact. Requests are parsed by hand rather than by DRF
serializers, so that any JSON a client sends (wrong types, nulls, huge numbers, text the database
cannot store) ends in HubSpot's 400 with per-input details, never a 500. The serializers at the end
only describe payloads for the OpenAPI schema.
"""

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from api.errors import MAX_BATCH_INPUTS, ApiError, contact_invalid_error, not_found, validation_error
from api.lookups import ID_PROPERTIES, contact_get, contacts_by_ids
from api.openapi import PropertiesField, SimplePublicObjectSerializer
from api.parsers import storable
from api.permissions import missing_scopes_error
from api.views.base import flag
from billing.selectors import subscription_get
from contacts.models import Contact
from contacts.properties import (
    DEFAULT_PROPERTIES,
    MARKETING_STATUS,
    PROPERTIES,
    ContactInput,
    contact_input,
    format_datetime,
)
from contacts.services import ContactConflict, ContactInvalid, contact_update, contacts_archive, normalize_email
from integrations.models import Integration
from integrations.scopes import CONTACTS_WRITE, MARKETING_WRITE
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from marketing_status.services import MarketingContactsNotEnabled, contacts_set_marketing, contacts_set_non_marketing

MARKETING_PROPERTIES = (
    MARKETING_STATUS,
    "hs_marketable_until_renewal",
    "hs_marketable_reason_type",
    "hs_marketable_reason_id",
)
DEFAULT_LIMIT, MAX_LIMIT = 10, 100
CONFLICT_RETRIES = 3  # a batch that keeps losing races for emails ends in 409 rather than looping
_FIELD_PROPERTY = {prop.field: name for name, prop in PROPERTIES.items() if not prop.read_only}


# --- Parsing requests --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WriteInput:
    """One input of a create, update or upsert: its position in the request, the contact it names
    (update, upsert), the service fields and requested marketing status, and the property names it writes."""

    index: int
    contact: ContactInput = field(default_factory=lambda: ContactInput({}))
    names: tuple[str, ...] = ()
    id: str = ""
    id_property: str = "hs_object_id"

    @property
    def sets_status(self) -> bool:
        return MARKETING_STATUS in self.names

    @property
    def email(self) -> str | None:
        value = self.contact.data.get("email")
        return normalize_email(value) if isinstance(value, str) else None


def _error(message: str, *, code: str, where: str, index: int | None, **context: list[str]) -> dict[str, Any]:
    if index is not None:
        context["inputIndex"] = [str(index)]
    error: dict[str, Any] = {"message": message, "in": where, "code": code}
    if context:
        error["context"] = context
    return error


def json_object(data: Any, *, what: str = "The request body") -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        message = f"{what} must be a JSON object."
        raise validation_error(message, [_error(message, code="INVALID_INPUT", where="body", index=None)])
    return data


def batch_items(data: Any) -> list[Any]:
    """A batch body's `inputs`: a list of at most `MAX_BATCH_INPUTS` entries."""
    inputs = json_object(data).get("inputs")
    if not isinstance(inputs, list):
        message = "`inputs` is required and must be a list."
        raise validation_error(message, [_error(message, code="INVALID_INPUT", where="inputs", index=None)])
    if len(inputs) > MAX_BATCH_INPUTS:
        message = f"Batch input limit exceeded: at most {MAX_BATCH_INPUTS} inputs per request, got {len(inputs)}."
        raise validation_error(message, [_error(message, code="TOO_MANY_INPUTS", where="inputs", index=None)])
    return inputs


def _id_errors(raw: Any, index: int | None) -> list[dict[str, Any]]:
    if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw).strip():
        return [_error("`id` is required and must be a string.", code="INVALID_ID", where="id", index=index)]
    return []


def _id_property_errors(id_property: Any, allowed: Iterable[str], index: int | None) -> list[dict[str, Any]]:
    allowed = tuple(allowed)
    if isinstance(id_property, str) and id_property in allowed:
        return []
    message = f"idProperty must be one of {', '.join(allowed)}."
    return [_error(message, code="INVALID_ID_PROPERTY", where="idProperty", index=index)]


def _storage_errors(contact: ContactInput, index: int | None) -> list[dict[str, Any]]:
    """Values longer than their column are refused as invalid (PostgreSQL would refuse them with a 500)."""
    errors = []
    for name, value in contact.data.items():
        max_length = Contact._meta.get_field(name).max_length
        if isinstance(value, str) and max_length and len(value) > max_length:
            prop = _FIELD_PROPERTY.get(name, name)
            message = f"Property {prop!r} is longer than {max_length} characters."
            errors.append(_error(message, code="INVALID_VALUE", where=prop, index=index, propertyName=[prop]))
    return errors


def write_input(
    item: Any,
    *,
    index: int | None,
    with_id: bool = False,
    id_property: Any = "hs_object_id",
    id_properties: Iterable[str] = ID_PROPERTIES,
) -> tuple[WriteInput, list[dict[str, Any]]]:
    """Parse one `{"properties": {...}}` input (with `id` and `idProperty` for updates and upserts);
    returns it with its errors. An input of a batch (`index` given) names its position in its errors."""
    position = 0 if index is None else index
    if not isinstance(item, Mapping):
        message = "Each input must be a JSON object."
        return WriteInput(position), [_error(message, code="INVALID_INPUT", where="inputs", index=index)]
    properties = item.get("properties")
    contact, errors = contact_input(properties, index=index)
    errors += _storage_errors(contact, index)
    if item.get("associations") is not None and not isinstance(item["associations"], list):
        errors.append(_error("`associations` must be a list.", code="INVALID_INPUT", where="associations", index=index))
    raw_id = ""
    if with_id:
        raw_id = item.get("id")
        id_property = item.get("idProperty") or id_property
        errors += _id_errors(raw_id, index) + _id_property_errors(id_property, id_properties, index)
    names = tuple(properties) if isinstance(properties, Mapping) else ()
    parsed = WriteInput(position, contact, names, str(raw_id).strip() if not errors else "", str(id_property))
    return parsed, errors


def batch_write_inputs(data: Any, **options: Any) -> tuple[list[WriteInput], list[dict[str, Any]]]:
    """Every input of a batch create, update or upsert, and all their errors together."""
    inputs, errors = [], []
    for index, item in enumerate(batch_items(data)):
        parsed, item_errors = write_input(item, index=index, **options)
        inputs.append(parsed)
        errors += item_errors
    return inputs, errors


def upsert_inputs(data: Any) -> tuple[list[WriteInput], list[dict[str, Any]]]:
    """Upsert inputs name contacts by email (`idProperty` "email", the default); an `email` property, if
    given, must be that same email."""
    inputs, errors = batch_write_inputs(data, with_id=True, id_property="email", id_properties=("email",))
    for item in inputs:
        if item.id and "email" in item.contact.data and item.email != normalize_email(item.id):
            message = "The `email` property must be the input's `id`."
            errors.append(
                _error(message, code="INVALID_VALUE", where="email", index=item.index, propertyName=["email"])
            )
    return inputs, errors


def batch_ids(data: Any) -> list[str]:
    """The ids of a batch read or archive (`inputs: [{"id": "..."}]`), in order, each once."""
    ids, errors = [], []
    for index, item in enumerate(batch_items(data)):
        raw = item.get("id") if isinstance(item, Mapping) else None
        item_errors = _id_errors(raw, index)
        errors += item_errors
        if not item_errors:
            ids.append(str(raw).strip())
    if errors:
        raise validation_error("Invalid input: " + "; ".join(error["message"] for error in errors), errors)
    return list(dict.fromkeys(ids))


def id_property_param(value: Any) -> str:
    """`idProperty` of a request: hs_object_id (the default) or email."""
    value = "hs_object_id" if value in (None, "") else value
    errors = _id_property_errors(value, ID_PROPERTIES, None)
    if errors:
        raise validation_error(errors[0]["message"], errors)
    return value


def property_names(value: Any) -> list[str]:
    """A batch read's `properties`: a list of names (or one comma-separated string)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        message = "`properties` must be a list of property names."
        raise validation_error(message, [_error(message, code="INVALID_INPUT", where="properties", index=None)])
    return value


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: int


def _bounded_int(raw: str | None, *, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 18 and low <= int(text) <= high):
        message = f"`{name}` must be a whole number from {low} to {high}, not {raw[:40]!r}."
        raise validation_error(message, [_error(message, code="INVALID_INPUT", where=name, index=None)])
    return int(text)


def page_request(query_params) -> PageRequest:
    """`limit` (1–100, default 10) and `after`, the opaque cursor: the last id of the previous page."""
    limit = _bounded_int(query_params.get("limit"), name="limit", default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    after = _bounded_int(query_params.get("after"), name="after", default=0, low=0, high=10**18)
    return PageRequest(limit=limit, after=after)


def confirm_tier_upgrade(request) -> bool:
    """B4: `confirmTierUpgrade`, in the query string or at the top of the JSON body."""
    body = request.data if request.method != "GET" else {}
    in_body = body.get("confirmTierUpgrade") if isinstance(body, Mapping) else None
    return flag(request.query_params.get("confirmTierUpgrade")) or flag(in_body)


def ensure_may_set_status(*, actor: Actor, inputs: Iterable[WriteInput]) -> None:
    """R30: writing `hs_marketable_status` needs the marketing-contacts.write scope; refused before any write."""
    if any(item.sets_status for item in inputs) and MARKETING_WRITE not in actor.scopes:
        raise missing_scopes_error((CONTACTS_WRITE, MARKETING_WRITE))


def raise_if_duplicates(keys: Iterable[tuple[WriteInput, object]]) -> None:
    """HubSpot refuses a batch that names one object twice: 400, naming the inputs."""
    first: dict[object, int] = {}
    errors = []
    for item, key in keys:
        if key in first:
            message = f"Input {item.index} names the same contact as input {first[key]}."
            errors.append(_error(message, code="DUPLICATE_ID", where="id", index=item.index))
        else:
            first[key] = item.index
    if errors:
        raise validation_error("Duplicate IDs found in batch input.", errors)


# --- Reads -------------------------------------------------------------------------------------------


def contacts_page(*, page: PageRequest, archived: bool) -> tuple[list[Contact], bool]:
    """One page of contacts in id order, by keyset on the id (never OFFSET): live ones, or with
    `archived` only archived ones (R22); and whether another page follows."""
    rows = list(
        Contact.objects.filter(archived_at__isnull=not archived, pk__gt=page.after).order_by("pk")[: page.limit + 1]
    )
    return rows[: page.limit], len(rows) > page.limit


def contact_find(contact_id: str, *, id_property: str, archived: bool = False) -> Contact:
    """The contact a path names (404 when none, or for an id no contact can have)."""
    if not storable(contact_id):
        raise not_found("Object not found. objectId are usually numeric.")
    return contact_get(contact_id, id_property=id_property, archived=archived)


def contacts_find(ids: Iterable[str], *, id_property: str, archived: bool = False) -> dict[str, Contact]:
    return contacts_by_ids([raw for raw in ids if storable(raw)], id_property=id_property, archived=archived)


def contact_to_archive(contact_id: str) -> Contact | None:
    """The live contact a DELETE names; None when it is already archived (HubSpot answers 204 again);
    404 when it never existed."""
    try:
        return contact_find(contact_id, id_property="hs_object_id")
    except ApiError:
        contact_find(contact_id, id_property="hs_object_id", archived=True)
        return None


def update_targets(inputs: list[WriteInput]) -> tuple[list[tuple[Contact, WriteInput]], list[str]]:
    """The live contact each update input names by its own `idProperty` (one query per idProperty used),
    and the ids that name none."""
    found = {
        id_property: contacts_find(
            [item.id for item in inputs if item.id_property == id_property], id_property=id_property
        )
        for id_property in {item.id_property for item in inputs}
    }
    targets = [(found[item.id_property][item.id], item) for item in inputs if item.id in found[item.id_property]]
    missing = [item.id for item in inputs if item.id not in found[item.id_property]]
    return targets, missing


def contact_ids_by_email(emails: Iterable[str]) -> dict[str, int]:
    """Live contacts holding these (normalised) emails."""
    emails = {email for email in emails if email}
    if not emails:
        return {}
    return dict(Contact.objects.filter(email__in=emails, archived_at__isnull=True).values_list("email", "pk"))


# --- Writes ------------------------------------------------------------------------------------------


def _ensure_marketing_enabled() -> None:
    subscription = subscription_get()
    if subscription is None or not subscription.marketing_contacts_enabled:
        raise MarketingContactsNotEnabled("Marketing contacts are not enabled for this account.")


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
        _ensure_marketing_enabled()  # a stated status needs statuses to exist (R1)
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
    if any(item.contact.marketing is not None for _, item in targets):
        _ensure_marketing_enabled()
    with transaction.atomic():
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


# --- Responses ---------------------------------------------------------------------------------------


def written_properties(item: WriteInput) -> list[str]:
    """What a write answers with: HubSpot's default properties and those the input wrote; all four
    marketing properties when it set the status, so that a pending switch (R11) shows."""
    names = {*DEFAULT_PROPERTIES, *(name for name in item.names if name in PROPERTIES)}
    if item.sets_status:
        names.update(MARKETING_PROPERTIES)
    return sorted(names)


def not_found_error(ids: list[str]) -> dict[str, Any]:
    """HubSpot's batch error for ids that name no contact."""
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.",
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }


def conflict_batch_error(item: WriteInput, existing_id: int) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "CONFLICT",
        "message": f"Contact already exists. Existing ID: {existing_id}",
        "context": {"existingId": [str(existing_id)], "inputIndex": [str(item.index)]},
        "errors": [],
        "links": {},
    }


def batch_response(
    *, results: list[dict[str, Any]], errors: list[dict[str, Any]], started_at: datetime, status: int = 200
) -> tuple[dict[str, Any], int]:
    """HubSpot's batch response: `status` when nothing failed, else 207 with `numErrors` and `errors`."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": format_datetime(started_at),
        "completedAt": format_datetime(timezone.now()),
    }
    if not errors:
        return body, status
    return {**body, "numErrors": len(errors), "errors": errors}, 207


def next_page_link(request, after: str) -> dict[str, str]:
    query = request.query_params.copy()
    query["after"] = after
    return {"after": after, "link": request.build_absolute_uri(f"{request.path}?{query.urlencode()}")}


# --- Schema (drf-spectacular) ------------------------------------------------------------------------

CONFIRM_HELP = "B4: with the tier guard on, allow a change that takes the marketing count above the contact tier."


class SimplePublicObjectInputForCreateSerializer(serializers.Serializer):
    properties = PropertiesField(
        help_text="HubSpot property names and string values. `hs_marketable_status` needs marketing-contacts.write."
    )
    associations = serializers.ListField(child=serializers.DictField(), required=False, help_text="Ignored.")
    confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)


class SimplePublicObjectInputSerializer(serializers.Serializer):
    properties = PropertiesField(
        help_text="Properties to change. `hs_marketable_status` needs marketing-contacts.write and follows R10–R13."
    )
    confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)


class SimplePublicObjectIdSerializer(serializers.Serializer):
    id = serializers.CharField()


class BatchReadInputSimplePublicObjectIdSerializer(serializers.Serializer):
    inputs = SimplePublicObjectIdSerializer(many=True, max_length=MAX_BATCH_INPUTS)
    properties = serializers.ListField(child=serializers.CharField(), required=False)
    propertiesWithHistory = serializers.ListField(child=serializers.CharField(), required=False, help_text="Ignored.")
    idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)


class SimplePublicObjectBatchInputForCreateSerializer(serializers.Serializer):
    properties = PropertiesField()
    associations = serializers.ListField(child=serializers.DictField(), required=False, help_text="Ignored.")


class BatchInputSimplePublicObjectBatchInputForCreateSerializer(serializers.Serializer):
    inputs = SimplePublicObjectBatchInputForCreateSerializer(many=True, max_length=MAX_BATCH_INPUTS)
    confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)


class SimplePublicObjectBatchInputSerializer(serializers.Serializer):
    id = serializers.CharField()
    idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)
    properties = PropertiesField()


class BatchInputSimplePublicObjectBatchInputSerializer(serializers.Serializer):
    inputs = SimplePublicObjectBatchInputSerializer(many=True, max_length=MAX_BATCH_INPUTS)
    idProperty = serializers.ChoiceField(choices=ID_PROPERTIES, required=False)
    confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)


class SimplePublicObjectBatchInputUpsertSerializer(serializers.Serializer):
    idProperty = serializers.CharField(required=False, help_text='Upserts match by email: "email" (the default).')
    id = serializers.CharField(help_text="The contact's email.")
    properties = PropertiesField()


class BatchInputSimplePublicObjectBatchInputUpsertSerializer(serializers.Serializer):
    inputs = SimplePublicObjectBatchInputUpsertSerializer(many=True, max_length=MAX_BATCH_INPUTS)
    confirmTierUpgrade = serializers.BooleanField(required=False, help_text=CONFIRM_HELP)


class BatchInputSimplePublicObjectIdSerializer(serializers.Serializer):
    inputs = SimplePublicObjectIdSerializer(many=True, max_length=MAX_BATCH_INPUTS)


class StandardErrorSerializer(serializers.Serializer):
    status = serializers.CharField()
    category = serializers.CharField()
    message = serializers.CharField()
    context = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    errors = serializers.ListField(child=serializers.DictField())
    links = serializers.DictField(child=serializers.CharField())


class BatchResponseSimplePublicObjectSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["COMPLETE"])
    results = SimplePublicObjectSerializer(many=True)
    startedAt = serializers.DateTimeField()
    completedAt = serializers.DateTimeField()


class BatchResponseSimplePublicObjectWithErrorsSerializer(BatchResponseSimplePublicObjectSerializer):
    numErrors = serializers.IntegerField()
    errors = StandardErrorSerializer(many=True)


class SimplePublicUpsertObjectSerializer(SimplePublicObjectSerializer):
    new = serializers.BooleanField(help_text="True when the upsert created the contact.")


class BatchResponseSimplePublicUpsertObjectSerializer(BatchResponseSimplePublicObjectSerializer):
    results = SimplePublicUpsertObjectSerializer(many=True)


class NextPageSerializer(serializers.Serializer):
    after = serializers.CharField(help_text="Pass as `after` to get the next page.")
    link = serializers.CharField()


class ForwardPagingSerializer(serializers.Serializer):
    next = NextPageSerializer()


class CollectionResponseSimplePublicObjectForwardPagingSerializer(serializers.Serializer):
    results = SimplePublicObjectSerializer(many=True)
    paging = ForwardPagingSerializer(required=False, help_text="Only when another page follows.")
