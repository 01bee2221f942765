"""Finding the contacts an API request names: by record id, or by email with `idProperty=email`."""

from collections.abc import Iterable

from api.errors import not_found, validation_error
from contacts.models import Contact
from contacts.services import normalize_email

ID_PROPERTIES = ("hs_object_id", "email")


def check_id_property(id_property: str | None) -> str:
    id_property = id_property or "hs_object_id"
    if id_property not in ID_PROPERTIES:
        raise validation_error(
            f"idProperty must be one of {', '.join(ID_PROPERTIES)}, not {id_property!r}.",
            [
                {
                    "message": f"{id_property!r} is not a unique property",
                    "in": "idProperty",
                    "code": "INVALID_ID_PROPERTY",
                }
            ],
        )
    return id_property


def _key(raw: object, id_property: str) -> str | int | None:
    """The lookup value for one id, or None when it cannot name any contact (e.g. a non-numeric record id)."""
    text = str(raw).strip()
    if id_property == "email":
        return normalize_email(text)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def contacts_by_ids(
    ids: Iterable[object], *, id_property: str | None = None, archived: bool = False
) -> dict[str, Contact]:
    """Map each given id (as the client wrote it) to its contact; ids that match nothing are left out.

    `archived=False` looks among live contacts, `archived=True` among archived ones (HubSpot's
    `archived` flag). Emails match case-insensitively.
    """
    id_property = check_id_property(id_property)
    keys = {str(raw): _key(raw, id_property) for raw in ids}
    wanted = {key for key in keys.values() if key is not None}
    if not wanted:
        return {}
    field = "pk" if id_property == "hs_object_id" else "email"
    rows = Contact.objects.filter(**{f"{field}__in": wanted}, archived_at__isnull=not archived)
    if archived and field == "email":
        rows = rows.order_by("email", "-archived_at")  # several archived contacts can share an email
    found: dict[object, Contact] = {}
    for contact in rows:
        found.setdefault(contact.pk if field == "pk" else contact.email, contact)
    return {raw: found[key] for raw, key in keys.items() if key in found}


def contact_get(contact_id: object, *, id_property: str | None = None, archived: bool = False) -> Contact:
    found = contacts_by_ids([contact_id], id_property=id_property, archived=archived)
    if not found:
        raise not_found("Object not found. objectId are usually numeric.", context={"id": [str(contact_id)]})
    return next(iter(found.values()))
