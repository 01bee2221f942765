"""R18, R19 through a real Celery worker on Redis and PostgreSQL: a workflow setting 3,000 contacts as
marketing survives its worker being killed mid-chunk, the database refusing connections mid-chunk, and
the PostgreSQL server itself stopped for a few seconds mid-chunk.

The worker (`celery -A crm worker --pool=solo`, the default queue, on this run's test database) does
everything after the switch-on: the enroll-existing job, the steps, the change feed. So that each fault
lands in the middle of a chunk, whatever the machine's speed, the test holds a row lock on a contact of
the second chunk before switching on: the first chunk commits, the second waits for that lock inside
its transaction (it has locked the subscription and the contacts before that one), and the test sees
the worker's server process wait for it (`pg_blocking_pids`). Then the fault; then the lock is released.

In both runs every enrolled contact must end marketing with reason WORKFLOW and the workflow's id,
exactly one history row from the workflow, exactly one step, and a completed enrollment.
"""

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from billing.policy import BillingCycle, HubTier
from billing.services import subscription_create
from contacts.models import Contact
from crm.celery import app as celery_app
from marketing_status.actors import Actor
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from marketing_status.services import marketing_contacts_enable
from tests.integration.conftest import (
    PROJECT_DIR,
    WAIT_SECONDS,
    LineReader,
    stop_process,
    subprocess_env,
    test_database_url,
)
from tests.workflows.conftest import with_perms
from workflows.definitions import ActionSpec, workflow_create, workflow_enable
from workflows.models import Enrollment, EnrollmentStep
from workflows.steps import workflows_sweep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONTACTS = 3000
CHUNK = 1000  # the worker's CRM_BULK_CHUNK_SIZE: steps per transaction
LOCKED_INDEX = 1500  # in the second chunk
LEAD = [{"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}]


@pytest.fixture
def not_eager():
    """The test talks to a real worker; the queue starts empty (Redis db of this run)."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()


@pytest.fixture
def automator(db) -> Actor:
    """Builds and switches workflows, with Marketing contact access (R30)."""
    codenames = ("add_workflow", "change_workflow", "add_contact", "change_contact", "marketing_contact_access")
    return Actor.for_user(with_perms(*codenames))


@pytest.fixture
def leads(db, system_actor, automator):
    """A Professional subscription with room for every contact, and 3,000 non-marketing leads."""
    subscription_create(
        hub_tier=HubTier.PROFESSIONAL,
        billing_cycle=BillingCycle.MONTHLY,
        contract_start=dt.date(2026, 1, 15),
        renewal_date=dt.date(2027, 1, 15),
        contact_tier_limit=100_000,
        tier_block_size=10_000,
    )
    marketing_contacts_enable(actor=system_actor)
    data = [{"email": f"lead{n}@example.com", "lifecycle_stage": "lead"} for n in range(CONTACTS)]
    created = contacts_create(data=data, tool=CreationTool.MANUAL, actor=automator)
    return sorted(contact.pk for contact in created)


def _start_worker() -> tuple[subprocess.Popen, LineReader]:
    celery = Path(sys.executable).with_name("celery")
    env = subprocess_env(CELERY_BROKER_URL=settings.CELERY_BROKER_URL, CRM_BULK_CHUNK_SIZE=str(CHUNK))
    env.pop("CELERY_RESULT_BACKEND", None)
    process = subprocess.Popen(
        [str(celery), "-A", "crm", "worker", "--pool=solo", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = LineReader(process.stdout)
    _wait_for_text(output, "ready.")
    return process, output


def _wait_for_text(output: LineReader, *texts: str) -> str:
    """The next line of the worker's output that contains every one of `texts` (fails after a generous
    deadline)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        line = output.wait_for("", timeout=max(0.1, deadline - time.monotonic()))
        if all(text in line for text in texts):
            return line


ADVANCE_RETRY = ("workflow_advance_task", "retry: Retry in")  # Celery's line when the step task is retried


def _wait_for_step_retries(output: LineReader) -> None:
    """The step task failed mid-chunk, was retried after 2 s, failed again, then after 4 s again (R19:
    exponential back-off), so the outage lasted at least 6 s; retries of other tasks (the change feed's
    consumer) do not count."""
    countdowns = [_wait_for_text(output, *ADVANCE_RETRY).split("Retry in ")[1].split(":")[0] for _ in range(3)]
    assert countdowns == ["2s", "4s", "8s"]


class RowLock:
    """A lock on one contact's row, held by a connection of the test's own until `release()`: the lock a
    change of the contact takes (inserting rows that refer to it, enrollments, need not wait for it)."""

    def __init__(self, contact_id: int):
        self.connection = psycopg.connect(test_database_url(), autocommit=False)
        self.connection.execute("SELECT id FROM contacts_contact WHERE id = %s FOR NO KEY UPDATE", [contact_id])
        self.pid = self.connection.info.backend_pid

    def waiter(self) -> int:
        """The server process waiting for this lock (the worker's), once there is one."""
        deadline = time.monotonic() + WAIT_SECONDS
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [self.pid])
                found = cursor.fetchone()
                if found:
                    return found[0]
                assert time.monotonic() < deadline, "the worker never reached the locked contact"
                time.sleep(0.01)

    def release(self) -> None:
        if not self.connection.closed:
            with contextlib.suppress(psycopg.OperationalError):  # the server ended the session (it was stopped)
                self.connection.rollback()
            self.connection.close()


