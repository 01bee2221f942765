"""engagements.services: the non-customizable tools always create non-marketing contacts and never change an
existing contact's status (R9), with all-or-nothing writes (R30 refusals, invalid input, a taken slot)."""

import datetime as dt

import pytest

from contacts.models import Contact
from engagements.models import Booking, EmailLog, EmailLogRecipient, MeetingLink, Ticket, TicketStage
from engagements.services import (
    EngagementInvalid,
    SlotTaken,
    SlotUnavailable,
    email_log,
    extension_contact_capture,
    meeting_book,
    meeting_link_create,
    meeting_link_update,
    ticket_create,
)
from engagements.slots import Window
from integrations.scopes import CONTACTS_WRITE
from marketing_status.actors import Actor, MarketingStatusPermissionDenied
from marketing_status.policy import CreationTool
from tests.engagements.conftest import SLOT
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db
SENT = dt.datetime(2026, 3, 9, 15, 0, tzinfo=dt.UTC)
EMAIL = "visitor@example.com"


# --- R9: one table over the tools and the state of the contact they name -------------------------


def _log_email(email, *, link, rep_actor):
    result = email_log(to=[email], subject="Quote", sent_at=SENT, actor=rep_actor)
    return str(result.email_log.pk)


def _book(email, *, link, rep_actor):
    booking = meeting_book(link=link, start=SLOT, name="Vera Visitor", email=email)
    return str(booking.link_id)


def _ticket(email, *, link, rep_actor):
    result = ticket_create(subject="Cannot sign in", requester_email=email, actor=rep_actor)
    return str(result.ticket.pk)


def _extension(source):
    def run(email, *, link, rep_actor):
        extension_contact_capture(source=source, properties={"email": email}, actor=rep_actor)
        return rep_actor.id

    return run


TOOLS = {
    # tool: (run, reason type the policy gives it)
    CreationTool.ONE_TO_ONE_EMAIL: (_log_email, "EMAIL"),
    CreationTool.MEETINGS: (_book, "INITIAL_STATE"),
    CreationTool.TICKET: (_ticket, "INITIAL_STATE"),
    CreationTool.EMAIL_EXTENSION: (_extension("EMAIL_EXTENSION"), "EMAIL"),
    CreationTool.MOBILE_APP: (_extension("MOBILE_APP"), "INITIAL_STATE"),
}
EXISTING = {  # state: contacts_make options
    "marketing": {"marketing": True},
    "non_marketing": {},
    "pending": {"pending": True},
}


def _status(contact: Contact) -> tuple:
    contact = Contact.objects.get(pk=contact.pk)
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
        contact.marketable_status_changed_at,
        contact.creation_tool,
        contact.creation_source_id,
    )


@pytest.mark.parametrize("tool", TOOLS, ids=str)
def test_r9_new_contact_is_non_marketing_with_its_tool_recorded(tool, link, rep_actor, history_of):
    run, reason_type = TOOLS[tool]
    source_id = run(EMAIL, link=link, rep_actor=rep_actor)
    contact = Contact.objects.get(email=EMAIL)
    assert _status(contact)[:4] == (False, False, reason_type, source_id)
    assert (contact.creation_tool, contact.creation_source_id) == (tool, source_id)
    (created,) = history_of(contact)
    assert (created["old_status"], created["new_status"], created["new_until_renewal"]) == (None, False, False)
    assert (created["reason_type"], created["reason_id"]) == (reason_type, source_id)


@pytest.mark.parametrize("state", EXISTING)
@pytest.mark.parametrize("tool", TOOLS, ids=str)
def test_r9_existing_contact_keeps_its_status_and_gets_no_history(
    tool, state, link, rep_actor, marketer_actor, history_of
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, **EXISTING[state])
    before, history_before = _status(contact), history_of(contact)
    run, _ = TOOLS[tool]
    run(contact.email, link=link, rep_actor=rep_actor)
    assert _status(contact) == before
    assert history_of(contact) == history_before
    assert Contact.objects.filter(email=contact.email).count() == 1  # matched, not duplicated


# --- Logging a one-to-one email ------------------------------------------------------------------


