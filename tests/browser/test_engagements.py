"""In a real browser: a visitor books a meeting on a public meetings link (R9: a new non-marketing contact),
then a sales rep logs a one-to-one email on that contact's record, which creates the other recipient (R9)."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from contacts.models import Contact
from engagements.models import Booking, EmailLog
from engagements.services import meeting_link_create
from engagements.slots import Window
from marketing_status.actors import Actor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rep(db):
    user = UserFactory(first_name="Sam", last_name="Seller")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["add_contact", "view_contact", "add_emaillog", "view_emaillog", "add_meetinglink"]
        )
    )
    return user


@pytest.fixture
def link(rep, subscription):
    """Open every day, all day, so that the page offers slots whatever the time of the run."""
    return meeting_link_create(
        owner=rep,
        name="Product demo",
        slug="demo",
        duration_minutes=30,
        days_ahead=2,
        windows=[Window(weekday, dt.time(0), dt.time(23, 59)) for weekday in range(7)],
        actor=Actor.for_user(rep),
    )


def test_book_a_meeting_then_log_an_email_on_the_contacts_record(page, sign_in, screenshot, link, rep):
    page.goto("/meetings/demo")
    assert page.locator("h1").inner_text() == "Product demo"
    first_slot = page.locator("input[name=start]").first
    chosen = first_slot.get_attribute("value")
    first_slot.check()
    page.fill("input[name=name]", "Vera Visitor")
    page.fill("input[name=email]", "Vera@Example.com")
    screenshot("meetings-booking-page")
    page.click("#book")
    assert "Your meeting with Sam Seller is booked" in page.locator("#booking-confirmed").inner_text()

    booking = Booking.objects.select_related("contact").get()
    assert booking.start == dt.datetime.fromisoformat(chosen)
    contact = booking.contact
    assert (contact.email, contact.creation_tool, contact.marketable_status) == ("vera@example.com", "MEETINGS", False)

    sign_in(rep)
    page.goto(f"/contacts/{contact.pk}/")
    page.click("#log-email")
    assert page.input_value("input[name=to]") == "vera@example.com"
    page.fill("input[name=to]", "vera@example.com, colleague@example.com")
    page.fill("input[name=subject]", "Follow-up on our demo")
    page.fill("textarea[name=body]", "Thanks for your time.")
    page.click("#log-email-submit")
    page.wait_for_url(f"**/contacts/{contact.pk}/")
    assert "1 new non-marketing contact created" in page.locator(".messages").inner_text()
    row = page.locator("#logged-emails tbody tr").first
    assert "Follow-up on our demo" in row.inner_text() and "colleague@example.com" in row.inner_text()
    screenshot("contact-record-logged-email")

    assert EmailLog.objects.get().recipients.count() == 2
    colleague = Contact.objects.get(email="colleague@example.com")
    assert (colleague.creation_tool, colleague.marketable_status) == ("ONE_TO_ONE_EMAIL", False)


def test_create_a_meetings_link_and_a_ticket_for_a_new_requester(page, sign_in, screenshot, rep, subscription):
    rep.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_meetinglink", "change_meetinglink", "add_ticket", "view_ticket"])
    )
    sign_in(rep)
    page.goto("/sales/")
    page.click("#create-link")
    page.fill("input[name=name]", "Support call")
    page.fill("input[name=slug]", "support-call")
    page.select_option("select[name=duration_minutes]", "60")
    page.fill("input[name=saturday]", "10:00-12:00")
    screenshot("meetings-link-form")
    page.click("button:has-text('Save')")
    page.wait_for_url("**/sales/")
    row = page.locator("#meeting-links tr[data-link]")
    assert "Support call" in row.inner_text() and "/meetings/support-call" in row.inner_text()
    screenshot("meetings-links")

    page.click("#engagement-tabs >> text=Tickets")
    page.click("#create-ticket")
    page.fill("input[name=subject]", "Cannot export")
    page.fill("textarea[name=description]", "The export button does nothing.")
    page.select_option("select[name=stage]", "waiting_on_us")
    page.fill("input[name=requester_email]", "Needs.Help@Example.com")
    page.click("button:has-text('Create ticket')")
    assert "needs.help@example.com is a new non-marketing contact" in page.locator(".messages").inner_text()
    assert page.locator("#ticket-stage").inner_text() == "Waiting on us"
    screenshot("ticket")
    requester = Contact.objects.get(email="needs.help@example.com")
    assert (requester.creation_tool, requester.marketable_status) == ("TICKET", False)