def _switch_on(actor) -> int:
    workflow = workflow_create(
        name="Leads are marketing",
        triggers=LEAD,
        actions=[ActionSpec("SET_MARKETING_STATUS", {"marketing": True})],
        actor=actor,
    )
    workflow_enable(workflow=workflow, enroll_existing=True, actor=actor)
    return workflow.pk


def _wait_until_done(workflow_id: int, output: LineReader | None = None) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    unfinished = Enrollment.objects.filter(workflow_id=workflow_id).exclude(state="COMPLETED")
    while Enrollment.objects.filter(workflow_id=workflow_id).count() < CONTACTS or unfinished.exists():
        if time.monotonic() > deadline:
            states = dict(Enrollment.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
            raise AssertionError(f"the workflow did not finish: {states}; worker said {output and output.lines[-30:]}")
        time.sleep(0.05)


def _assert_each_contact_set_once(workflow_id: int, ids: list[int]) -> None:
    contacts = Contact.objects.filter(pk__in=ids)
    assert contacts.filter(marketable_status=True, marketable_reason_type="WORKFLOW").count() == CONTACTS
    assert set(contacts.values_list("marketable_reason_id", flat=True)) == {str(workflow_id)}
    history = MarketingStatusChange.objects.filter(reason_type="WORKFLOW", reason_id=str(workflow_id))
    per_contact = dict(history.values("contact_id").annotate(n=Count("pk")).values_list("contact_id", "n"))
    assert per_contact == dict.fromkeys(ids, 1)
    assert set(history.values_list("old_status", "new_status", "actor_type")) == {(False, True, "WORKFLOW")}
    steps = EnrollmentStep.objects.filter(workflow_id=workflow_id)
    assert steps.count() == CONTACTS
    assert set(steps.values_list("position", "outcome", "detail")) == {(0, "DONE", "Set as marketing")}
    assert not steps.values("enrollment_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert Enrollment.objects.filter(workflow_id=workflow_id, state="COMPLETED", number=1).count() == CONTACTS


def test_r19_worker_killed_mid_chunk_and_restarted_sets_each_contact_once(leads, automator, not_eager):
    lock = RowLock(leads[LOCKED_INDEX])
    worker, output = _start_worker()
    try:
        workflow_id = _switch_on(automator)
        lock.waiter()  # the second chunk is open, waiting inside its transaction
        assert EnrollmentStep.objects.filter(workflow_id=workflow_id).count() == CHUNK  # the first chunk committed
        worker.kill()  # SIGKILL: its message is never acknowledged, its transaction never commits
        worker.wait(WAIT_SECONDS)
        lock.release()
        assert EnrollmentStep.objects.filter(workflow_id=workflow_id).count() == CHUNK
        worker, output = _start_worker()
        workflows_sweep()  # what beat does every minute: wake the workflow whose message died with the worker
        _wait_until_done(workflow_id, output)
    finally:
        lock.release()
        stop_process(worker)
    _assert_each_contact_set_once(workflow_id, leads)


def _connections(database: str, *, allow: bool, spare: tuple[int, ...] = ()) -> None:
    """Allow or refuse new connections to the test database; when refusing, end every other session on it."""
    db = connection.settings_dict
    server = {"host": db["HOST"] or "localhost", "port": db["PORT"] or 5432, "user": db["USER"]}
    if db["PASSWORD"]:
        server["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        name = psycopg.sql.Identifier(database)
        admin.execute(
            psycopg.sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(name, psycopg.sql.SQL(str(allow)))
        )
        if not allow:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND NOT pid = ANY(%s)",
                [database, list(spare)],
            )


def test_r19_database_away_mid_chunk_is_retried_until_each_contact_is_set_once(leads, automator, not_eager):
    database = connection.settings_dict["NAME"]
    lock = RowLock(leads[LOCKED_INDEX])
    worker, output = _start_worker()
    try:
        workflow_id = _switch_on(automator)
        lock.waiter()
        connection.ensure_connection()
        mine = connection.connection.info.backend_pid
        _connections(database, allow=False, spare=(mine, lock.pid))  # the worker's sessions end mid-chunk
        try:
            _wait_for_step_retries(output)
        finally:
            _connections(database, allow=True)
        lock.release()
        _wait_until_done(workflow_id, output)
    finally:
        lock.release()
        _connections(database, allow=True)
        stop_process(worker)
    _assert_each_contact_set_once(workflow_id, leads)
    assert any("OperationalError" in line for line in output.lines)


def _local_cluster() -> tuple[str, str] | None:
    """(version, name) of the Debian cluster serving the test database, when this process may stop and start
    it (root, `pg_ctlcluster`, the server on this machine); else None."""
    host = connection.settings_dict["HOST"] or "localhost"
    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster") or host not in ("localhost", "127.0.0.1", "::1"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        (data_directory,) = cursor.fetchone()
    for conf in sorted(Path("/etc/postgresql").glob("*/*/postgresql.conf")):
        version, name = conf.parent.parent.name, conf.parent.name
        if Path(f"/var/lib/postgresql/{version}/{name}") == Path(data_directory):
            return version, name
    return None


def _cluster(action: str, cluster: tuple[str, str]) -> None:
    """Stop (fast: every session ends at once) or start the server; `start` returns once it accepts connections."""
    mode = ["-m", "fast"] if action == "stop" else []
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action, *mode], check=True, timeout=120)


