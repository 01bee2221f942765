"""The job engine of bulk changes: at once up to 1,000 contacts, a resumable job above (R15, R16, R22)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission

import jobs.services
from billing.models import Subscription, TierUpgrade
from billing.selectors import marketing_count
from contacts.models import Contact
from contacts.selection import Selection
from jobs.models import Job
from jobs.services import INLINE_LIMIT, Counts, bulk_change_start, job_run, jobs_resume_stalled
from jobs.tasks import job_run_task
from marketing_status.actors import MarketingStatusPermissionDenied
from marketing_status.models import MarketingStatusChange
from marketing_status.services import TierGuardRefused
from tests.factories import contacts_make

pytestmark = pytest.mark.django_db

ALL = Selection(all_matching=True)


@pytest.fixture
def roomy(subscription):
    """A tier large enough that no test here upgrades it by accident."""
    Subscription.objects.filter(pk=subscription.pk).update(contact_tier_limit=10_000)
    return subscription


def history_per_contact(reason_type="USER_SET") -> dict[int, int]:
    rows = MarketingStatusChange.objects.filter(reason_type=reason_type, actor_type="USER", old_status=False)
    counts: dict[int, int] = {}
    for contact_id in rows.values_list("contact_id", flat=True):
        counts[contact_id] = counts.get(contact_id, 0) + 1
    return counts


def queue(kind, user, django_capture_on_commit_callbacks, selection=ALL, params=None) -> Job:
    """Start a job above the inline limit without running it (its wake-up is captured, not executed)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = bulk_change_start(kind=kind, selection=selection, user=user, params=params)
    assert outcome.job is not None and len(callbacks) == 1
    return outcome.job


def test_up_to_the_inline_limit_changes_at_once_without_a_job(roomy, marketer, marketer_actor):
    contacts_make(count=INLINE_LIMIT - 2, actor=marketer_actor)
    contacts_make(count=2, actor=marketer_actor, marketing=True)
    outcome = bulk_change_start(kind=Job.Kind.SET_MARKETING, selection=ALL, user=marketer)
    assert (outcome.job, outcome.counts, outcome.total) == (None, Counts(998, 2, 0), 1000)
    assert marketing_count() == 1000
    assert Job.objects.count() == 0


def test_above_the_inline_limit_a_job_runs_after_commit(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = bulk_change_start(kind=Job.Kind.SET_MARKETING, selection=ALL, user=marketer)
    job = Job.objects.get(pk=outcome.job.pk)
    assert (outcome.counts, outcome.total) == (Counts(), 1001)
    assert (job.state, job.total, job.processed, job.changed, job.unchanged, job.refused) == (
        "done",
        1001,
        1001,
        1001,
        0,
        0,
    )
    assert job.started_at is not None and job.finished_at is not None
    assert marketing_count() == 1001


def test_nothing_runs_before_commit(roomy, marketer, marketer_actor, django_capture_on_commit_callbacks):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    job = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.state, job.processed, job.checkpoint_id) == ("queued", 0, 0)
    assert marketing_count() == 0


@pytest.mark.parametrize("count", [3, INLINE_LIMIT + 1])
def test_r30_a_user_without_marketing_access_is_refused_before_anything(
    roomy, sales_user, marketer_actor, db_state, count
):
    contacts_make(count=count, actor=marketer_actor)
    before = db_state()
    with pytest.raises(MarketingStatusPermissionDenied):
        bulk_change_start(kind=Job.Kind.SET_MARKETING, selection=ALL, user=sales_user)
    assert db_state() == before
    assert Job.objects.count() == 0


def test_b4_a_guarded_tier_crossing_job_is_refused_in_the_request(subscription, marketer, marketer_actor, db_state):
    Subscription.objects.filter(pk=subscription.pk).update(tier_guard_enabled=True)
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    before = db_state()
    with pytest.raises(TierGuardRefused):
        bulk_change_start(kind=Job.Kind.SET_MARKETING, selection=ALL, user=marketer)
    assert db_state() == before
    assert Job.objects.count() == 0


