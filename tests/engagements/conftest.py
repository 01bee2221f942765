"""Fixtures of the sales and service tools: a sales rep with this app's permissions and a meetings link."""

import datetime as dt

import pytest

from engagements.services import meeting_link_create
from engagements.slots import Window
from marketing_status.actors import Actor

WORKDAY = (dt.time(9), dt.time(17))
ENGAGEMENT_PERMISSIONS = (
    "add_emaillog",
    "view_emaillog",
    "add_meetinglink",
    "change_meetinglink",
    "view_meetinglink",
    "view_booking",
    "add_ticket",
    "view_ticket",
)


@pytest.fixture
def rep(user_with):
    """A sales rep: every permission of this app and may create contacts, but no Marketing contact access."""
    return user_with(*ENGAGEMENT_PERMISSIONS, "add_contact", "view_contact")


@pytest.fixture
def rep_actor(rep) -> Actor:
    return Actor.for_user(rep)


@pytest.fixture
def link(frozen_subscription, rep, rep_actor):
    """ "Intro call": 30 minutes, Monday to Friday 09:00–17:00 (UTC in tests), 14 days ahead, on the frozen
    clock (Tuesday 2026-03-10 12:00 UTC)."""
    return meeting_link_create(
        owner=rep,
        name="Intro call",
        slug="intro-call",
        duration_minutes=30,
        days_ahead=14,
        windows=[Window(weekday, *WORKDAY) for weekday in range(5)],
        actor=rep_actor,
    )


# A free slot of `link`: Wednesday 2026-03-11 10:00 UTC.
SLOT = dt.datetime(2026, 3, 11, 10, 0, tzinfo=dt.UTC)
