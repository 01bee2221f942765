"""R4 on PostgreSQL: an import process killed midway is finished by the next run, importing each row once;
and the job run by a real Celery worker over Redis.

`manage.py run_import` runs as a real process on the test database and prints a line per committed chunk.
The test SIGKILLs it after the first. So that the kill always lands midway, the test holds a row lock on the
contact the file's last row updates: the process cannot get past that chunk, so the killed run cannot finish.
"""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection, transaction
from kombu import Exchange, Queue

from contacts.models import Contact
from crm.celery import app as celery_app
from imports import tasks
from imports.models import Import
from imports.services import import_create, import_run
from marketing_status.models import MarketingStatusChange
from tests.factories import contacts_make
from tests.imports.conftest import csv_bytes, upload
from tests.integration.conftest import (
    PROJECT_DIR,
    WAIT_SECONDS,
    LineReader,
    run_threads,
    stop_process,
    subprocess_env,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW = 600
CHUNK = 50


@pytest.fixture
def queued(subscription, importer_actor, marketer_actor, monkeypatch):
    """A marketing import of 600 new contacts and, last, one existing non-marketing contact; not yet run."""
    monkeypatch.setattr(tasks.import_run_task, "delay", lambda *args, **kwargs: None)
    (existing,) = contacts_make(count=1, actor=marketer_actor)
    rows = [["Email", "First Name"]] + [[f"kill{n}@example.com", f"K{n}"] for n in range(NEW)]
    rows.append([existing.email.upper(), "Existing"])
    imp = import_create(
        files={"contacts": upload(csv_bytes(rows))}, kind="single", actor=importer_actor, marketing=True
    )
    return imp, existing


def _state(imp: Import) -> tuple[int, int, int, int, str]:
    """(contacts the import created, its creation history rows, contacts with more than one, its count, its state),
    in one statement, so that they agree while the killed process's last transaction is still open."""
    contacts = connection.ops.quote_name(Contact._meta.db_table)
    history = connection.ops.quote_name(MarketingStatusChange._meta.db_table)
    imports = connection.ops.quote_name(Import._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT
              (SELECT count(*) FROM {contacts} WHERE creation_source_id = %(id)s AND creation_tool = 'IMPORT'),
              (SELECT count(*) FROM {history} WHERE actor_id = %(id)s AND actor_type = 'IMPORT' AND old_status IS NULL),
              (SELECT count(*) FROM (SELECT email FROM {contacts} GROUP BY email HAVING count(*) > 1) AS twice),
              (SELECT created FROM {imports} WHERE id = %(pk)s),
              (SELECT state FROM {imports} WHERE id = %(pk)s)
            """,
            {"id": str(imp.pk), "pk": imp.pk},
        )
        return cursor.fetchone()


def _command(imp: Import) -> list[str]:
    return [sys.executable, "manage.py", "run_import", str(imp.pk), "--chunk-rows", str(CHUNK), "--verbosity", "2"]


def _assert_done_once(imp: Import, existing: Contact, history_of) -> None:
    imp.refresh_from_db()
    assert (imp.state, imp.rows, imp.created, imp.updated, imp.errors) == (Import.State.DONE, NEW + 1, NEW, 1, 0)
    created, recorded, twice, count, _ = _state(imp)
    assert (created, recorded, twice, count) == (NEW, NEW, 0, NEW)
    assert Contact.objects.filter(email__startswith="kill").count() == NEW
    assert Contact.objects.filter(marketable_status=True, marketable_reason_id=str(imp.pk)).count() == NEW + 1
    existing.refresh_from_db()
    assert (existing.first_name, existing.creation_tool) == ("Existing", "MANUAL")
    assert [(row["old_status"], row["new_status"]) for row in history_of(existing)] == [(None, False), (False, True)]


def test_r4_import_killed_midway_then_rerun_imports_each_row_once(queued, settings, tmp_path, history_of):
    imp, existing = queued
    env = subprocess_env(CRM_MEDIA_ROOT=str(settings.MEDIA_ROOT))

    with transaction.atomic():
        Contact.objects.select_for_update().get(pk=existing.pk)  # the last chunk waits for this
        with open(tmp_path / "killed.stderr", "w+") as stderr:
            with subprocess.Popen(
                _command(imp), cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
            ) as process:
                try:
                    first = LineReader(process.stdout).wait_for("chunk committed")
                    process.send_signal(signal.SIGKILL)
                    assert process.wait(WAIT_SECONDS) == -signal.SIGKILL
                finally:
                    stop_process(process)
            stderr.seek(0)
            assert "Traceback" not in stderr.read()
        assert first == f"chunk committed {CHUNK}"

        created, recorded, twice, count, state = _state(imp)
        assert CHUNK <= created < NEW  # some, but not all
        assert recorded == created == count  # each committed chunk wrote its contacts, history and count together
        assert (twice, state) == (0, Import.State.RUNNING)
    # Leaving the block releases the lock; the killed run's server session then ends and rolls back.

    rerun = subprocess.run(
        _command(imp), cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=WAIT_SECONDS
    )

    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines()[-1] == f"import {imp.pk} done: {NEW + 1} rows, {NEW} created, 1 updated, 0 errors"
    chunks = [line for line in rerun.stdout.splitlines() if line.startswith("chunk committed")]
    assert 0 < len(chunks) < (NEW + 1) // CHUNK + 2  # it resumed: fewer chunks than a whole run
    _assert_done_once(imp, existing, history_of)


def test_r4_two_runners_at_once_import_each_row_once(queued, history_of):
    """A duplicate wake-up: two workers run the same import together; their chunks take turns on its row."""
    imp, existing = queued

    results = run_threads({name: lambda: import_run(import_id=imp.pk, chunk_rows=CHUNK).state for name in "ab"})

    assert results == {"a": Import.State.DONE, "b": Import.State.DONE}
    _assert_done_once(imp, existing, history_of)


# --- A real worker ---------------------------------------------------------------------------------


@pytest.fixture
def worker_queue():
    name = f"crm-imports-{uuid.uuid4().hex}"
    yield name
    with celery_app.connection_for_write() as broker:
        declared = Queue(name, Exchange(name, "direct"), routing_key=name)(broker.default_channel)
        declared.declare()
        declared.delete()


@pytest.fixture
def not_eager():
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = False


def _start_worker(queue: str, log: Path, env: dict) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    command = [str(celery), "-A", "crm", "worker", "--pool=solo", "-Q", queue, "-n", f"{queue}@%h"]
    command += ["--without-gossip", "--without-mingle", "--loglevel=INFO"]
    with open(log, "w") as output:
        return subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)


def _wait_until_finished(imp: Import, log: Path) -> None:
    """Poll the import's row (PostgreSQL holds the truth) until it is finished, within a generous deadline."""
    deadline = time.monotonic() + WAIT_SECONDS
    while Import.objects.filter(pk=imp.pk, state__in=[Import.State.QUEUED, Import.State.RUNNING]).exists():
        assert time.monotonic() < deadline, f"the worker did not finish the import:\n{log.read_text()}"
        time.sleep(0.05)


@pytest.mark.worker
def test_r4_the_import_task_run_by_a_real_worker_imports_the_file(
    queued, worker_queue, not_eager, settings, tmp_path, history_of
):
    imp, existing = queued
    env = subprocess_env(CELERY_BROKER_URL=settings.CELERY_BROKER_URL, CRM_MEDIA_ROOT=str(settings.MEDIA_ROOT))
    env["CRM_IMPORT_CHUNK_ROWS"] = str(CHUNK)
    log = tmp_path / "worker.log"
    worker = _start_worker(worker_queue, log, env)
    try:
        sent = tasks.import_run_task.apply_async(args=[imp.pk], queue=worker_queue)
        _wait_until_finished(imp, log)
    finally:
        stop_process(worker)

    assert f"Task imports.tasks.import_run_task[{sent.id}] succeeded" in log.read_text()
    _assert_done_once(imp, existing, history_of)