def test_r9_logged_email_is_associated_with_every_recipient_new_ones_created(rep_actor, subscription, marketer_actor):
    (known,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    result = email_log(
        to=[known.email.upper(), "new.one@example.com"],
        cc=["New.Two@example.com", "new.one@example.com"],  # also in To: one To recipient
        subject="Proposal",
        body="Attached.",
        sent_at=SENT,
        actor=rep_actor,
        logged_on=known,
    )
    recipients = list(result.email_log.recipients.order_by("email").values_list("email", "kind", "contact__email"))
    assert recipients == [
        (known.email, "to", known.email),
        ("new.one@example.com", "to", "new.one@example.com"),
        ("new.two@example.com", "cc", "new.two@example.com"),
    ]
    assert result.contacts_created == 2
    assert (result.email_log.logged_by, result.email_log.logged_on, result.email_log.sent_at) == (
        rep_actor.user,
        known,
        SENT,
    )


def test_r30_logging_with_a_new_recipient_needs_permission_to_create_contacts(user_with, subscription, db_state):
    actor = Actor.for_user(user_with("add_emaillog"))
    before = db_state()
    with pytest.raises(MarketingStatusPermissionDenied, match="permission to create contacts"):
        email_log(to=["stranger@example.com"], subject="Hi", sent_at=SENT, actor=actor)
    assert db_state() == before
    assert (EmailLog.objects.count(), EmailLogRecipient.objects.count()) == (0, 0)


def test_logging_to_known_contacts_only_needs_no_contact_permission(user_with, subscription, marketer_actor):
    (known,) = contacts_make(count=1, actor=marketer_actor)
    result = email_log(to=[known.email], subject="Hi", sent_at=SENT, actor=Actor.for_user(user_with("add_emaillog")))
    assert (result.contacts_created, result.email_log.recipients.get().contact) == (0, known)


def test_logging_needs_its_own_permission(user_with, subscription, db_state):
    before = db_state()
    with pytest.raises(MarketingStatusPermissionDenied, match="permission to log emails"):
        email_log(to=["a@example.com"], subject="Hi", sent_at=SENT, actor=Actor.for_user(user_with("add_contact")))
    assert (db_state(), EmailLog.objects.count()) == (before, 0)


@pytest.mark.parametrize(
    ("to", "cc", "errors"),
    [
        (["ok@example.com", "not-an-address"], [], {"to": "'not-an-address' is not a valid email address."}),
        ([], ["cc@example.com"], {"to": "Name at least one recipient."}),
        (
            ["a@example.com"],
            [f"c{i}@example.com" for i in range(50)],
            {"cc": "An email can be logged with at most 50 recipients."},
        ),
    ],
)
def test_invalid_recipients_store_nothing(rep_actor, subscription, db_state, to, cc, errors):
    before = db_state()
    with pytest.raises(EngagementInvalid) as invalid:
        email_log(to=to, cc=cc, subject="Hi", sent_at=SENT, actor=rep_actor)
    assert invalid.value.errors == errors
    assert (db_state(), EmailLog.objects.count()) == (before, 0)


# --- Meetings links and bookings -----------------------------------------------------------------


def test_meeting_link_keeps_its_windows_and_an_update_replaces_them(link, rep_actor):
    assert list(link.windows.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]
    meeting_link_update(
        link=link,
        name="Demo",
        slug="demo",
        duration_minutes=60,
        days_ahead=7,
        windows=[Window(5, dt.time(10), dt.time(12))],
        actor=rep_actor,
    )
    link = MeetingLink.objects.get(pk=link.pk)
    assert (link.name, link.slug, link.duration_minutes, link.days_ahead) == ("Demo", "demo", 60, 7)
    assert list(link.windows.values_list("weekday", "start", "end")) == [(5, dt.time(10), dt.time(12))]


def test_a_taken_slug_is_refused_and_nothing_is_stored(link, rep, rep_actor):
    with pytest.raises(EngagementInvalid) as invalid:
        meeting_link_create(
            owner=rep,
            name="Other",
            slug="intro-call",
            duration_minutes=30,
            days_ahead=7,
            windows=[Window(0, dt.time(9), dt.time(10))],
            actor=rep_actor,
        )
    assert invalid.value.errors == {"slug": "The address 'intro-call' is taken: choose another."}
    assert list(MeetingLink.objects.values_list("name", flat=True)) == ["Intro call"]
    assert link.windows.count() == 5


def test_a_link_without_windows_is_refused(rep, rep_actor, db):
    with pytest.raises(EngagementInvalid) as invalid:
        meeting_link_create(
            owner=rep, name="Never", slug="never", duration_minutes=30, days_ahead=7, windows=[], actor=rep_actor
        )
    assert invalid.value.errors == {"windows": "Offer at least one time window."}
    assert not MeetingLink.objects.exists()


def test_r9_booking_stores_the_meeting_and_names_the_contact(link):
    booking = meeting_book(link=link, start=SLOT, name="  Vera   van Visitor ", email="Vera@Example.com")
    assert (booking.start, booking.end, booking.name, booking.email) == (
        SLOT,
        SLOT + dt.timedelta(minutes=30),
        "Vera van Visitor",
        "vera@example.com",
    )
    contact = booking.contact
    assert (contact.email, contact.first_name, contact.last_name) == ("vera@example.com", "Vera", "van Visitor")


def test_a_booked_slot_cannot_be_booked_twice_and_the_second_visitor_leaves_nothing(link, db_state):
    meeting_book(link=link, start=SLOT, name="First", email="first@example.com")
    before = db_state()
    with pytest.raises(SlotTaken, match="just booked by someone else"):
        meeting_book(link=link, start=SLOT, name="Second", email="second@example.com")
    assert db_state() == before
    assert not Contact.objects.filter(email="second@example.com").exists()
    assert list(Booking.objects.values_list("email", flat=True)) == ["first@example.com"]


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC), "That time has passed."),
        (dt.datetime(2026, 3, 11, 10, 10, tzinfo=dt.UTC), "That time is not offered by this link."),
        (dt.datetime(2026, 3, 14, 10, 0, tzinfo=dt.UTC), "That time is not offered by this link."),  # Saturday
        (dt.datetime(2026, 3, 30, 10, 0, tzinfo=dt.UTC), "That time is not offered by this link."),  # > 14 days
    ],
)
def test_a_start_the_link_does_not_offer_is_refused(link, db_state, start, message):
    before = db_state()
    with pytest.raises(SlotUnavailable) as refused:
        meeting_book(link=link, start=start, name="Vera", email=EMAIL)
    assert str(refused.value) == message
    assert (db_state(), Booking.objects.count()) == (before, 0)


