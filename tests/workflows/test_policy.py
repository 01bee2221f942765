"""The engine's pure decisions (no database): R10–R13 per contact, R18's tiers, delays, back-off, re-enrollment."""

import datetime as dt

import pytest

from marketing_status.policy import MARKETING, NON_MARKETING, PENDING, UNSET
from workflows import policy


@pytest.mark.parametrize(
    ("marketing", "current", "outcome", "detail", "writes"),
    [
        (True, NON_MARKETING, "DONE", "Set as marketing", True),
        (True, PENDING, "DONE", "Stays marketing: the pending switch to non-marketing was cancelled", True),
        (True, MARKETING, "DONE", "Already marketing", False),
        (False, MARKETING, "DONE", "Set as non-marketing from the next update date", True),
        (False, PENDING, "DONE", "Already non-marketing or pending", False),
        (False, NON_MARKETING, "DONE", "Already non-marketing or pending", False),
        (True, None, "SKIPPED", "Contact deleted", False),
        (True, UNSET, "FAILED", "Marketing contacts are not enabled for this account", False),
    ],
)
def test_status_step_plan(marketing, current, outcome, detail, writes):
    assert policy.plan_status_step(marketing=marketing, current=current) == policy.StepPlan(outcome, detail, writes)


@pytest.mark.parametrize(
    ("tier", "allowed"), [("starter", False), ("professional", True), ("enterprise", True), (None, False)]
)
def test_r18_only_professional_and_enterprise_set_non_marketing(tier, allowed):
    assert policy.non_marketing_allowed(tier) is allowed


def test_delay_end_for_a_duration_or_until_a_date():
    now = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    assert policy.delay_end(params={"seconds": 90}, now=now) == now + dt.timedelta(seconds=90)
    assert policy.delay_end(params={"until": "2026-04-01T08:00:00+00:00"}, now=now) == dt.datetime(
        2026, 4, 1, 8, tzinfo=dt.UTC
    )


def test_r19_retry_back_off_doubles_up_to_five_minutes_and_never_stops():
    assert [policy.retry_delay(n) for n in range(1, 11)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert policy.retry_delay(10_000) == 300


@pytest.mark.parametrize(
    ("before", "finished", "allow", "expected"),
    [
        (False, False, False, True),
        (True, True, False, False),
        (True, True, True, True),
        (True, False, True, False),
    ],
)
def test_reenrollment(before, finished, allow, expected):
    assert policy.may_enroll(enrolled_before=before, last_finished=finished, allow_reenrollment=allow) is expected


def test_list_and_property_plans():
    assert policy.plan_list_step(adding=True, list_name="L", member=False, deleted=False).writes
    assert not policy.plan_list_step(adding=False, list_name="L", member=False, deleted=False).writes
    assert policy.plan_list_step(adding=True, list_name="L", member=True, deleted=True) == policy.DELETED
    assert policy.plan_property_step(label="Company", shown="Acme", current="Acme", value="Acme", deleted=False) == (
        policy.StepPlan("DONE", "Company was already Acme")
    )
