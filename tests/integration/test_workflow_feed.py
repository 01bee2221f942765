"""The contacts change feed and the engine on PostgreSQL, with several connections (R18, R19).

- A switch-on racing writes in flight loses no change: a writer that saw the feed off holds the feed's
  lock shared until it commits, so the switch-on waits for it and then finds its contact; a writer that
  comes while a switch-on holds the lock waits, then sees the feed on and records its change.
- Two consumers evaluating the same contact at once enroll it once.
- A step that waits too long for a lock is a transient error: its enrollments show RETRYING (R19).
"""

import threading

import psycopg
import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from contacts import models as contacts_models
from contacts.models import ContactChange, ContactChangeConsumer
from crm import tasks as crm_tasks
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.policy import CreationTool
from tests.factories import contacts_make
from tests.integration.conftest import WAIT_SECONDS, backend_pid, run_threads, test_database_url, wait_until_blocked
from tests.workflows.conftest import LEAD, make_workflow, with_perms
from workflows import definitions, enrollment, steps
from workflows.definitions import workflow_enable
from workflows.enrollment import workflow_enroll_existing
from workflows.models import Enrollment, Workflow, WorkflowMatch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def wakes(monkeypatch) -> list:
    """Wake-ups are recorded instead of run: the tests drive each step themselves (these tests commit, so
    eager tasks would otherwise run after every commit)."""
    sent = []
    monkeypatch.setattr(contacts_models, "_wake", lambda tasks: sent.extend(tasks))
    monkeypatch.setattr(crm_tasks, "task_send", lambda task, *args: sent.append(task))
    return sent


@pytest.fixture
def automator(subscription) -> Actor:
    codenames = ("add_workflow", "change_workflow", "add_contact", "change_contact", "marketing_contact_access")
    return Actor.for_user(with_perms(*codenames))


class Held:
    """A thread's transaction held open at a point until `release()`; `pid` is its server process."""

    def __init__(self):
        self.reached, self.go = threading.Event(), threading.Event()
        self.pid: int | None = None

    def hold(self) -> None:
        self.pid = backend_pid()
        self.reached.set()
        assert self.go.wait(WAIT_SECONDS), "never released"

    def wait_reached(self) -> int:
        assert self.reached.wait(WAIT_SECONDS), "the thread never got there"
        return self.pid

    def release(self) -> None:
        self.go.set()


def _pid_of(holder: dict) -> int:
    for _ in range(1000):
        if "pid" in holder:
            return holder["pid"]
        threading.Event().wait(0.01)
    raise AssertionError("the thread never connected")


def test_a_switch_on_waits_for_a_write_in_flight_that_saw_the_feed_off_and_then_finds_its_contact(automator):
    workflow = make_workflow(automator)
    writer, switcher = Held(), {}

    def write():
        with transaction.atomic():
            (contact,) = contacts_create(
                data=[{"email": "in-flight@example.com", "lifecycle_stage": "lead"}],
                tool=CreationTool.MANUAL,
                actor=automator,
            )
            assert not ContactChange.objects.exists()  # the feed was off when it wrote
            writer.hold()
        return contact.pk

    def switch_on():
        writer.wait_reached()
        switcher["pid"] = backend_pid()
        return workflow_enable(workflow=workflow, enroll_existing=True, actor=automator).enrolled

    def orchestrate():
        wait_until_blocked(waiter=_pid_of(switcher), holder=writer.wait_reached())
        writer.release()

    results = run_threads({"write": write, "switch on": switch_on, "orchestrate": orchestrate})
    assert results["switch on"] == 1  # it matched the writer's contact: it waited for the commit
    assert list(WorkflowMatch.objects.values_list("contact_id", flat=True)) == [results["write"]]


def test_a_write_during_a_switch_on_waits_and_then_records_its_change(automator, wakes):
    switching, writer = Held(), {}

    def switch_on():
        with transaction.atomic():
            ContactChangeConsumer.objects.lock_writers()
            ContactChangeConsumer.objects.update_or_create(
                name=enrollment.FEED_CONSUMER, defaults={"task": enrollment.FEED_TASK, "active": True}
            )
            switching.hold()

    def write():
        switching.wait_reached()
        writer["pid"] = backend_pid()
        (contact,) = contacts_create(data=[{"email": "late@example.com"}], tool=CreationTool.MANUAL, actor=automator)
        return contact.pk

    def orchestrate():
        wait_until_blocked(waiter=_pid_of(writer), holder=switching.wait_reached())
        switching.release()

    results = run_threads({"switch on": switch_on, "write": write, "orchestrate": orchestrate})
    assert list(ContactChange.objects.values_list("contact_id", flat=True)) == [results["write"]]
    assert wakes == [enrollment.FEED_TASK]  # and the consumer is woken after the writer's commit


