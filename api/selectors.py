"""The API's reads: a page of contacts, the contacts a request names, their state after a switch, and
the subscription the marketing endpoints need.

A path or input that names no contact is a 404 (`api.errors.not_found`) or, in a batch, one of the
ids the endpoint reports as missing.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from api.errors import ApiError, not_found, validation_error
from api.inputs import PageRequest, SwitchRequest, WriteInput
from api.lookups import contact_get, contacts_by_ids
from api.parsers import storable
from billing.models import Subscription
from billing.selectors import (
    MarketingContactsNotEnabled,
    next_update_date,
    subscription_get,
    subscription_require_enabled,
    update_moment,
)
from contacts.models import Contact
from contacts.properties import format_datetime


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


# --- The marketing endpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwitchTargets:
    """The live contacts a request names (each once, in request order) and the ids that named none."""

    contacts: list[Contact]
    missing: list[str]


def switch_targets_get(*, request: SwitchRequest) -> SwitchTargets:
    """Archived contacts are not found (R22); two ids naming one contact (e.g. emails differing in case) count once."""
    found = contacts_by_ids(request.ids, id_property=request.id_property)
    contacts = list({contact.pk: contact for raw in request.ids if (contact := found.get(raw))}.values())
    return SwitchTargets(contacts=contacts, missing=[raw for raw in request.ids if raw not in found])


@dataclass(frozen=True)
class SwitchedContact:
    """A contact a switch named, as it is now; whether the switch changed it; when a pending switch takes effect."""

    after: Contact
    changed: bool
    effective_at: str | None


def _status_key(contact: Contact) -> tuple[bool | None, bool]:
    return contact.marketable_status, contact.marketable_until_renewal


def _effective_at(subscription: Subscription | None, now: datetime) -> str | None:
    """R11, R20: a pending switch takes effect at the start of the next update date."""
    if subscription is None:
        return None
    return format_datetime(update_moment(next_update_date(subscription=subscription, now=now)))


def contacts_switched(*, before: Iterable[Contact], now: datetime) -> list[SwitchedContact]:
    """Each contact re-read after the switch, compared with its state `before`."""
    before = list(before)
    after = Contact.objects.in_bulk([contact.pk for contact in before])
    effective_at = _effective_at(subscription_get(), now)
    switched = []
    for old in before:
        contact = after.get(old.pk, old)  # deleted meanwhile: report what the request found
        switched.append(SwitchedContact(contact, _status_key(contact) != _status_key(old), effective_at))
    return switched


def enabled_subscription_get() -> Subscription:
    """The subscription, or a 400 when there is none or marketing contacts are not enabled (R1)."""
    try:
        return subscription_require_enabled()
    except MarketingContactsNotEnabled as error:
        message = (
            "This account has no subscription yet, so it has no marketing-contact usage."
            if error.subscription is None
            else "Marketing contacts are not enabled for this account."
        )
        raise validation_error(message, sub_category="MARKETING_CONTACTS_NOT_ENABLED") from None
