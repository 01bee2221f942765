"""Admin pages of the sales and service tools: sign-in and permissions on every page, refusals change
nothing, invalid input is shown with what was typed kept, and the contact record shows logged emails (R9, R30)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from contacts.models import Contact
from engagements.models import Booking, EmailLog, MeetingLink, Ticket
from engagements.services import email_log, meeting_book, ticket_create
from tests.engagements.conftest import ENGAGEMENT_PERMISSIONS, SLOT
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db


def field_error(html: str, name: str) -> str:
    match = re.search(rf'data-error-for="{name}">(.*?)</span>', html, re.S)
    return unescape(match.group(1)) if match else ""


def _counts() -> tuple:
    return (MeetingLink.objects.count(), Booking.objects.count(), Ticket.objects.count(), EmailLog.objects.count())


@pytest.fixture
def contact(frozen_subscription, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor)
    return contact


def _pages(contact, link) -> dict[str, tuple[str, str]]:
    """url name → (url, the permission it needs)."""
    return {
        "index": (reverse("engagements:index"), "view_meetinglink"),
        "link_new": (reverse("engagements:link_new"), "add_meetinglink"),
        "link_edit": (reverse("engagements:link_edit", args=[link.pk]), "change_meetinglink"),
        "bookings": (reverse("engagements:bookings"), "view_booking"),
        "tickets": (reverse("engagements:tickets"), "view_ticket"),
        "ticket_new": (reverse("engagements:ticket_new"), "add_ticket"),
        "log_email": (reverse("engagements:log_email", args=[contact.pk]), "add_emaillog"),
    }


def test_every_page_sends_anonymous_users_to_sign_in(client, contact, link, db_state):
    before, counts = db_state(), _counts()
    for url, _ in _pages(contact, link).values():
        for response in (client.get(url), client.post(url, {"subject": "x", "name": "x"})):
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login"))
    assert (db_state(), _counts()) == (before, counts)


def test_every_page_is_403_without_its_permission_and_200_with_it(client, contact, link, user_with, db_state):
    before, counts = db_state(), _counts()
    for name, (url, permission) in _pages(contact, link).items():
        others = [codename for codename in ENGAGEMENT_PERMISSIONS if codename != permission]
        client.force_login(user_with(*others, "add_contact"))
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"subject": "x", "name": "x", "to": "a@example.com"}).status_code == 403, name
        client.force_login(user_with(permission))
        assert client.get(url).status_code == 200, name
    assert (db_state(), _counts()) == (before, counts)


# --- Meetings links ------------------------------------------------------------------------------


LINK_POST = {
    "name": "Demo",
    "slug": "demo",
    "duration_minutes": "45",
    "days_ahead": "10",
    "monday": "09:00-12:00, 13:00-17:00",
    "friday": "10:00-11:30",
}


def test_creating_a_meetings_link(client, rep, subscription):
    client.force_login(rep)
    response = client.post(reverse("engagements:link_new"), LINK_POST)
    assert response.status_code == 302
    link = MeetingLink.objects.get(slug="demo")
    assert (link.owner, link.duration_minutes, link.days_ahead) == (rep, 45, 10)
    assert [(w.weekday, f"{w.start:%H:%M}", f"{w.end:%H:%M}") for w in link.windows.all()] == [
        (0, "09:00", "12:00"),
        (0, "13:00", "17:00"),
        (4, "10:00", "11:30"),
    ]
    index = client.get(reverse("engagements:index")).content.decode()
    assert "http://testserver/meetings/demo" in index


def test_the_booking_address_uses_the_public_url_when_set(client, rep, link, settings):
    settings.CRM_PUBLIC_URL = "https://crm.example.com"
    client.force_login(rep)
    assert "https://crm.example.com/meetings/intro-call" in client.get(reverse("engagements:index")).content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"monday": "9-12"}, "monday", "'9-12': write windows as 09:00-12:00, separated by commas."),
        ({"monday": "12:00-09:00"}, None, "Monday: 12:00 is not before 09:00."),
        ({"monday": "09:00-12:00, 11:00-13:00"}, None, "overlap"),
        ({"slug": "intro-call"}, "slug", "The address 'intro-call' is taken: choose another."),
        ({"slug": "no spaces"}, "slug", "Enter a valid “slug”"),
        ({"days_ahead": "400"}, "days_ahead", "less than or equal to 90"),
    ],
)
def test_invalid_link_is_shown_with_its_input_kept(client, rep, link, changes, field, message):
    client.force_login(rep)
    response = client.post(reverse("engagements:link_new"), {**LINK_POST, **changes})
    html = response.content.decode()
    assert response.status_code == 400
    shown = field_error(html, field) if field else unescape(re.search(r'id="form-errors">(.*?)</div>', html, re.S)[1])
    assert message in shown
    assert 'value="Demo"' in html  # what was typed is kept
    assert list(MeetingLink.objects.values_list("slug", flat=True)) == ["intro-call"]


def test_editing_a_link_shows_its_windows_and_saves_changes(client, rep, link):
    client.force_login(rep)
    url = reverse("engagements:link_edit", args=[link.pk])
    assert 'value="09:00-17:00"' in client.get(url).content.decode()
    response = client.post(url, {**LINK_POST, "slug": "intro-call"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.name, link.slug, link.windows.count()) == ("Demo", "intro-call", 3)


def test_bookings_list_filters_by_link_and_names_the_contact(client, rep, link):
    meeting_book(link=link, start=SLOT, name="Vera Visitor", email="vera@example.com")
    client.force_login(rep)
    html = client.get(reverse("engagements:bookings"), {"link": link.pk, "upcoming": "1"}).content.decode()
    assert "vera@example.com" in html and "Vera Visitor" in html
    contact = Contact.objects.get(email="vera@example.com")
    assert reverse("contacts:record", args=[contact.pk]) in html


def test_bookings_list_takes_the_same_queries_for_many_bookings(client, rep, link, django_assert_max_num_queries):
    client.force_login(rep)
    meeting_book(link=link, start=SLOT, name="One", email="one@example.com")
    with django_assert_max_num_queries(20) as baseline:
        client.get(reverse("engagements:bookings"))
    for hour in range(11, 16):
        meeting_book(link=link, start=SLOT.replace(hour=hour), name="More", email=f"more{hour}@example.com")
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get(reverse("engagements:bookings"))


# --- Tickets -------------------------------------------------------------------------------------


def test_r9_creating_a_ticket_with_a_new_requester(client, rep, subscription):
    client.force_login(rep)
    post = {"subject": "Broken", "description": "It broke.", "stage": "new", "requester_email": "req@example.com"}
    response = client.post(reverse("engagements:ticket_new"), post, follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain == [(reverse("engagements:ticket", args=[ticket.pk]), 302)]
    assert "req@example.com is a new non-marketing contact" in response.content.decode()
    requester = Contact.objects.get(email="req@example.com")
    assert (ticket.requester, requester.creation_tool, requester.marketable_status) == (requester, "TICKET", False)
    html = client.get(reverse("engagements:tickets")).content.decode()
    assert "Broken" in html and "req@example.com" in html


def test_r30_a_ticket_for_a_new_requester_without_permission_to_create_contacts(
    client, user_with, subscription, db_state
):
    client.force_login(user_with("add_ticket"))
    before = db_state()
    post = {"subject": "Broken", "stage": "new", "requester_email": "req@example.com"}
    response = client.post(reverse("engagements:ticket_new"), post)
    assert response.status_code == 403
    assert "You need permission to create contacts." in field_error(response.content.decode(), "requester_email")
    assert 'value="Broken"' in response.content.decode()
    assert (db_state(), Ticket.objects.count()) == (before, 0)


def test_an_invalid_ticket_is_shown_with_its_errors(client, rep, subscription, db_state):
    client.force_login(rep)
    before = db_state()
    response = client.post(reverse("engagements:ticket_new"), {"subject": "", "stage": "new", "requester_email": "x"})
    html = response.content.decode()
    assert response.status_code == 400
    assert (field_error(html, "subject"), field_error(html, "requester_email")) == (
        "This field is required.",
        "Enter a valid email address.",
    )
    assert (db_state(), Ticket.objects.count()) == (before, 0)


def test_ticket_list_takes_the_same_queries_for_many_tickets(
    client, rep, rep_actor, link, django_assert_max_num_queries
):
    client.force_login(rep)
    ticket_create(subject="First", requester_email="first@example.com", actor=rep_actor)
    with django_assert_max_num_queries(20) as baseline:
        client.get(reverse("engagements:tickets"))
    for number in range(5):
        ticket_create(subject=f"More {number}", requester_email=f"more{number}@example.com", actor=rep_actor)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        client.get(reverse("engagements:tickets"))


def test_ticket_list_filters_by_stage(client, rep, rep_actor, subscription):
    ticket_create(subject="Open one", requester_email="a@example.com", actor=rep_actor)
    ticket_create(subject="Closed one", stage="closed", requester_email="a@example.com", actor=rep_actor)
    client.force_login(rep)
    html = client.get(reverse("engagements:tickets"), {"stage": "closed"}).content.decode()
    assert "Closed one" in html and "Open one" not in html


# --- Logging an email on a contact record --------------------------------------------------------


def test_r9_logging_an_email_on_a_record(client, rep, contact, frozen_clock):
    client.force_login(rep)
    url = reverse("engagements:log_email", args=[contact.pk])
    assert f'value="{contact.email}"' in client.get(url).content.decode()  # To is the record's address
    post = {
        "to": f"{contact.email}, fresh@example.com",
        "cc": "",
        "subject": "Our call",
        "body": "Notes.",
        "sent_at": "2026-03-10T09:30",
    }
    response = client.post(url, post, follow=True)
    assert response.redirect_chain == [(reverse("contacts:record", args=[contact.pk]), 302)]
    html = response.content.decode()
    assert "Email logged. 1 new non-marketing contact created." in html
    assert 'id="logged-emails"' in html and "Our call" in html and "fresh@example.com" in html
    fresh = Contact.objects.get(email="fresh@example.com")
    assert (fresh.creation_tool, fresh.marketable_status) == ("ONE_TO_ONE_EMAIL", False)
    # The new contact's record lists the email too.
    assert "Our call" in client.get(reverse("contacts:record", args=[fresh.pk])).content.decode()


def test_a_future_sent_time_and_bad_addresses_are_refused_with_input_kept(client, rep, contact, frozen_clock, db_state):
    client.force_login(rep)
    before = db_state()
    post = {"to": "good@example.com, bad@", "subject": "Later", "sent_at": "2026-03-11T09:30"}
    response = client.post(reverse("engagements:log_email", args=[contact.pk]), post)
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error(html, "to") == "Not valid email addresses: bad@."
    assert "in the future" in field_error(html, "sent_at")
    assert "good@example.com, bad@" in html and 'value="Later"' in html
    assert (db_state(), EmailLog.objects.count()) == (before, 0)


def test_r30_logging_to_a_new_address_without_permission_to_create_contacts(client, user_with, contact, db_state):
    client.force_login(user_with("add_emaillog", "view_emaillog"))
    before = db_state()
    post = {"to": "stranger@example.com", "subject": "Hi", "sent_at": "2026-01-01T09:00"}
    response = client.post(reverse("engagements:log_email", args=[contact.pk]), post)
    assert response.status_code == 403
    assert "nothing was logged" in response.content.decode()
    assert (db_state(), EmailLog.objects.count()) == (before, 0)


def test_the_record_shows_log_email_and_activity_only_with_permission(client, user_with, contact, rep_actor):
    email_log(to=[contact.email], subject="Seen by viewers", sent_at=SLOT, actor=rep_actor)
    client.force_login(user_with("view_contact"))
    html = client.get(reverse("contacts:record", args=[contact.pk])).content.decode()
    assert 'id="log-email"' not in html and "Seen by viewers" not in html
    client.force_login(user_with("view_emaillog", "add_emaillog"))
    html = client.get(reverse("contacts:record", args=[contact.pk])).content.decode()
    assert 'id="log-email"' in html and "Seen by viewers" in html


def test_the_record_shows_the_contacts_tickets_and_meetings(client, rep, rep_actor, link):
    booking = meeting_book(link=link, start=SLOT, name="Vera", email="vera@example.com")
    ticket_create(subject="Her ticket", requester_email="vera@example.com", actor=rep_actor)
    client.force_login(rep)
    html = client.get(reverse("contacts:record", args=[booking.contact_id])).content.decode()
    assert "Her ticket" in html and "Intro call" in html
