"""Writes of the non-customizable tools (R9): logging a one-to-one email, meetings links and bookings,
tickets, and the mobile-app / email-extension intake.

Each creates or matches its contacts through `capture.services.contact_capture` with its tool, so a new
contact is non-marketing with the tool recorded (`creation_tool`, the policy's reason type, reason id =
the log, link, ticket or actor id) and an existing contact's status is never changed (no history row).
Every write is one transaction: a refusal (a missing permission, an invalid value, a taken slot)
leaves nothing behind, neither the engagement nor a contact created for it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from capture.services import CaptureResult, contact_capture
from contacts.models import Contact
from contacts.services import normalize_email
from engagements.models import (
    AvailabilityWindow,
    Booking,
    EmailLog,
    EmailLogRecipient,
    MeetingLink,
    RecipientKind,
    Ticket,
    TicketStage,
)
from engagements.selectors import link_windows
from engagements.slots import Window, WindowsInvalid, is_scheduled, windows_check
from marketing_status.actors import Actor
from marketing_status.policy import CreationTool

MAX_RECIPIENTS = 50
EXTENSION_TOOLS = {
    CreationTool.EMAIL_EXTENSION.value: CreationTool.EMAIL_EXTENSION,
    CreationTool.MOBILE_APP.value: CreationTool.MOBILE_APP,
}


class EngagementInvalid(Exception):
    """Some values are invalid; `errors` maps each field to its message. Nothing was stored."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


class SlotUnavailable(Exception):
    """The requested start is not a slot the link offers (past, beyond the horizon, outside availability)."""


class SlotTaken(Exception):
    """Someone booked this slot first (the unique constraint refused the second booking). Nothing was stored."""


def _valid_email(email: str | None, field: str) -> str:
    email = normalize_email(email if isinstance(email, str) else None)
    if not email:
        raise EngagementInvalid({field: "An email address is required."})
    try:
        validate_email(email)
    except ValidationError:
        raise EngagementInvalid({field: f"{email!r} is not a valid email address."}) from None
    return email


# --- One-to-one email logging -------------------------------------------------------------------


@dataclass(frozen=True)
class EmailLogResult:
    email_log: EmailLog
    contacts_created: int


def _recipients(to: Sequence[str], cc: Sequence[str]) -> list[tuple[str, RecipientKind]]:
    """Normalised, valid addresses, each once (an address in both To and Cc is a To recipient)."""
    seen: dict[str, RecipientKind] = {}
    for field, kind, addresses in (("to", RecipientKind.TO, to), ("cc", RecipientKind.CC, cc)):
        for address in addresses:
            seen.setdefault(_valid_email(address, field), kind)
    if not any(kind == RecipientKind.TO for kind in seen.values()):
        raise EngagementInvalid({"to": "Name at least one recipient."})
    if len(seen) > MAX_RECIPIENTS:
        raise EngagementInvalid({"cc": f"An email can be logged with at most {MAX_RECIPIENTS} recipients."})
    return list(seen.items())


def email_log(
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    body: str = "",
    sent_at: datetime,
    actor: Actor,
    logged_on: Contact | None = None,
    now: datetime | None = None,
) -> EmailLogResult:
    """R9: log a one-to-one email (nothing is sent) and associate it with every recipient's contact.

    Recipients without a contact get one, non-marketing (tool ONE_TO_ONE_EMAIL, reason id = the log's
    id), which needs `contacts.add_contact`; logging needs `engagements.add_emaillog`. `logged_on` is
    the record it was logged from. All or nothing.
    """
    actor.ensure_permission("engagements.add_emaillog", "You need permission to log emails.")
    recipients = _recipients(to, cc)
    with transaction.atomic():
        log = EmailLog.objects.create(
            logged_on=logged_on,
            subject=subject,
            body=body,
            sent_at=sent_at,
            logged_by=actor.user,
            logged_at=now or timezone.now(),
        )
        rows, created = [], 0
        for email, kind in recipients:
            capture = contact_capture(
                data={"email": email}, tool=CreationTool.ONE_TO_ONE_EMAIL, source_id=str(log.pk), actor=actor, now=now
            )
            created += capture.created
            rows.append(EmailLogRecipient(email_log=log, contact=capture.contact, email=email, kind=kind))
        EmailLogRecipient.objects.bulk_create(rows)
    return EmailLogResult(log, created)