@pytest.mark.alone  # it stops the server every other test process is using
def test_r19_postgresql_stopped_for_a_few_seconds_mid_chunk_is_retried_until_each_contact_is_set_once(
    leads, automator, not_eager
):
    """The server itself goes away (not just this database): the worker's chunk fails with its connection,
    its task retries with back-off while nothing answers, and carries on once the server is back."""
    cluster = _local_cluster()
    if cluster is None:
        pytest.skip("stopping PostgreSQL needs root, pg_ctlcluster and the server on this machine")
    lock = RowLock(leads[LOCKED_INDEX])
    worker, output = _start_worker()
    try:
        workflow_id = _switch_on(automator)
        lock.waiter()
        assert EnrollmentStep.objects.filter(workflow_id=workflow_id).count() == CHUNK
        connection.close()
        _cluster("stop", cluster)  # ends the worker's session in the middle of its second chunk
        try:
            _wait_for_step_retries(output)
        finally:
            _cluster("start", cluster)
        lock.release()
        _wait_until_done(workflow_id, output)
    finally:
        lock.release()
        if not _server_up():
            _cluster("start", cluster)
        stop_process(worker)
    _assert_each_contact_set_once(workflow_id, leads)
    assert any("OperationalError" in line for line in output.lines)


def _server_up() -> bool:
    return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode == 0
