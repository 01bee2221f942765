"""Sales and service objects whose contacts are always non-marketing (R9): logged one-to-one emails,
meetings links and their bookings, and tickets.

Rows are written only by `engagements.services`; every contact they name was created or matched by
`capture.services.contact_capture` with the tool (ONE_TO_ONE_EMAIL, MEETINGS, TICKET), so it carries
`creation_tool` and the policy's reason, and an existing contact's status is never touched.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from engagements.slots import WEEKDAYS


class EmailLog(models.Model):
    """A one-to-one email a user logged (not sent: R28 is about sending). Its recipients are contacts,
    created non-marketing when new (R9, tool ONE_TO_ONE_EMAIL, reason id = this log's id)."""

    logged_on = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )  # the record it was logged from, which may have no email address
    subject = models.CharField(max_length=255)
    body = models.TextField(blank=True)
    sent_at = models.DateTimeField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    logged_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class RecipientKind(models.TextChoices):
    TO = "to", "To"
    CC = "cc", "Cc"


class EmailLogRecipient(models.Model):
    """One address of a logged email and the contact it names (the email's association with that contact)."""

    email_log = models.ForeignKey(EmailLog, on_delete=models.CASCADE, related_name="recipients")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="logged_emails")
    email = models.EmailField(max_length=254)
    kind = models.CharField(max_length=2, choices=RecipientKind.choices)

    class Meta:
        ordering = ["kind", "pk"]  # "cc" < "to": shown with `kind` descending where order matters
        constraints = [models.UniqueConstraint(fields=["email_log", "email"], name="emaillog_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.email}"


class MeetingLink(models.Model):
    """A user's meetings link: a public booking page at /meetings/<slug> offering slots of `duration_minutes`
    within the weekly availability (`windows`, in the account time zone) from now to `days_ahead` days on.
    Contacts who book are created non-marketing (R9, tool MEETINGS, reason id = this link's id)."""

    DURATIONS = (15, 30, 45, 60, 90, 120)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_links")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    duration_minutes = models.PositiveSmallIntegerField(choices=[(minutes, f"{minutes} min") for minutes in DURATIONS])
    days_ahead = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(90)])
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class AvailabilityWindow(models.Model):
    """One weekly window of a meetings link: `weekday` (0 Monday … 6 Sunday) from `start` to `end`,
    wall-clock times in the account time zone (`TIME_ZONE`)."""

    link = models.ForeignKey(MeetingLink, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(choices=list(enumerate(WEEKDAYS)), validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="availability_window_ordered"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_window_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}–{self.end:%H:%M}"


class Booking(models.Model):
    """A meeting booked through a meetings link. The unique constraint on (link, start) is what stops a
    slot being booked twice, also by two visitors at the same moment: no read-then-write check."""

    link = models.ForeignKey(MeetingLink, on_delete=models.CASCADE, related_name="bookings")
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="meeting_bookings"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["start", "pk"]
        constraints = [models.UniqueConstraint(fields=["link", "start"], name="booking_slot_unique")]

    def __str__(self) -> str:
        return f"{self.link} at {self.start:%Y-%m-%d %H:%M}"


class TicketStage(models.TextChoices):
    """The stages of the support pipeline, as HubSpot's default pipeline names them."""

    NEW = "new", "New"
    WAITING_ON_CONTACT = "waiting_on_contact", "Waiting on contact"
    WAITING_ON_US = "waiting_on_us", "Waiting on us"
    CLOSED = "closed", "Closed"


class Ticket(models.Model):
    """A support ticket. A requester without a contact yet gets one, non-marketing (R9, tool TICKET,
    reason id = this ticket's id)."""

    subject = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    stage = models.CharField(max_length=24, choices=TicketStage.choices, default=TicketStage.NEW)
    requester = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="requested_tickets"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject
