"""Reads of engagements: meeting slots, the admin lists, and what a contact record shows."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from contacts.models import Contact
from engagements.models import Booking, EmailLog, EmailLogRecipient, MeetingLink, Ticket
from engagements.slots import Window, schedule_slots


def link_windows(*, link: MeetingLink) -> list[Window]:
    return [
        Window(weekday, start, end)
        for weekday, start, end in link.windows.order_by("weekday", "start").values_list("weekday", "start", "end")
    ]


def link_free_slots(*, link: MeetingLink, now: datetime | None = None) -> list[datetime]:
    """The slots a visitor can book now: the schedule's future slots less those already booked."""
    now = now or timezone.now()
    slots = schedule_slots(
        windows=link_windows(link=link),
        duration_minutes=link.duration_minutes,
        days_ahead=link.days_ahead,
        now=now,
        zone=timezone.get_default_timezone(),
    )
    if not slots:
        return []
    booked = set(
        Booking.objects.filter(link=link, start__gte=slots[0], start__lte=slots[-1]).values_list("start", flat=True)
    )
    return [slot for slot in slots if slot not in booked]


def meeting_links_list() -> QuerySet[MeetingLink]:
    return (
        MeetingLink.objects.select_related("owner")
        .prefetch_related("windows")
        .annotate(upcoming=Count("bookings", filter=Q(bookings__start__gte=timezone.now())))
        .order_by("name", "pk")
    )


def bookings_list(*, link: MeetingLink | None = None, upcoming: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.select_related("link", "contact")
    if link is not None:
        bookings = bookings.filter(link=link)
    if upcoming:
        bookings = bookings.filter(start__gte=timezone.now())
    return bookings.order_by("start", "pk")


def tickets_list(*, stage: str = "") -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("requester", "created_by")
    return tickets.filter(stage=stage) if stage else tickets


def _recipients_prefetch() -> Prefetch:
    return Prefetch("recipients", queryset=EmailLogRecipient.objects.order_by("-kind", "pk"))


def contact_email_logs(*, contact: Contact, limit: int = 20) -> list[EmailLog]:
    """Emails logged on the record or with the contact among their recipients, newest first."""
    logs = EmailLog.objects.filter(Q(logged_on=contact) | Q(recipients__contact=contact)).distinct()
    logs = logs.select_related("logged_by").prefetch_related(_recipients_prefetch())
    return list(logs.order_by("-sent_at", "-pk")[:limit])


@dataclass(frozen=True)
class ContactEngagements:
    email_logs: list[EmailLog]
    tickets: list[Ticket]
    bookings: list[Booking]


def contact_engagements(*, contact: Contact, limit: int = 20) -> ContactEngagements:
    """What the contact record shows of this app: logged emails, tickets requested, meetings booked."""
    return ContactEngagements(
        email_logs=contact_email_logs(contact=contact, limit=limit),
        tickets=list(Ticket.objects.filter(requester=contact).order_by("-created_at", "-pk")[:limit]),
        bookings=list(Booking.objects.filter(contact=contact).select_related("link").order_by("-start", "-pk")[:limit]),
    )
