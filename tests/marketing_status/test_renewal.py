"""The renewal (R14, R20, R22): pending contacts flipped at the update date, the period rolled; its task and command."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.models import BillingPeriod
from billing.selectors import marketing_count, pending_count
from contacts.models import Contact
from contacts.services import contacts_archive
from marketing_status.actors import Actor, ActorKind
from marketing_status.renewal import RenewalOutcome, renewals_run
from marketing_status.services import contacts_set_marketing, contacts_set_non_marketing
from marketing_status.tasks import renewals_run_task
from tests.conftest import FROZEN_START
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

WORKFLOW = Actor(ActorKind.WORKFLOW, "wf-7")
FORM = Actor(ActorKind.FORM, "form-1")
MARCH_15 = timezone.make_aware(dt.datetime(2026, 3, 15))
APRIL_15 = timezone.make_aware(dt.datetime(2026, 4, 15))


def _state(contact: Contact) -> tuple:
    contact.refresh_from_db()
    return (
        contact.marketable_status,
        contact.marketable_until_renewal,
        contact.marketable_reason_type,
        contact.marketable_reason_id,
    )


def _period_row(period: BillingPeriod) -> tuple:
    period.refresh_from_db()
    return (
        period.starts_at,
        period.update_date,
        period.update_at,
        period.count_at_open,
        period.peak_count,
        period.count_at_close,
        period.flipped_count,
        period.renewal_started_at,
        period.closed_at,
    )


# --- R14: the renewal ---------------------------------------------------------------------------------------


def test_r14_renewal_flips_pending_contacts_and_rolls_the_period(
    frozen_subscription, frozen_clock, marketer, marketer_actor, history_of
):
    marketing = contacts_make(count=2, actor=marketer_actor, marketing=True)
    by_user = contacts_make(count=2, actor=marketer_actor, pending=True)
    (by_workflow,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    contacts_set_non_marketing(contacts=[by_workflow.pk], actor=WORKFLOW)
    (archived,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    contacts_archive(contacts=[archived.pk], actor=marketer_actor)
    (non_marketing,) = contacts_make(count=1, actor=marketer_actor)
    untouched = {c.pk: history_of(c) for c in [*marketing, non_marketing]}
    period = frozen_subscription.periods.get()
    run_at = period.update_at + dt.timedelta(minutes=5)
    frozen_clock.move_to(run_at)
    chunks = []

    outcomes = renewals_run(chunk_size=3, on_chunk=chunks.append)

    following = BillingPeriod.objects.get(closed_at__isnull=True)
    assert outcomes == [RenewalOutcome(period_id=period.pk, flipped=4, count_at_close=5, next_period_id=following.pk)]
    assert chunks == [3, 1]
    assert [_state(c) for c in by_user] == [(False, False, "USER_SET", str(marketer.pk))] * 2
    assert _state(by_workflow) == (False, False, "WORKFLOW", "wf-7")
    assert _state(archived) == (False, False, "USER_SET", str(marketer.pk))
    for contact, reason in [(by_user[0], "USER_SET"), (by_user[1], "USER_SET"), (by_workflow, "WORKFLOW")]:
        assert history_of(contact)[-1] == {
            "changed_at": run_at,
            "old_status": True,
            "new_status": False,
            "old_until_renewal": True,
            "new_until_renewal": False,
            "reason_type": reason,
            "reason_id": "wf-7" if reason == "WORKFLOW" else str(marketer.pk),
            "actor_type": "SYSTEM",
            "actor_id": f"renewal:{period.pk}",
            "actor_user": None,
        }
        assert [row["actor_type"] for row in history_of(contact)].count("SYSTEM") == 1
    assert [_state(c)[:2] for c in marketing] == [(True, False)] * 2
    assert {c.pk: history_of(c) for c in [*marketing, non_marketing]} == untouched
    # peak: 6 marketing before the archive; billed at close: 5 (the archived one no longer counts).
    assert _period_row(period) == (FROZEN_START, dt.date(2026, 3, 15), MARCH_15, 0, 6, 5, 4, run_at, run_at)
    assert _period_row(following) == (MARCH_15, dt.date(2026, 4, 15), APRIL_15, 2, 2, None, 0, None, None)
    assert (marketing_count(), pending_count()) == (2, 0)


def test_r14_running_the_renewal_twice_equals_running_it_once(
    frozen_subscription, frozen_clock, marketer_actor, db_state
):
    contacts_make(count=3, actor=marketer_actor, pending=True)
    contacts_make(count=1, actor=marketer_actor, marketing=True)
    frozen_clock.move_to(MARCH_15)
    assert [outcome.flipped for outcome in renewals_run(chunk_size=2)] == [3]
    once = db_state()

    frozen_clock.move_to(MARCH_15 + dt.timedelta(hours=6))
    assert renewals_run(chunk_size=2) == []
    assert renewals_run(as_of=MARCH_15) == []
    assert db_state() == once


def test_r14_renewal_interrupted_midway_is_finished_by_the_next_run(
    frozen_subscription, frozen_clock, marketer_actor, history_of
):
    pending = contacts_make(count=5, actor=marketer_actor, pending=True)
    frozen_clock.move_to(MARCH_15)

    def crash_after_first_chunk(flipped: int) -> None:
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        renewals_run(chunk_size=2, on_chunk=crash_after_first_chunk)
    assert pending_count() == 3
    period = frozen_subscription.periods.get()
    assert (period.flipped_count, period.count_at_close, period.closed_at) == (2, 5, None)

    (outcome,) = renewals_run(chunk_size=2)

    assert (outcome.period_id, outcome.flipped, outcome.count_at_close) == (period.pk, 5, 5)
    assert pending_count() == 0
    assert [len(history_of(c)) for c in pending] == [3] * 5  # created, set pending, flipped once
    assert BillingPeriod.objects.filter(closed_at__isnull=True).count() == 1


def test_r14_renewal_before_the_update_moment_changes_nothing(
    frozen_subscription, frozen_clock, marketer_actor, db_state
):
    contacts_make(count=2, actor=marketer_actor, pending=True)
    frozen_clock.move_to(MARCH_15 - dt.timedelta(seconds=1))
    before = db_state()

    assert renewals_run() == []
    assert db_state() == before


def test_r14_contacts_set_pending_after_the_update_moment_wait_for_the_next_one(
    frozen_subscription, frozen_clock, marketer_actor, history_of
):
    (early,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    (late,) = contacts_make(count=1, actor=marketer_actor, marketing=True)
    frozen_clock.move_to(MARCH_15 + dt.timedelta(hours=1))  # the renewal job has not run yet
    contacts_set_non_marketing(contacts=[late.pk], actor=marketer_actor)

    (first,) = renewals_run()

    assert first.flipped == 1
    assert (_state(early)[:2], _state(late)[:2]) == ((False, False), (True, True))
    assert marketing_count() == 1  # R11: it counts for the whole next period
    frozen_clock.move_to(APRIL_15)

    (second,) = renewals_run()

    assert (second.period_id, second.flipped, second.count_at_close) == (first.next_period_id, 1, 1)
    assert _state(late)[:2] == (False, False)
    assert [row["actor_id"] for row in history_of(late)][-1] == f"renewal:{first.next_period_id}"
    assert len(history_of(early)) == 3


def test_r14_cancelled_pending_switch_is_not_flipped(frozen_subscription, frozen_clock, marketer_actor):
    (contact,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)  # R12
    frozen_clock.move_to(MARCH_15)

    (outcome,) = renewals_run()

    assert outcome.flipped == 0
    assert _state(contact)[:2] == (True, False)


def test_r14_flipped_contact_stays_non_marketing_until_set_marketing_again(
    frozen_subscription, frozen_clock, marketer_actor
):
    (contact,) = contacts_make(count=1, actor=marketer_actor, pending=True)
    frozen_clock.move_to(MARCH_15)
    renewals_run()
    frozen_clock.move_to(timezone.make_aware(dt.datetime(2026, 6, 1)))

    assert [outcome.flipped for outcome in renewals_run()] == [0, 0]
    assert _state(contact)[:2] == (False, False)
    contacts_set_marketing(contacts=[contact.pk], actor=marketer_actor)
    assert _state(contact)[:2] == (True, False)


def test_r14_a_late_run_rolls_every_period_that_came_due(frozen_subscription, frozen_clock, marketer_actor):
    contacts_make(count=2, actor=marketer_actor, pending=True)
    frozen_clock.move_to(timezone.make_aware(dt.datetime(2026, 5, 20, 9)))

    outcomes = renewals_run()

    assert [(o.flipped, o.count_at_close) for o in outcomes] == [(2, 2), (0, 0), (0, 0)]
    periods = list(BillingPeriod.objects.order_by("starts_at").values_list("update_date", "closed_at"))
    assert [update_date for update_date, _ in periods] == [
        dt.date(2026, 3, 15),
        dt.date(2026, 4, 15),
        dt.date(2026, 5, 15),
        dt.date(2026, 6, 15),
    ]
    assert [closed_at is None for _, closed_at in periods] == [False, False, False, True]


def test_r14_renewal_task_runs_the_renewal_service(frozen_subscription, frozen_clock, marketer_actor):
    contacts_make(count=1, actor=marketer_actor, pending=True)
    frozen_clock.move_to(MARCH_15)

    assert renewals_run_task.delay().get() == 1
    assert pending_count() == 0
    assert renewals_run_task.delay().get() == 0


def test_r14_run_renewals_command_reports_each_period(frozen_subscription, frozen_clock, marketer_actor, capsys):
    contacts_make(count=2, actor=marketer_actor, pending=True)
    period = frozen_subscription.periods.get()

    call_command("run_renewals", as_of="2026-03-15T00:00:00")

    following = BillingPeriod.objects.get(closed_at__isnull=True)
    assert capsys.readouterr().out == (f"period {period.pk} closed: 2 flipped, 2 billed; period {following.pk} open\n")
    call_command("run_renewals", as_of="2026-03-15T00:00:00")
    assert capsys.readouterr().out == "no billing period due\n"