def test_b4_a_confirmed_tier_crossing_job_upgrades_the_tier(
    subscription, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(pk=subscription.pk).update(tier_guard_enabled=True)
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = bulk_change_start(
            kind=Job.Kind.SET_MARKETING, selection=ALL, user=marketer, params={"confirm_tier_upgrade": True}
        )
    assert Job.objects.get(pk=outcome.job.pk).state == "done"
    assert marketing_count() == 1001
    assert TierUpgrade.objects.get().new_limit == 2000


def test_a_job_resumes_after_a_kill_in_the_middle_of_a_chunk(
    roomy, marketer, marketer_actor, monkeypatch, django_capture_on_commit_callbacks
):
    contacts = contacts_make(count=1205, actor=marketer_actor)
    job = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
    real = jobs.services.contacts_set_marketing
    calls = []

    def killed_in_the_second_chunk(*, contacts, **kwargs):
        calls.append(len(contacts))
        if len(calls) == 2:
            real(contacts=contacts[:250], **kwargs)  # half the chunk is written…
            raise SystemExit("worker killed")  # …then the worker dies
        return real(contacts=contacts, **kwargs)

    monkeypatch.setattr(jobs.services, "contacts_set_marketing", killed_in_the_second_chunk)
    with pytest.raises(SystemExit):
        job_run(job_id=job.pk, chunk_size=500)
    job.refresh_from_db()
    assert (job.state, job.processed, job.changed, job.checkpoint_id) == ("running", 500, 500, contacts[499].pk)
    assert marketing_count() == 500  # the killed chunk's half-write was rolled back with its checkpoint
    job = job_run(job_id=job.pk, chunk_size=500)
    assert calls == [500, 500, 500, 205]  # the killed chunk is redone once, in full
    assert (job.state, job.processed, job.changed, job.unchanged, job.refused) == ("done", 1205, 1205, 0, 0)
    assert marketing_count() == 1205
    assert history_per_contact() == {contact.pk: 1 for contact in contacts}


def test_rerunning_a_finished_job_changes_nothing_twice(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 5, actor=marketer_actor)
    job = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
    first = job_run(job_id=job.pk, chunk_size=400)
    history = MarketingStatusChange.objects.count()
    again = job_run(job_id=job.pk, chunk_size=400)
    assert (first.processed, first.changed) == (again.processed, again.changed) == (1005, 1005)
    assert again.finished_at == first.finished_at
    assert MarketingStatusChange.objects.count() == history


def test_a_job_fails_with_the_reason_when_its_user_loses_marketing_access(
    roomy, marketer, marketer_actor, db_state, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    job = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
    marketer.user_permissions.remove(Permission.objects.get(codename="marketing_contact_access"))
    before = db_state()
    job = job_run(job_id=job.pk)
    assert (job.state, job.processed, job.changed) == ("failed", 0, 0)
    assert "Marketing contact access permission" in job.error
    assert job.finished_at is not None
    assert db_state() == before


def test_r16_a_non_marketing_job_makes_contacts_pending(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor, marketing=True)
    contacts_make(count=4, actor=marketer_actor)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = bulk_change_start(kind=Job.Kind.SET_NON_MARKETING, selection=ALL, user=marketer)
    job = Job.objects.get(pk=outcome.job.pk)
    assert (job.state, job.changed, job.unchanged) == ("done", 1001, 4)
    assert Contact.objects.filter(marketable_status=True, marketable_until_renewal=True).count() == 1001
    assert marketing_count() == 1001  # R11: still billed until the update date


def test_r22_archive_and_restore_jobs_count_what_they_did(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor, marketing=True)
    with django_capture_on_commit_callbacks(execute=True):
        archived = bulk_change_start(kind=Job.Kind.ARCHIVE, selection=ALL, user=marketer).job
    assert marketing_count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        restored = bulk_change_start(
            kind=Job.Kind.RESTORE, selection=Selection(all_matching=True, archived=True), user=marketer
        ).job
    archived.refresh_from_db()
    restored.refresh_from_db()
    assert (archived.state, archived.changed, archived.unchanged) == ("done", 1001, 0)
    assert (restored.state, restored.changed, restored.refused) == ("done", 1001, 0)
    assert marketing_count() == 1001


def test_jobs_resume_stalled_re_enqueues_only_silent_jobs(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        lost = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
        finished = Job.objects.create(
            kind=Job.Kind.ARCHIVE, state=Job.State.DONE, selection=ALL.to_dict(), heartbeat_at=start
        )
        clock.shift(dt.timedelta(minutes=4, seconds=59))
        assert jobs_resume_stalled() == []
        assert Job.objects.get(pk=lost.pk).state == "queued"
        clock.shift(dt.timedelta(seconds=2))
        assert jobs_resume_stalled() == [lost.pk]  # Celery runs eagerly here: the wake-up runs the job
    lost.refresh_from_db()
    finished.refresh_from_db()
    assert (lost.state, lost.changed) == ("done", 1001)
    assert finished.state == "done" and finished.processed == 0
    assert marketing_count() == 1001


def test_jobs_resume_stalled_wakes_a_queued_job_that_never_had_a_heartbeat(roomy, marketer, monkeypatch):
    woken = []
    monkeypatch.setattr(job_run_task, "delay", woken.append)
    start = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        job = Job.objects.create(kind=Job.Kind.ARCHIVE, selection=ALL.to_dict(), created_by=marketer)
        clock.shift(dt.timedelta(minutes=5))
        assert jobs_resume_stalled() == []
        clock.shift(dt.timedelta(seconds=1))
        assert jobs_resume_stalled() == [job.pk]
    assert woken == [job.pk]


def test_job_run_task_runs_the_job_and_returns_its_state(
    roomy, marketer, marketer_actor, django_capture_on_commit_callbacks
):
    contacts_make(count=INLINE_LIMIT + 1, actor=marketer_actor)
    job = queue(Job.Kind.SET_MARKETING, marketer, django_capture_on_commit_callbacks)
    assert job_run_task.delay(job.pk).get() == "done"
    assert marketing_count() == 1001
