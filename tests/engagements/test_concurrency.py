"""On PostgreSQL: two visitors booking one slot at the same moment get one booking and one refusal, and the
refused visitor leaves no contact behind. The unique constraint decides: the second INSERT waits for the
first transaction and fails when it commits; no read-then-write check is involved."""

import threading

import pytest
from django.db import transaction

from contacts.models import Contact
from engagements.models import Booking
from engagements.services import SlotTaken, meeting_book
from tests.engagements.conftest import SLOT
from tests.integration.conftest import WAIT_SECONDS, backend_pid, run_threads, wait_until_blocked

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_visitors_racing_for_one_slot_get_one_booking(link):
    first_holds, second_ready, release = threading.Event(), threading.Event(), threading.Event()
    pids: dict[str, int] = {}

    def first():
        with transaction.atomic():  # keep the booking uncommitted until the second visitor waits on it
            booking = meeting_book(link=link, start=SLOT, name="First", email="first@example.com")
            pids["first"] = backend_pid()
            first_holds.set()
            assert release.wait(WAIT_SECONDS)
        return booking

    def second():
        assert first_holds.wait(WAIT_SECONDS)
        pids["second"] = backend_pid()
        second_ready.set()
        try:
            meeting_book(link=link, start=SLOT, name="Second", email="second@example.com")
        except SlotTaken as refused:
            return refused
        return None

    def referee():
        assert second_ready.wait(WAIT_SECONDS)
        wait_until_blocked(waiter=pids["second"], holder=pids["first"])
        release.set()

    results = run_threads({"first": first, "second": second, "referee": referee})
    assert isinstance(results["second"], SlotTaken)
    assert list(Booking.objects.values_list("email", "start")) == [("first@example.com", SLOT)]
    assert list(Contact.objects.values_list("email", flat=True)) == ["first@example.com"]