@pytest.mark.parametrize(
    ("name", "email", "errors"),
    [
        ("Vera", "nope", {"email": "'nope' is not a valid email address."}),
        ("   ", EMAIL, {"name": "Enter your name."}),
        ("x" * 101, EMAIL, {"name": "At most 100 characters."}),
    ],
)
def test_invalid_visitor_details_store_nothing(link, db_state, name, email, errors):
    before = db_state()
    with pytest.raises(EngagementInvalid) as invalid:
        meeting_book(link=link, start=SLOT, name=name, email=email)
    assert invalid.value.errors == errors
    assert (db_state(), Booking.objects.count()) == (before, 0)


# --- Tickets -------------------------------------------------------------------------------------


def test_r9_ticket_with_a_new_requester_creates_the_contact(rep_actor, subscription):
    result = ticket_create(
        subject="Invoice",
        description="Wrong VAT.",
        stage=TicketStage.WAITING_ON_US,
        requester_email="Buyer@Example.com",
        actor=rep_actor,
    )
    ticket = Ticket.objects.select_related("requester").get(pk=result.ticket.pk)
    assert (ticket.subject, ticket.description, ticket.stage, ticket.created_by) == (
        "Invoice",
        "Wrong VAT.",
        "waiting_on_us",
        rep_actor.user,
    )
    assert (result.contact_created, ticket.requester.email, ticket.requester.creation_tool) == (
        True,
        "buyer@example.com",
        "TICKET",
    )


def test_r30_ticket_for_a_new_requester_needs_permission_to_create_contacts(user_with, subscription, db_state):
    before = db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        ticket_create(subject="Help", requester_email="new@example.com", actor=Actor.for_user(user_with("add_ticket")))
    assert (db_state(), Ticket.objects.count()) == (before, 0)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"subject": " ", "requester_email": EMAIL}, {"subject": "Give the ticket a subject."}),
        ({"subject": "Help", "requester_email": "nope"}, {"requester_email": "'nope' is not a valid email address."}),
        (
            {"subject": "Help", "stage": "lost", "requester_email": EMAIL},
            {"stage": "'lost' is not a stage of the support pipeline."},
        ),
    ],
)
def test_invalid_ticket_stores_nothing(rep_actor, subscription, db_state, fields, errors):
    before = db_state()
    with pytest.raises(EngagementInvalid) as invalid:
        ticket_create(**fields, actor=rep_actor)
    assert invalid.value.errors == errors
    assert (db_state(), Ticket.objects.count()) == (before, 0)


# --- Mobile app and email extension --------------------------------------------------------------


def test_r9_extension_contact_from_an_integration_records_the_integration(subscription):
    actor = Actor.for_integration(42, scopes={CONTACTS_WRITE})
    result = extension_contact_capture(
        source="MOBILE_APP", properties={"email": "m@example.com", "first_name": "Mo"}, actor=actor
    )
    contact = result.contact
    assert (result.created, contact.first_name, contact.creation_tool, contact.marketable_reason_id) == (
        True,
        "Mo",
        "MOBILE_APP",
        "42",
    )
    assert contact.marketable_status is False


def test_extension_match_updates_properties_but_not_the_status(subscription, marketer_actor, rep_actor, user_with):
    (contact,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    actor = Actor.for_user(user_with("add_contact", "change_contact"))
    result = extension_contact_capture(
        source="EMAIL_EXTENSION", properties={"email": contact.email, "company": "Acme"}, actor=actor
    )
    assert (result.created, result.upgraded, result.contact.company, result.contact.marketable_status) == (
        False,
        False,
        "Acme",
        True,
    )


@pytest.mark.parametrize(
    ("source", "properties", "errors"),
    [
        ("FAX", {"email": EMAIL}, {"source": "source must be one of EMAIL_EXTENSION, MOBILE_APP."}),
        ("MOBILE_APP", {"first_name": "No email"}, {"email": "An email address is required."}),
    ],
)
def test_extension_refusals_store_nothing(rep_actor, subscription, db_state, source, properties, errors):
    before = db_state()
    with pytest.raises(EngagementInvalid) as invalid:
        extension_contact_capture(source=source, properties=properties, actor=rep_actor)
    assert invalid.value.errors == errors
    assert db_state() == before
