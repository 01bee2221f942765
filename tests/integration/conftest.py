"""Integration tests: real PostgreSQL, several connections, processes and a Celery worker on Redis.

They take row locks (`FOR UPDATE`, `SKIP LOCKED`) and share the test database with other connections
and processes. Tests marked `worker` also need `CELERY_BROKER_URL` to be a Redis URL. The test
database is reachable from subprocesses through `test_database_url()`; tests that use it are
`django_db(transaction=True)`, so what they set up is committed.
"""

import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections
from django.db.models import Count

from billing.models import BillingPeriod
from contacts.models import Contact
from marketing_status.creation import contacts_create
from marketing_status.models import MarketingStatusChange
from marketing_status.policy import CreationTool
from marketing_status.services import contacts_set_non_marketing

PROJECT_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 120  # generous upper bound for any condition a test waits on; never a timing assertion


@pytest.fixture(autouse=True)
def _integration_requirements(request):
    """Skip, with the reason, tests whose marker asks for a backend this run does not have."""
    if request.node.get_closest_marker("worker") and not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip(
            f"needs a Redis broker for a real Celery worker; CELERY_BROKER_URL is {settings.CELERY_BROKER_URL!r}. "
            "Set CELERY_BROKER_URL=redis://… to run it."
        )


def test_database_url() -> str:
    """A DATABASE_URL for the test database of this run (pytest-django's `test_…` name), for subprocesses."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "localhost", safe="")  # a socket folder percent-encoded, as libpq reads it
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment of this run, pointed at the test database, with `overrides`."""
    env = {**os.environ, "CRM_ENV": "test", "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}
    env["CRM_FEED_WAKE_PREFIX"] = settings.CRM_FEED_WAKE_PREFIX  # the worker resets the wake-ups this test sets
    env.update(overrides)
    return env


# --- Data ----------------------------------------------------------------------------------------


def make_contacts(*, actor, prefix: str, pending: int = 0, marketing: int = 0, non_marketing: int = 0):
    """Create contacts through the services: `pending` ones (marketing until the next update date, R11),
    plain `marketing` ones and `non_marketing` ones. Returns the three id lists, each in id order."""
    ids = {}
    for kind, count, as_marketing in (
        ("pending", pending, True),
        ("marketing", marketing, True),
        ("non_marketing", non_marketing, False),
    ):
        data = [{"email": f"{prefix}-{kind}-{n}@example.com"} for n in range(count)]
        created = contacts_create(data=data, tool=CreationTool.MANUAL, actor=actor, marketing=as_marketing)
        ids[kind] = sorted(contact.pk for contact in created)
    if ids["pending"]:
        result = contacts_set_non_marketing(contacts=ids["pending"], actor=actor)
        assert result.changed == pending
    return ids["pending"], ids["marketing"], ids["non_marketing"]


def renewal_history(period: BillingPeriod):
    """The history rows the renewal of `period` wrote (its actor is `renewal:<period id>`)."""
    return MarketingStatusChange.objects.filter(actor_type="SYSTEM", actor_id=f"renewal:{period.pk}")


def contacts_recorded_more_than_once(history) -> list[int]:
    return list(
        history.values("contact_id").annotate(n=Count("id")).filter(n__gt=1).values_list("contact_id", flat=True)
    )


def assert_renewal_done_once(*, period: BillingPeriod, pending_ids: list[int], untouched_marketing: list[int]):
    """R14 after any number of runs: every due pending contact flipped, recorded once, the period
    closed once with the right counts and exactly one next period open."""
    period.refresh_from_db()
    pending_set = set(pending_ids)
    assert not Contact.objects.filter(marketable_until_renewal=True).exists()
    assert Contact.objects.filter(pk__in=pending_ids, marketable_status=False).count() == len(pending_ids)
    assert Contact.objects.filter(pk__in=untouched_marketing, marketable_status=True).count() == len(
        untouched_marketing
    )

    history = renewal_history(period)
    assert contacts_recorded_more_than_once(history) == []
    assert set(history.values_list("contact_id", flat=True)) == pending_set
    assert history.count() == len(pending_ids)
    assert set(history.values_list("old_status", "old_until_renewal", "new_status", "new_until_renewal")) == {
        (True, True, False, False)
    }

    assert period.closed_at is not None
    assert period.flipped_count == len(pending_ids)
    assert period.count_at_close == len(pending_ids) + len(untouched_marketing)
    assert BillingPeriod.objects.filter(closed_at__isnull=False).count() == 1
    following = BillingPeriod.objects.get(closed_at__isnull=True)
    assert following.starts_at == period.update_at
    assert following.update_at > period.update_at
    assert following.count_at_open == len(untouched_marketing)
    assert following.flipped_count == 0


# --- Threads -------------------------------------------------------------------------------------


def run_threads(targets: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run each target in its own thread, so with its own database connection, closed when it ends.

    Returns each target's result; re-raises the first error a thread raised.
    """
    results: dict[str, Any] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, target: Callable[[], Any]) -> None:
        try:
            results[name] = target()
        except BaseException as error:
            errors[name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item, name=item[0], daemon=True) for item in targets.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not [thread.name for thread in threads if thread.is_alive()], "threads still running"
    for name, error in errors.items():
        raise AssertionError(f"thread {name} failed: {error!r}") from error
    return results


class Turns:
    """Makes threads take turns between their chunks, following `script`, then lets them run freely.

    A thread calls `wait(name)` before it starts and `done(name)` from its per-chunk callback (the
    services call it after each chunk committed, holding no lock). `done` hands the turn on and blocks
    until the script gives `name` a turn again. `finish(name)` when a thread ends skips its remaining
    turns. `log` records whose chunk ran, in order, so a test can assert the interleaving happened.
    """

    def __init__(self, script: Iterable[str]):
        self.script = list(script)
        self.log: list[str] = []
        self._position = 0
        self._finished: set[str] = set()
        self._condition = threading.Condition()

    def _skip_finished(self) -> None:
        while self._position < len(self.script) and self.script[self._position] in self._finished:
            self._position += 1

    def wait(self, name: str) -> None:
        with self._condition:
            turn = self._condition.wait_for(
                lambda: self._position >= len(self.script) or self.script[self._position] == name,
                timeout=WAIT_SECONDS,
            )
            if not turn:
                raise TimeoutError(f"{name} never got its turn; chunks so far: {self.log}")

    def done(self, name: str) -> None:
        with self._condition:
            self.log.append(name)
            if self._position < len(self.script):
                assert self.script[self._position] == name, f"{name} ran a chunk out of turn: {self.log}"
                self._position += 1
                self._skip_finished()
                self._condition.notify_all()
        self.wait(name)

    def finish(self, name: str) -> None:
        with self._condition:
            self._finished.add(name)
            self._skip_finished()
            self._condition.notify_all()

    def run(self, name: str, work: Callable[[Callable[..., None]], Any]) -> Callable[[], Any]:
        """A thread target: waits for `name`'s first turn, then calls `work(on_chunk)`."""

        def target():
            try:
                self.wait(name)
                return work(lambda *_: self.done(name))
            finally:
                self.finish(name)

        return target


def backend_pid() -> int:
    """The PostgreSQL server process of this thread's connection (for `pg_blocking_pids`)."""
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def wait_until_blocked(*, waiter: int, holder: int) -> None:
    """Wait until server process `waiter` waits for a lock that `holder` holds.

    Polls `pg_blocking_pids` (which reads the lock table live) until the condition holds, failing
    after a generous deadline; the poll interval only spaces the queries.
    """
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [holder, waiter])
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, f"process {waiter} never waited for a lock held by {holder}"
            time.sleep(0.01)


# --- Processes -----------------------------------------------------------------------------------


class LineReader:
    """Reads a subprocess's stdout line by line in a thread, so that a test can wait for a line with a timeout."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, prefix: str, timeout: float = WAIT_SECONDS) -> str:
        while True:
            try:
                line = self._queue.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line starting with {prefix!r} within {timeout}s; got {self.lines}") from None
            if line is None:
                raise AssertionError(f"output ended before a line starting with {prefix!r}; got {self.lines}")
            self.lines.append(line)
            if line.startswith(prefix):
                return line


def stop_process(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Terminate a process this test started (by its own handle) and wait for it; kill it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
