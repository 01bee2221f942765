"""The public booking page `/meetings/<slug>`: free slots, booking by form or JSON, and the public-intake rules
(validation, 413, 429 per address, honeypot, the same answer whether the contact existed). Contacts: R9."""

import json
import re

import pytest
from django.test import Client

from capture.public import HONEYPOT_FIELD
from contacts.models import Contact
from engagements.models import Booking
from engagements.public_views import BOOKING_MAX_BYTES
from engagements.services import meeting_book
from tests.engagements.conftest import SLOT
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db
URL = "/meetings/intro-call"
VALUE = SLOT.isoformat()  # "2026-03-11T10:00:00+00:00"


def _post_json(client, body, **extra):
    return client.post(URL, json.dumps(body), content_type="application/json", **extra)


def _booking(**changes) -> dict:
    return {"name": "Vera Visitor", "email": "vera@example.com", "start": VALUE, **changes}


def _offered(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


# --- The page ------------------------------------------------------------------------------------


def test_the_page_lists_free_slots_in_the_account_time_zone(client, link):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    offered = _offered(html)
    # Tuesday 12:30 … 16:30 (9 slots), then 16 per working day for the 10 working days left in 14 days.
    assert (offered[0], offered[-1], len(offered)) == ("2026-03-10T12:30:00+00:00", "2026-03-24T16:30:00+00:00", 169)
    assert "Wednesday 11 Mar 2026" in html and "times in UTC" in html
    assert f'name="{HONEYPOT_FIELD}"' in html


def test_a_booked_slot_leaves_the_page(client, link):
    meeting_book(link=link, start=SLOT, name="Someone", email="someone@example.com")
    assert VALUE not in _offered(client.get(URL).content.decode())


def test_slots_follow_the_account_time_zone(client, link, settings):
    settings.TIME_ZONE = "Europe/Stockholm"  # UTC+1 in March: 09:00 there is 08:00 UTC
    offered = _offered(client.get(URL).content.decode())
    assert "2026-03-11T08:00:00+00:00" in offered and "2026-03-11T16:00:00+00:00" not in offered


def test_an_unknown_link_is_404(client, link):
    assert client.get("/meetings/nope").status_code == 404
    response = client.post("/meetings/nope", json.dumps(_booking()), content_type="application/json")
    assert (response.status_code, response.json()["message"]) == (404, "This meetings link does not exist.")


# --- Booking -------------------------------------------------------------------------------------


def test_r9_booking_through_the_page_form(client, link):
    response = client.post(URL, _booking())
    html = response.content.decode()
    assert response.status_code == 200
    assert "booked for Wednesday 11 Mar 2026, 10:00–10:30 (UTC)" in html
    booking = Booking.objects.select_related("contact").get()
    assert (booking.start, booking.email, booking.contact.creation_tool) == (SLOT, "vera@example.com", "MEETINGS")
    assert booking.contact.marketable_status is False


def test_r9_booking_with_json(client, link):
    response = _post_json(client, _booking())
    assert response.status_code == 200
    assert response.json() == {
        "status": "booked",
        "start": "2026-03-11T10:00:00+00:00",
        "end": "2026-03-11T10:30:00+00:00",
        "message": "Your meeting with " + link.owner.get_username() + " is booked for "
        "Wednesday 11 Mar 2026, 10:00–10:30 (UTC).",
    }
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_answer_is_the_same_whether_the_contact_existed(client, link, marketer_actor):
    (known,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    first = _post_json(client, _booking(email="new@example.com"))
    second = _post_json(client, _booking(email=known.email, start="2026-03-11T10:30:00+00:00"))
    assert (first.status_code, second.status_code) == (200, 200)
    assert set(first.json()) == set(second.json())
    assert first.json()["message"].replace("10:00–10:30", "X") == second.json()["message"].replace("10:30–11:00", "X")
    assert Contact.objects.get(pk=known.pk).marketable_status is True  # R9: status untouched


def test_double_booking_is_refused_with_a_clear_message_and_nothing_stored(client, link, db_state):
    assert _post_json(client, _booking()).status_code == 200
    before = db_state()
    response = _post_json(client, _booking(email="late@example.com"))
    body = response.json()
    assert response.status_code == 409
    assert body["message"] == "That time was just booked by someone else: please pick another time."
    assert body["errors"] == [{"message": body["message"], "errorType": "SLOT_TAKEN", "name": "start"}]
    assert db_state() == before
    assert (Booking.objects.count(), Contact.objects.filter(email="late@example.com").exists()) == (1, False)


def test_double_booking_through_the_form_shows_the_page_again_with_the_input(client, link):
    client.post(URL, _booking())
    response = client.post(URL, _booking(name="Late Larry", email="late@example.com"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "just booked by someone else" in html
    assert 'value="Late Larry"' in html and 'value="late@example.com"' in html
    assert VALUE not in _offered(html)


@pytest.mark.parametrize(
    ("changes", "status", "error_type", "message"),
    [
        ({"email": "not-an-email"}, 400, "INVALID_EMAIL", "'not-an-email' is not a valid email address."),
        ({"email": ""}, 400, "REQUIRED_FIELD", "email: This field is required."),
        ({"name": ""}, 400, "REQUIRED_FIELD", "name: This field is required."),
        ({"start": "2026-03-10T09:00:00+00:00"}, 400, "SLOT_UNAVAILABLE", "That time has passed."),
        ({"start": "2026-03-11T10:10:00+00:00"}, 400, "SLOT_UNAVAILABLE", "That time is not offered by this link."),
        ({"start": "2026-03-14T10:00:00+00:00"}, 400, "SLOT_UNAVAILABLE", "That time is not offered by this link."),
        ({"start": "2026-03-11T10:00:00"}, 400, "INVALID_VALUE", "start: The time must carry its UTC offset."),
        ({"start": "tomorrow"}, 400, "INVALID_VALUE", "start: Choose a time from the list."),
        ({"start": "9999-12-31T23:30:00-12:00"}, 400, "INVALID_VALUE", "start: Choose a time from the list."),
    ],
)
def test_invalid_bookings_are_refused_in_hubspot_shape(client, link, db_state, changes, status, error_type, message):
    before = db_state()
    response = _post_json(client, _booking(**changes))
    body = response.json()
    assert response.status_code == status
    assert (body["status"], body["message"], body["errors"][0]["errorType"]) == ("error", message, error_type)
    assert set(body) == {"status", "message", "correlationId", "errors"}
    assert (db_state(), Booking.objects.count()) == (before, 0)


def test_a_slot_written_with_another_offset_is_the_same_instant(client, link):
    response = _post_json(client, _booking(start="2026-03-11T11:00:00+01:00"))  # 10:00 UTC
    assert (response.status_code, response.json()["start"], Booking.objects.get().start) == (200, VALUE, SLOT)


def test_an_invalid_form_post_shows_the_error_under_its_field(client, link):
    response = client.post(URL, _booking(email="nope"))
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(r'data-error-for="email">[^<]*is not a valid email address', html)
    assert 'value="Vera Visitor"' in html
    assert Booking.objects.count() == 0


def test_a_bad_json_body_is_400(client, link):
    response = client.post(URL, b"{nope", content_type="application/json")
    assert (response.status_code, response.json()["message"]) == (400, "The request body is not valid JSON.")


def test_honeypot_answers_like_a_booking_and_stores_nothing(client, link, db_state):
    before = db_state()
    spam = _post_json(client, _booking(**{HONEYPOT_FIELD: "http://spam.example"}))
    assert (db_state(), Booking.objects.count()) == (before, 0)
    real = _post_json(client, _booking())
    assert (spam.status_code, spam.json()) == (real.status_code, real.json())


def test_honeypot_through_the_form_shows_the_confirmation(client, link, db_state):
    before = db_state()
    response = client.post(URL, _booking(**{HONEYPOT_FIELD: "filled"}))
    assert response.status_code == 200
    assert 'id="booking-confirmed"' in response.content.decode()
    assert (db_state(), Booking.objects.count()) == (before, 0)


def test_an_oversized_body_is_413_and_stores_nothing(client, link, db_state):
    before = db_state()
    response = _post_json(client, _booking(name="x" * BOOKING_MAX_BYTES))
    assert (response.status_code, response.json()["status"]) == (413, "error")
    assert (db_state(), Booking.objects.count()) == (before, 0)


def test_too_many_bookings_from_one_address_are_429(link, settings, db_state):
    settings.CRM_INTAKE_RATE_LIMIT_10S = 2
    visitor, neighbour = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    for start in ("2026-03-11T10:00:00+00:00", "2026-03-11T10:30:00+00:00"):
        assert _post_json(visitor, _booking(start=start)).status_code == 200
    before = db_state()
    refused = _post_json(visitor, _booking(start="2026-03-11T11:00:00+00:00", email="third@example.com"))
    assert (refused.status_code, refused.json()["status"], "Retry-After" in refused) == (429, "error", True)
    assert db_state() == before and Booking.objects.count() == 2
    # Another address is counted on its own; viewing the page is not counted.
    assert visitor.get(URL).status_code == 200
    assert _post_json(neighbour, _booking(start="2026-03-11T11:00:00+00:00")).status_code == 200


def test_preflight_and_other_methods(client, link):
    preflight = client.options(URL)
    assert (preflight.status_code, preflight["Access-Control-Allow-Methods"]) == (204, "POST, OPTIONS")
    assert client.put(URL, "{}", content_type="application/json").status_code == 405