def test_two_consumers_evaluating_the_same_contact_enroll_it_once(automator):
    workflow = make_workflow(automator, enable=True)
    (contact,) = contacts_make(count=1, actor=automator, lifecycle_stage="lead")
    first, second = Held(), {}

    def evaluate_first():
        with transaction.atomic():
            enrolled = enrollment._evaluate(Workflow.objects.get(pk=workflow.pk), [contact.pk], timezone.now())
            first.hold()
        return enrolled

    def evaluate_second():
        first.wait_reached()
        second["pid"] = backend_pid()
        with transaction.atomic():
            return enrollment._evaluate(Workflow.objects.get(pk=workflow.pk), [contact.pk], timezone.now())

    def orchestrate():
        wait_until_blocked(waiter=_pid_of(second), holder=first.wait_reached())
        first.release()

    results = run_threads({"first": evaluate_first, "second": evaluate_second, "orchestrate": orchestrate})
    assert (results["first"], results["second"]) == (1, 0)
    assert Enrollment.objects.filter(workflow=workflow, contact=contact).count() == 1


def test_r19_a_step_waiting_too_long_for_a_lock_is_retried(automator, monkeypatch):
    leads = contacts_make(count=3, actor=automator, lifecycle_stage="lead")
    workflow = make_workflow(automator, triggers=LEAD, enable=True, existing=True)
    workflow_enroll_existing(workflow_id=workflow.pk)
    monkeypatch.setattr(steps, "LOCK_TIMEOUT", "200ms")
    with psycopg.connect(test_database_url()) as other:
        other.execute("SELECT id FROM contacts_contact WHERE id = %s FOR NO KEY UPDATE", [leads[1].pk])
        with pytest.raises(OperationalError, match="lock timeout"):
            steps.workflow_advance(workflow_id=workflow.pk)
        other.rollback()
    states = set(Enrollment.objects.values_list("state", "attempts"))
    assert states == {("RETRYING", 1)}
    assert all("lock timeout" in error for error in Enrollment.objects.values_list("last_error", flat=True))
    assert Workflow.objects.get(pk=workflow.pk).is_enabled


def test_steps_run_while_the_enroll_existing_job_holds_a_chunk_open(automator, monkeypatch):
    """The job locks its workflow `FOR NO KEY UPDATE` and the runner `FOR KEY SHARE`: steps of the chunks
    already enrolled go on while the next chunk is being enrolled (they used to wait for every chunk)."""
    contacts_make(count=4, actor=automator, lifecycle_stage="lead")
    workflow = make_workflow(automator, triggers=LEAD, enable=True, existing=True)
    assert workflow_enroll_existing(workflow_id=workflow.pk, chunk_size=2)  # the first two, committed
    monkeypatch.setattr(steps, "LOCK_TIMEOUT", "5s")  # a wait would fail the runner instead of hanging it
    enrolling = Held()

    def enroll_next_chunk():
        with transaction.atomic():
            workflow_enroll_existing(workflow_id=workflow.pk, chunk_size=2)
            enrolling.hold()

    def run_steps():
        enrolling.wait_reached()
        try:
            return steps.workflow_advance(workflow_id=workflow.pk)
        finally:
            enrolling.release()

    results = run_threads({"enroll": enroll_next_chunk, "steps": run_steps})
    assert results["steps"] == 2  # the first chunk's steps ran while the second chunk was open
    assert Enrollment.objects.filter(workflow=workflow, state="COMPLETED").count() == 2
    assert Enrollment.objects.filter(workflow=workflow, state="ACTIVE").count() == 2


def test_switching_off_waits_for_a_chunk_of_steps_in_flight(automator):
    """`FOR KEY SHARE` still excludes edits and switches (`FOR UPDATE`): the chunk commits first."""
    contacts_make(count=2, actor=automator, lifecycle_stage="lead")
    workflow = make_workflow(automator, triggers=LEAD, enable=True, existing=True)
    workflow_enroll_existing(workflow_id=workflow.pk)
    running, switcher = Held(), {}

    def run_steps():
        with transaction.atomic():
            advanced = steps.workflow_advance(workflow_id=workflow.pk)
            running.hold()
        return advanced

    def switch_off():
        running.wait_reached()
        switcher["pid"] = backend_pid()
        definitions.workflow_disable(workflow=Workflow.objects.get(pk=workflow.pk), actor=automator)

    def orchestrate():
        wait_until_blocked(waiter=_pid_of(switcher), holder=running.wait_reached())
        running.release()

    results = run_threads({"steps": run_steps, "switch off": switch_off, "orchestrate": orchestrate})
    assert results["steps"] == 2
    assert Enrollment.objects.filter(workflow=workflow, state="COMPLETED").count() == 2
    assert not Workflow.objects.get(pk=workflow.pk).is_enabled
