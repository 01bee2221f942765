"""The contact property vocabulary: properties by HubSpot's internal names, and objects in HubSpot's shape.

Every property value is a string: "" when the contact has no value, "true"/"false" for booleans,
ISO 8601 in UTC with milliseconds for datetimes. `PROPERTIES` is the one table that the API's object
views, search and schema, the filter grammar (`contacts.search`), forms and workflows read.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contacts.models import Contact, EmailSubscription, LifecycleStage


@dataclass(frozen=True)
class Property:
    name: str
    label: str
    field: str  # the Contact field behind it
    type: str = "string"  # HubSpot's types: string, number, bool, enumeration, datetime
    read_only: bool = False
    options: tuple[str, ...] = ()
    text_search: bool = False  # searched by a search request's `query` (HubSpot's default searchable properties)

    def value(self, contact: Contact) -> str:
        return to_string(_read(self, contact))


def _read(prop: Property, contact: Contact) -> Any:
    if prop.name == "hs_email_optout":
        return contact.email_subscription == EmailSubscription.UNSUBSCRIBED
    return getattr(contact, prop.field)


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    return str(value)


def format_datetime(moment: datetime) -> str:
    """HubSpot's timestamps: `2026-11-22T07:33:52.123Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


MARKETING_STATUS = "hs_marketable_status"

PROPERTIES: dict[str, Property] = {
    prop.name: prop
    for prop in (
        Property("hs_object_id", "Record ID", "pk", "number", read_only=True),
        Property("email", "Email", "email", text_search=True),
        Property("firstname", "First name", "first_name", text_search=True),
        Property("lastname", "Last name", "last_name", text_search=True),
        Property("company", "Company name", "company", text_search=True),
        Property("phone", "Phone number", "phone", text_search=True),
        Property(
            "lifecyclestage", "Lifecycle stage", "lifecycle_stage", "enumeration", options=tuple(LifecycleStage.values)
        ),
        Property(
            "hs_email_optout", "Unsubscribed from all email", "email_subscription", "bool", options=("true", "false")
        ),
        Property("createdate", "Create date", "created_at", "datetime", read_only=True),
        Property("lastmodifieddate", "Last modified date", "updated_at", "datetime", read_only=True),
        Property("hs_object_source", "Record source", "creation_tool", "enumeration", read_only=True),
        Property("hs_object_source_id", "Record source ID", "creation_source_id", read_only=True),
        # The four marketing properties (spec: "Contact properties"). Only the status is writable, and
        # only with the marketing-contacts.write scope; the service then applies R10–R13.
        Property(MARKETING_STATUS, "Marketing contact status", "marketable_status", "bool", options=("true", "false")),
        Property(
            "hs_marketable_until_renewal",
            "Marketing contact until next update",
            "marketable_until_renewal",
            "bool",
            read_only=True,
        ),
        Property(
            "hs_marketable_reason_type",
            "Marketing contact status source type",
            "marketable_reason_type",
            "enumeration",
            read_only=True,
        ),
        Property(
            "hs_marketable_reason_id", "Marketing contact status source name", "marketable_reason_id", read_only=True
        ),
    )
}
# What HubSpot returns when a request names no properties, and what it always adds when it does.
DEFAULT_PROPERTIES = ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname")
ALWAYS_PROPERTIES = ("createdate", "hs_object_id", "lastmodifieddate")


def requested_properties(names: Iterable[str] | None) -> list[str]:
    """The properties an object carries: the defaults when none are named, else the known names asked
    for plus `ALWAYS_PROPERTIES`. Unknown names are ignored on reads, as HubSpot does."""
    names = [name.strip() for name in names or () if name and name.strip()]
    if not names:
        return list(DEFAULT_PROPERTIES)
    return sorted({*(name for name in names if name in PROPERTIES), *ALWAYS_PROPERTIES})


def contact_object(contact: Contact, properties: Iterable[str]) -> dict[str, Any]:
    """A contact as HubSpot's SimplePublicObject."""
    obj = {
        "id": str(contact.pk),
        "properties": {name: PROPERTIES[name].value(contact) for name in properties},
        "createdAt": format_datetime(contact.created_at),
        "updatedAt": format_datetime(contact.updated_at),
        "archived": contact.archived_at is not None,
    }
    if contact.archived_at is not None:
        obj["archivedAt"] = format_datetime(contact.archived_at)
    return obj


@dataclass(frozen=True)
class ContactInput:
    """Writable properties of one input, as `contacts.services` fields, and the requested marketing status
    (None when the input does not set `hs_marketable_status`)."""

    data: dict[str, Any]
    marketing: bool | None = None


def _property_error(name: str, message: str, code: str, index: int | None) -> dict[str, Any]:
    context: dict[str, list[str]] = {"propertyName": [name]}
    if index is not None:
        context["inputIndex"] = [str(index)]
    return {"message": message, "in": name, "code": code, "context": context}


def _input_value(prop: Property, raw: Any) -> tuple[Any, str | None]:
    """(field value, error message). HubSpot accepts numbers and booleans and stores them as strings."""
    if raw is None:
        raw = ""
    if isinstance(raw, dict | list):
        return None, f"Property {prop.name!r} must be a string, not {type(raw).__name__}."
    text = to_string(raw).strip() if isinstance(raw, bool) else str(raw).strip()
    if prop.type == "bool":
        if text.lower() not in ("true", "false"):
            return None, f'{text!r} is not a valid value for {prop.name!r}: use "true" or "false".'
        return text.lower() == "true", None
    if prop.type == "enumeration" and text and text not in prop.options:
        return None, f"{text!r} was not one of the allowed options for {prop.name!r}: {', '.join(prop.options)}."
    return text, None


def contact_input(properties: Any, *, index: int | None = None) -> tuple[ContactInput, list[dict[str, Any]]]:
    """Turn an input's `properties` into service fields; returns the input and a list of errors."""
    if not isinstance(properties, Mapping):
        return ContactInput({}), [
            _property_error("properties", "`properties` must be an object.", "INVALID_INPUT", index)
        ]
    data: dict[str, Any] = {}
    marketing: bool | None = None
    errors = []
    for name, raw in properties.items():
        prop = PROPERTIES.get(name)
        if prop is None:
            errors.append(_property_error(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST", index))
            continue
        if prop.read_only:
            errors.append(_property_error(name, f'Property "{name}" is read-only', "READ_ONLY_VALUE", index))
            continue
        value, message = _input_value(prop, raw)
        if message:
            errors.append(_property_error(name, message, "INVALID_OPTION" if prop.options else "INVALID_VALUE", index))
        elif name == MARKETING_STATUS:
            marketing = value
        elif name == "hs_email_optout":
            data["email_subscription"] = EmailSubscription.UNSUBSCRIBED if value else EmailSubscription.SUBSCRIBED
        else:
            data[prop.field] = value
    return ContactInput(data, marketing), errors
