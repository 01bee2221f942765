"""Reading the contacts endpoints' requests by hand: the pieces their input serializers are made of.

Requests are parsed by hand rather than by DRF fields, so that any JSON a client sends (wrong types,
nulls, huge numbers, text the database cannot store) ends in HubSpot's 400 with per-input details,
never a 500 and never DRF's error shape. Each endpoint's `InputSerializer` (in `api/views/`) declares
its body for the OpenAPI schema and reads it with these functions.

A write's per-input errors are collected rather than raised at once (`ContactWrites`), because R30
comes first: a request that writes `hs_marketable_status` without the scope is a 403 however
invalid its values are.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rest_framework import serializers
from rest_framework.fields import empty

from api.errors import MAX_BATCH_INPUTS, validation_error
from api.lookups import ID_PROPERTIES
from api.properties import raise_if_errors
from contacts.models import Contact
from contacts.properties import MARKETING_STATUS, PROPERTIES, ContactInput, contact_input
from contacts.services import normalize_email

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
_FIELD_PROPERTY = {prop.field: name for name, prop in PROPERTIES.items() if not prop.read_only}


class RequestSerializer(serializers.Serializer):
    # An endpoint's input serializer: its fields describe the body in the schema, `parse` reads it.
    # `run_validation` is `parse`, so `is_valid()` and `validated_data` work as for any serializer; a
    # refusal is an `ApiError` in HubSpot's shape, raised by `parse` itself. (Comments, not a docstring:
    # drf-spectacular would publish it as every input component's description.)

    def parse(self, data: Any) -> Any:
        raise NotImplementedError

    def run_validation(self, data: Any = empty) -> Any:
        return self.parse(data)

    @classmethod
    def validated(cls, data: Any) -> Any:
        """The parsed request, or the `ApiError` that refuses it."""
        serializer = cls(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


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


@dataclass(frozen=True)
class ContactWrites:
    """The inputs of a write request and their errors, kept until the scope check (R30) has run."""

    inputs: list[WriteInput]
    errors: list[dict[str, Any]]

    def raise_if_invalid(self) -> None:
        raise_if_errors(self.errors)


def input_error(message: str, *, code: str, where: str, index: int | None, **context: list[str]) -> dict[str, Any]:
    """One entry of a 400's `errors`; an input of a batch (`index` given) names its position."""
    if index is not None:
        context["inputIndex"] = [str(index)]
    error: dict[str, Any] = {"message": message, "in": where, "code": code}
    if context:
        error["context"] = context
    return error


def json_object(data: Any, *, what: str = "The request body") -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        message = f"{what} must be a JSON object."
        raise validation_error(message, [input_error(message, code="INVALID_INPUT", where="body", index=None)])
    return data


def batch_items(data: Any) -> list[Any]:
    """A batch body's `inputs`: a list of at most `MAX_BATCH_INPUTS` entries."""
    inputs = json_object(data).get("inputs")
    if not isinstance(inputs, list):
        message = "`inputs` is required and must be a list."
        raise validation_error(message, [input_error(message, code="INVALID_INPUT", where="inputs", index=None)])
    if len(inputs) > MAX_BATCH_INPUTS:
        message = f"Batch input limit exceeded: at most {MAX_BATCH_INPUTS} inputs per request, got {len(inputs)}."
        raise validation_error(message, [input_error(message, code="TOO_MANY_INPUTS", where="inputs", index=None)])
    return inputs


def _id_errors(raw: Any, index: int | None) -> list[dict[str, Any]]:
    if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw).strip():
        return [input_error("`id` is required and must be a string.", code="INVALID_ID", where="id", index=index)]
    return []


def _id_property_errors(id_property: Any, allowed: Iterable[str], index: int | None) -> list[dict[str, Any]]:
    allowed = tuple(allowed)
    if isinstance(id_property, str) and id_property in allowed:
        return []
    message = f"idProperty must be one of {', '.join(allowed)}."
    return [input_error(message, code="INVALID_ID_PROPERTY", where="idProperty", index=index)]


