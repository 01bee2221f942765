"""The engine's Celery tasks, run eagerly: the wake-up chain after commit, retries of transient errors
(R19), reliability options, and the beat schedule."""

from django.db import OperationalError

from crm.celery import app as celery_app
from crm.schedules import BEAT_SCHEDULE
from marketing_status.models import MarketingStatusChange
from tests.factories import contacts_make
from tests.workflows.conftest import make_workflow
from workflows import tasks
from workflows.definitions import workflow_enable
from workflows.models import Enrollment


def test_switching_on_runs_the_whole_chain_after_commit(
    subscription, automator_actor, django_capture_on_commit_callbacks
):
    leads = contacts_make(count=4, actor=automator_actor, lifecycle_stage="lead")
    workflow = make_workflow(automator_actor)
    with django_capture_on_commit_callbacks(execute=True):
        workflow_enable(workflow=workflow, enroll_existing=True, actor=automator_actor)
    assert set(Enrollment.objects.values_list("contact_id", "state")) == {(c.pk, "COMPLETED") for c in leads}
    assert MarketingStatusChange.objects.filter(reason_type="WORKFLOW", reason_id=str(workflow.pk)).count() == 4


def test_a_contact_change_wakes_the_consumer_by_name_after_commit(
    subscription, automator_actor, django_capture_on_commit_callbacks
):
    workflow = make_workflow(automator_actor)
    with django_capture_on_commit_callbacks(execute=True):
        workflow_enable(workflow=workflow, enroll_existing=False, actor=automator_actor)
    with django_capture_on_commit_callbacks(execute=True):
        (contact,) = contacts_make(count=1, actor=automator_actor, lifecycle_stage="lead")
    assert list(Enrollment.objects.values_list("contact_id", "state")) == [(contact.pk, "COMPLETED")]


def test_r19_a_transient_error_is_retried_until_it_succeeds(subscription, monkeypatch):
    calls = []

    def flaky(*, workflow_id):
        calls.append(workflow_id)
        if len(calls) < 3:
            raise OperationalError("connection refused")
        return 7

    monkeypatch.setattr(tasks, "workflow_run", flaky)
    celery_app.conf.task_eager_propagates = False  # let the eager run retry as a worker would
    try:
        result = tasks.workflow_advance_task.apply(args=[5])
    finally:
        celery_app.conf.task_eager_propagates = True
    assert (result.get(), calls) == (7, [5, 5, 5])


def test_r19_retries_back_off_exponentially():
    class Task:
        def __init__(self, retries):
            self.request = type("Request", (), {"retries": retries})()

        def retry(self, *, exc, countdown):
            return countdown

    assert [tasks._retry(Task(n), OperationalError("down")) for n in range(10)] == [
        2,
        4,
        8,
        16,
        32,
        64,
        128,
        256,
        300,
        300,
    ]


def test_tasks_are_acknowledged_late_and_rejected_when_their_worker_dies():
    for name in (
        "workflow_advance_task",
        "workflow_enroll_existing_task",
        "contact_changes_process_task",
        "workflows_sweep_task",
    ):
        task = celery_app.tasks[f"workflows.tasks.{name}"]
        assert (task.acks_late, task.reject_on_worker_lost, task.max_retries) == (True, True, None)


def test_beat_sweeps_every_minute():
    entry = BEAT_SCHEDULE["workflows-sweep"]
    assert entry["task"] == "workflows.tasks.workflows_sweep_task"
    assert entry["schedule"].minute == set(range(60))