# --- Meetings links -----------------------------------------------------------------------------


def _link_fields(*, name: str, slug: str, duration_minutes: int, days_ahead: int) -> dict[str, Any]:
    errors = {}
    if not name.strip():
        errors["name"] = "Give the link a name."
    if duration_minutes not in MeetingLink.DURATIONS:
        errors["duration_minutes"] = f"Choose one of {', '.join(map(str, MeetingLink.DURATIONS))} minutes."
    if not 1 <= days_ahead <= 90:
        errors["days_ahead"] = "Between 1 and 90 days."
    if errors:
        raise EngagementInvalid(errors)
    return {"name": name.strip(), "slug": slug, "duration_minutes": duration_minutes, "days_ahead": days_ahead}


def _checked_windows(windows: Sequence[Window]) -> list[Window]:
    try:
        ordered = windows_check(windows)
    except WindowsInvalid as invalid:
        raise EngagementInvalid({"windows": str(invalid)}) from None
    if not ordered:
        raise EngagementInvalid({"windows": "Offer at least one time window."})
    return ordered


def _save_link(link: MeetingLink, windows: list[Window]) -> MeetingLink:
    """Save the link and replace its windows, in one transaction; a taken slug is an `EngagementInvalid`."""
    try:
        with transaction.atomic():
            link.save()
            AvailabilityWindow.objects.filter(link=link).delete()
            AvailabilityWindow.objects.bulk_create(
                AvailabilityWindow(link=link, weekday=window.weekday, start=window.start, end=window.end)
                for window in windows
            )
    except IntegrityError:
        if MeetingLink.objects.filter(slug=link.slug).exclude(pk=link.pk).exists():
            raise EngagementInvalid({"slug": f"The address {link.slug!r} is taken: choose another."}) from None
        raise
    return link


def meeting_link_create(
    *,
    owner,
    name: str,
    slug: str,
    duration_minutes: int,
    days_ahead: int,
    windows: Sequence[Window],
    actor: Actor,
    now: datetime | None = None,
) -> MeetingLink:
    """A meetings link for `owner`, with its weekly availability (wall-clock times, account time zone)."""
    actor.ensure_permission("engagements.add_meetinglink", "You need permission to create meetings links.")
    fields = _link_fields(name=name, slug=slug, duration_minutes=duration_minutes, days_ahead=days_ahead)
    now = now or timezone.now()
    link = MeetingLink(owner=owner, created_at=now, updated_at=now, **fields)
    return _save_link(link, _checked_windows(windows))


def meeting_link_update(
    *, link: MeetingLink, name: str, slug: str, duration_minutes: int, days_ahead: int, windows: Sequence[Window], actor
) -> MeetingLink:
    """Change a link and replace its availability; bookings already made stay as they are."""
    actor.ensure_permission("engagements.change_meetinglink", "You need permission to change meetings links.")
    fields = _link_fields(name=name, slug=slug, duration_minutes=duration_minutes, days_ahead=days_ahead)
    ordered = _checked_windows(windows)
    link = MeetingLink.objects.get(pk=link.pk)
    for field, value in fields.items():
        setattr(link, field, value)
    link.updated_at = timezone.now()
    return _save_link(link, ordered)


# --- Bookings -----------------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str]:
    name = " ".join(name.split())
    if not name:
        raise EngagementInvalid({"name": "Enter your name."})
    if len(name) > 100:
        raise EngagementInvalid({"name": "At most 100 characters."})
    first, _, last = name.partition(" ")
    return first, last