def _storage_errors(contact: ContactInput, index: int | None) -> list[dict[str, Any]]:
    """Values longer than their column are refused as invalid (PostgreSQL would refuse them with a 500)."""
    errors = []
    for name, value in contact.data.items():
        max_length = Contact._meta.get_field(name).max_length
        if isinstance(value, str) and max_length and len(value) > max_length:
            prop = _FIELD_PROPERTY.get(name, name)
            message = f"Property {prop!r} is longer than {max_length} characters."
            errors.append(input_error(message, code="INVALID_VALUE", where=prop, index=index, propertyName=[prop]))
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
        return WriteInput(position), [input_error(message, code="INVALID_INPUT", where="inputs", index=index)]
    properties = item.get("properties")
    contact, errors = contact_input(properties, index=index)
    errors += _storage_errors(contact, index)
    if item.get("associations") is not None and not isinstance(item["associations"], list):
        message = "`associations` must be a list."
        errors.append(input_error(message, code="INVALID_INPUT", where="associations", index=index))
    raw_id = ""
    if with_id:
        raw_id = item.get("id")
        id_property = item.get("idProperty") or id_property
        errors += _id_errors(raw_id, index) + _id_property_errors(id_property, id_properties, index)
    names = tuple(properties) if isinstance(properties, Mapping) else ()
    parsed = WriteInput(position, contact, names, str(raw_id).strip() if not errors else "", str(id_property))
    return parsed, errors


def single_write(data: Any) -> ContactWrites:
    """The one input of a create or update body."""
    item, errors = write_input(json_object(data), index=None)
    return ContactWrites([item], errors)


def batch_writes(data: Any, **options: Any) -> ContactWrites:
    """Every input of a batch create, update or upsert, and all their errors together."""
    inputs, errors = [], []
    for index, item in enumerate(batch_items(data)):
        parsed, item_errors = write_input(item, index=index, **options)
        inputs.append(parsed)
        errors += item_errors
    return ContactWrites(inputs, errors)


def upsert_writes(data: Any) -> ContactWrites:
    """Upsert inputs name contacts by email (`idProperty` "email", the default); an `email` property, if
    given, must be that same email."""
    writes = batch_writes(data, with_id=True, id_property="email", id_properties=("email",))
    for item in writes.inputs:
        if item.id and "email" in item.contact.data and item.email != normalize_email(item.id):
            message = "The `email` property must be the input's `id`."
            writes.errors.append(
                input_error(message, code="INVALID_VALUE", where="email", index=item.index, propertyName=["email"])
            )
    return writes


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
        raise validation_error(message, [input_error(message, code="INVALID_INPUT", where="properties", index=None)])
    return value


def flag(value: object) -> bool:
    """A query-string or JSON boolean: true/True/1 is true, anything else false."""
    return str(value).strip().lower() in ("true", "1")


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
        raise validation_error(message, [input_error(message, code="INVALID_INPUT", where=name, index=None)])
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


def raise_if_duplicates(keys: Iterable[tuple[WriteInput, object]]) -> None:
    """HubSpot refuses a batch that names one object twice: 400, naming the inputs."""
    first: dict[object, int] = {}
    errors = []
    for item, key in keys:
        if key in first:
            message = f"Input {item.index} names the same contact as input {first[key]}."
            errors.append(input_error(message, code="DUPLICATE_ID", where="id", index=item.index))
        else:
            first[key] = item.index
    if errors:
        raise validation_error("Duplicate IDs found in batch input.", errors)


@dataclass(frozen=True)
class SwitchRequest:
    """A validated marketing switch request: distinct ids in the order given (B1: duplicates are applied once)."""

    ids: list[str]
    id_property: str
    confirm_tier_upgrade: bool