def meeting_book_check(*, link: MeetingLink, start: datetime, name: str, email: str, now: datetime | None = None):
    """Validate a booking without storing anything: `EngagementInvalid` for the name or email,
    `SlotUnavailable` for a start the link does not offer (past, beyond its days, outside availability)."""
    _split_name(name)
    _valid_email(email, "email")
    now = now or timezone.now()
    offered = is_scheduled(
        start=start,
        windows=link_windows(link=link),
        duration_minutes=link.duration_minutes,
        days_ahead=link.days_ahead,
        now=now,
        zone=timezone.get_default_timezone(),
    )
    if not offered:
        message = "That time has passed." if start <= now else "That time is not offered by this link."
        raise SlotUnavailable(message)


def meeting_book(*, link: MeetingLink, start: datetime, name: str, email: str, now: datetime | None = None) -> Booking:
    """R9: book `start` on `link` for the visitor, creating or matching their contact (tool MEETINGS,
    reason id = the link's id; an existing contact's status is left alone).

    `SlotTaken` when the slot is booked already: the unique constraint decides, so two visitors racing
    for one slot get one booking and one refusal, and the refused one stores no contact either.
    """
    meeting_book_check(link=link, start=start, name=name, email=email, now=now)
    first_name, last_name = _split_name(name)
    email = _valid_email(email, "email")
    with transaction.atomic():
        capture = contact_capture(
            data={"email": email, "first_name": first_name, "last_name": last_name},
            tool=CreationTool.MEETINGS,
            source_id=str(link.pk),
            actor=Actor.system(f"meetings-link:{link.pk}"),
            now=now,
        )
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    link=link,
                    contact=capture.contact,
                    start=start,
                    end=start + timedelta(minutes=link.duration_minutes),
                    name=" ".join(name.split()),
                    email=email,
                    booked_at=now or timezone.now(),
                )
        except IntegrityError:
            raise SlotTaken("That time was just booked by someone else: please pick another time.") from None


# --- Tickets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketResult:
    ticket: Ticket
    contact_created: bool


def ticket_create(
    *,
    subject: str,
    description: str = "",
    stage: str = TicketStage.NEW,
    requester_email: str,
    actor: Actor,
    now: datetime | None = None,
) -> TicketResult:
    """R9: a ticket whose requester is created (non-marketing, tool TICKET, reason id = the ticket's id) when
    no contact has that email; an existing contact is left as it is. Needs `engagements.add_ticket`, and
    `contacts.add_contact` when the requester is new. All or nothing."""
    actor.ensure_permission("engagements.add_ticket", "You need permission to create tickets.")
    errors = {}
    if not subject.strip():
        errors["subject"] = "Give the ticket a subject."
    if stage not in TicketStage.values:
        errors["stage"] = f"{stage!r} is not a stage of the support pipeline."
    if errors:
        raise EngagementInvalid(errors)
    email = _valid_email(requester_email, "requester_email")
    with transaction.atomic():
        ticket = Ticket.objects.create(
            subject=subject.strip(),
            description=description,
            stage=stage,
            created_by=actor.user,
            created_at=now or timezone.now(),
        )
        capture = contact_capture(
            data={"email": email}, tool=CreationTool.TICKET, source_id=str(ticket.pk), actor=actor, now=now
        )
        Ticket.objects.filter(pk=ticket.pk).update(requester=capture.contact)
        ticket.requester = capture.contact
    return TicketResult(ticket, capture.created)


# --- Mobile app and email extension -------------------------------------------------------------


def extension_contact_capture(*, source: str, properties: Mapping[str, Any], actor: Actor) -> CaptureResult:
    """R9: a contact sent by the mobile app or the email extension (`source` EMAIL_EXTENSION or MOBILE_APP),
    created non-marketing with that tool (reason id = the acting user's or integration's id) or matched by
    email; a match gets the sent properties and keeps its status.

    `properties` are contact fields (`contacts.services.EDITABLE_FIELDS`) and must include a valid email.
    """
    tool = EXTENSION_TOOLS.get(source)
    if tool is None:
        raise EngagementInvalid({"source": f"source must be one of {', '.join(EXTENSION_TOOLS)}."})
    data = {**properties, "email": _valid_email(properties.get("email"), "email")}
    return contact_capture(data=data, tool=tool, source_id=actor.id, actor=actor)
