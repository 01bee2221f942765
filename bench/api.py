"""`python -m bench.api`: contact creation through the REST API, served by gunicorn on loopback, on PostgreSQL.

    BENCH_API_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_api BENCH_API_SECONDS=15 python -m bench.api

Recreates the database (its name must contain "bench"), migrates it, sets up an Enterprise subscription
whose tier the runs never reach, with marketing contacts enabled (R1), loads BENCH_API_CONTACTS existing
contacts (default 100,000) and creates an integration with the contacts read and write scopes. It then
starts gunicorn (BENCH_API_WORKERS sync workers, default 3) on a free port of 127.0.0.1 as production
runs it (`CRM_ENV=production`, DEBUG off, rate limits counted in Redis, BENCH_API_REDIS_URL, raised so
that they refuse nothing) and loads it with `wrk` (bench/api_wrk/create.lua: every request carries
emails no other request used):

- single create: POST /crm/v3/objects/contacts, one contact per request;
- batch create: POST /crm/v3/objects/contacts/batch/create, 100 inputs per request;

each after a warm-up (BENCH_API_WARMUP_SECONDS, default 3), for BENCH_API_SECONDS (default 15) with
BENCH_API_CONNECTIONS connections (default 4) from BENCH_API_THREADS wrk threads (default 2). Every
response must be 201, and the contacts and history rows in the database must match the 201 responses
(plus the requests wrk abandoned at its deadline, which the server still completes). The baseline, in
the same run: a raw INSERT of as many rows as the batch create made, into the contacts table and, when
the API wrote history rows for them, the history table, through psycopg on one connection, 100 rows
per statement and one transaction per 100 rows, as the API commits once per request.

Targets: batch create >= 5,000 contacts/s, single create >= 250 requests/s, p99 < 300 ms for both.
Benchmarks are information: a missed target prints FAIL and exits 0; a run that did not do its work
(a response other than 201, rows that don't match, a server that does not start) exits 1 and keeps
the database. The report is printed and written to bench/results/api.txt; after a complete run the
database is dropped unless BENCH_KEEP=1. docs/benchmarks.md explains the figures.
"""

import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import BenchError, elapsed, env_int, progress

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_api"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).resolve().parent / "api_wrk" / "create.lua"
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "api.txt"
GUNICORN = Path(sys.executable).parent / "gunicorn"
BATCH_INPUTS = 100  # api.errors.MAX_BATCH_INPUTS: HubSpot's largest batch
RATE_LIMIT_10S = 100_000_000  # per integration; far above what wrk can send, so nothing is refused
RATE_LIMIT_DAILY = 1_000_000_000
TARGET_BATCH_CONTACTS_PER_S = 5_000.0
TARGET_SINGLE_REQUESTS_PER_S = 250.0
TARGET_P99_MS = 300.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Config:
    contacts: int  # already in the database when the runs start
    seconds: int
    warmup_seconds: int
    workers: int
    connections: int
    threads: int
    redis_url: str

    @classmethod
    def from_env(cls) -> "Config":
        return cls(
            contacts=max(1_000, env_int("BENCH_API_CONTACTS", 100_000)),
            seconds=max(1, env_int("BENCH_API_SECONDS", 15)),
            warmup_seconds=max(1, env_int("BENCH_API_WARMUP_SECONDS", 3)),
            workers=max(1, env_int("BENCH_API_WORKERS", 3)),
            connections=max(1, env_int("BENCH_API_CONNECTIONS", 4)),
            threads=max(1, env_int("BENCH_API_THREADS", 2)),
            redis_url=os.environ.get("BENCH_API_REDIS_URL") or DEFAULT_REDIS_URL,
        )


# --- The database -------------------------------------------------------------------------------


def sql_rows(statement: str, params: dict | list | None = None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def sql_scalar(statement: str, params: dict | list | None = None):
    return sql_rows(statement, params)[0][0]


def tables() -> tuple[str, str]:
    """The contacts table and the marketing-status history table."""
    from contacts.models import Contact
    from marketing_status.models import MarketingStatusChange

    return Contact._meta.db_table, MarketingStatusChange._meta.db_table


def database_set_up(*, contacts: int) -> str:
    """Recreate and migrate the bench database, set up the account (R1), load `contacts` existing contacts
    and create an integration; return its token."""
    from django.utils import timezone

    from bench.database import account_set_up, contacts_load, database_recreate
    from integrations.scopes import CONTACTS_READ, CONTACTS_WRITE
    from integrations.services import integration_create
    from marketing_status.actors import Actor

    database_recreate()
    account_set_up(contacts=max(contacts, 1_000_000))  # a tier ten times that: the runs never reach it
    contacts_load(count=contacts, at=timezone.now() - timedelta(days=1))
    tables_settle()
    _, token = integration_create(
        name="API benchmark", scopes=(CONTACTS_READ, CONTACTS_WRITE), actor=Actor.system("bench")
    )
    return token


def tables_settle() -> None:
    """Vacuum, analyse and checkpoint the contacts and history tables before a measured run.

    Fresh statistics matter beyond the planner's estimates: the history rows' foreign key to the
    contact is checked at commit (Django makes it DEFERRABLE INITIALLY DEFERRED) by a plan that each
    database session caches; planned against an empty or unanalysed table it scans the table, and
    every commit then gets slower as the table grows.
    """
    contacts, history = tables()
    sql_rows(f"VACUUM ANALYZE {contacts}")
    sql_rows(f"VACUUM ANALYZE {history}")
    sql_rows("CHECKPOINT")


@dataclass(frozen=True)
class RowCounts:
    contacts: int
    history: int

    def __sub__(self, other: "RowCounts") -> "RowCounts":
        return RowCounts(self.contacts - other.contacts, self.history - other.history)


def row_counts() -> RowCounts:
    contacts, history = tables()
    return RowCounts(sql_scalar(f"SELECT count(*) FROM {contacts}"), sql_scalar(f"SELECT count(*) FROM {history}"))


def row_counts_settled(*, timeout: float = 60.0) -> RowCounts:
    """The row counts once the server has finished what wrk left in flight at its deadline.

    wrk stops at its deadline and drops its connections; a worker still finishes the request it was
    serving and commits it. So: count until no other session of the database is running a statement
    and two counts a second apart agree.
    """
    deadline = time.monotonic() + timeout
    previous = None
    while time.monotonic() < deadline:
        counts = row_counts()
        if counts == previous and not _statements_running():
            return counts
        previous = counts
        time.sleep(1.0)
    raise BenchError(f"the server was still writing {timeout:.0f} s after wrk stopped")


def _statements_running() -> int:
    return sql_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND state IN ('active', 'idle in transaction')"
    )


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving the bench database, other than this process's own."""
    return [
        pid
        for (pid,) in sql_rows(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ]


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(*, database_url: str, config: Config) -> dict[str, str]:
    """Production settings (DEBUG off), except plain HTTP on loopback and rate limits that refuse nothing."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CRM_"))}
    env.update(
        CRM_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),  # a throwaway server on a throwaway database
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",  # no TLS on loopback; behind a proxy in production
        DATABASE_URL=database_url,
        REDIS_URL=config.redis_url,
        CELERY_BROKER_URL=config.redis_url,
        CRM_API_RATE_LIMIT_10S=str(RATE_LIMIT_10S),
        CRM_API_RATE_LIMIT_DAILY=str(RATE_LIMIT_DAILY),
        CRM_API_RATE_LIMIT_PREFIX=f"crm:bench-api:{os.getpid()}:{int(time.time())}",  # fresh counters each run
        CRM_LOG_LEVEL="WARNING",  # errors and warnings only: a 500 shows in the log printed on failure
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def gunicorn_running(*, database_url: str, config: Config) -> Iterator[Server]:
    """gunicorn serving crm.wsgi on a free loopback port, in its own process group, stopped on the way out."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="crm-bench-api-gunicorn-", suffix=".log")[1])
    command = [
        str(GUNICORN),
        "crm.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={config.workers}",
        "--worker-class=sync",
        "--timeout=60",
        "--graceful-timeout=10",
        "--log-level=warning",
    ]
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_environment(database_url=database_url, config=config),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops its workers and nothing else
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        health_wait(server)
        yield server
    except BaseException:
        print(f"gunicorn's log (last lines):\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        gunicorn_stop(server)


def health_wait(server: Server, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer /healthz within {timeout:.0f} s:\n{server.log_tail()}")


def gunicorn_stop(server: Server) -> None:
    """SIGTERM to the process group (gunicorn stops its workers gracefully), SIGKILL if it takes over 20 s."""
    group = server.process.pid
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        try:
            server.process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    server.log.unlink(missing_ok=True)


# --- Load ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    created: int  # 201 responses
    unexpected: int  # other responses
    socket_errors: int  # connect, read, write and timeout errors
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    first_unexpected: str
    cpu_seconds: float  # wrk's own CPU time

    @property
    def requests_per_s(self) -> float:
        return self.created / self.seconds


RESULT_LINE = re.compile(r"^bench-result (.*)$", re.MULTILINE)
UNEXPECTED_LINE = re.compile(r"^bench-unexpected ?(.*)$", re.MULTILINE)


def wrk_parse(output: str, *, cpu_seconds: float) -> WrkResult:
    match = RESULT_LINE.search(output)
    if not match:
        raise BenchError(f"wrk printed no result line:\n{output}")
    values = {key: int(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    unexpected = UNEXPECTED_LINE.search(output)
    return WrkResult(
        requests=values["requests"],
        seconds=values["duration_us"] / 1e6,
        created=values["created"],
        unexpected=values["unexpected"],
        socket_errors=values["connect"] + values["read"] + values["write"] + values["timeout"],
        p50_ms=values["p50_us"] / 1000,
        p90_ms=values["p90_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        first_unexpected=unexpected.group(1).strip() if unexpected else "",
        cpu_seconds=cpu_seconds,
    )


def wrk_run(*, server: Server, token: str, inputs: int, tag: str, seconds: int, config: Config) -> WrkResult:
    """One wrk run; `inputs` 0 is single create, otherwise batch create with that many inputs per request."""
    command = [
        "wrk",
        f"--threads={config.threads}",
        f"--connections={config.connections}",
        f"--duration={seconds}s",
        "--timeout=30s",
        "--latency",
        f"--script={WRK_SCRIPT}",
        f"--header=Authorization: Bearer {token}",
        server.url,
        "--",
        str(inputs),
        tag,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise BenchError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wrk_parse(completed.stdout, cpu_seconds=cpu)


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those that have gone count nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


# --- Scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    key: str  # in the emails of its requests, which are unique across the whole run
    inputs: int  # 0: single create

    @property
    def contacts_per_request(self) -> int:
        return self.inputs or 1


SINGLE = Scenario("single create", "single", 0)
BATCH = Scenario(f"batch create ({BATCH_INPUTS} inputs)", "batch", BATCH_INPUTS)


@dataclass(frozen=True)
class Measurement:
    scenario: Scenario
    load: WrkResult
    rows: RowCounts  # created by the measured run, including requests left in flight at wrk's deadline
    workers_cpu_seconds: float  # gunicorn's workers during the measured run
    backends_cpu_seconds: float  # their PostgreSQL backends

    @property
    def contacts_per_s(self) -> float:
        return self.load.created * self.scenario.contacts_per_request / self.load.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.per_request_ms(self.workers_cpu_seconds + self.backends_cpu_seconds)

    def per_request_ms(self, seconds: float) -> float:
        return 1000 * seconds / max(1, self.load.created)

    @property
    def capacity_per_s(self) -> float:
        """Requests per second that the machine's CPUs could serve at this CPU cost (server and wrk)."""
        cpu_ms = self.cpu_ms_per_request + self.per_request_ms(self.load.cpu_seconds)
        return (os.cpu_count() or 1) * 1000 / cpu_ms

    @property
    def throughput_passed(self) -> bool:
        if self.scenario.inputs:
            return self.contacts_per_s >= TARGET_BATCH_CONTACTS_PER_S
        return self.load.requests_per_s >= TARGET_SINGLE_REQUESTS_PER_S

    @property
    def passed(self) -> bool:
        return self.throughput_passed and self.load.p99_ms < TARGET_P99_MS

    @property
    def target(self) -> str:
        if self.scenario.inputs:
            return f">= {TARGET_BATCH_CONTACTS_PER_S:,.0f} contacts/s, p99 < {TARGET_P99_MS:.0f} ms"
        return f">= {TARGET_SINGLE_REQUESTS_PER_S:,.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms"


def load_check(scenario: Scenario, load: WrkResult, *, phase: str) -> None:
    """Every response a 201, no socket errors."""
    if load.unexpected or load.socket_errors:
        raise BenchError(
            f"{scenario.name}, {phase}: {load.unexpected:,} of {load.requests:,} responses were not 201 "
            f"(first: {load.first_unexpected or '-'}), {load.socket_errors:,} socket errors"
        )
    if not load.created:
        raise BenchError(f"{scenario.name}, {phase}: no request completed")


def rows_check(scenario: Scenario, load: WrkResult, rows: RowCounts, *, connections: int) -> None:
    """Each 201 made its contacts and one history row each; at most one request per connection more.

    The surplus are the requests wrk abandoned at its deadline: the server completed them.
    """
    per_request = scenario.contacts_per_request
    requests_made, remainder = divmod(rows.contacts, per_request)
    if remainder or not load.created <= requests_made <= load.created + connections:
        raise BenchError(
            f"{scenario.name}: {rows.contacts:,} contacts in the database for {load.created:,} responses 201 "
            f"of {per_request} contact(s) each (and at most {connections} requests in flight at the deadline)"
        )
    if rows.history not in (0, rows.contacts):
        raise BenchError(f"{scenario.name}: {rows.history:,} history rows for {rows.contacts:,} new contacts")


def scenario_measure(scenario: Scenario, *, server: Server, token: str, config: Config) -> Measurement:
    tables_settle()
    warmup = wrk_run(
        server=server,
        token=token,
        inputs=scenario.inputs,
        tag=f"{scenario.key}-warmup",
        seconds=config.warmup_seconds,
        config=config,
    )
    load_check(scenario, warmup, phase="warm-up")
    before = row_counts_settled()
    workers, backends = server.worker_pids(), backend_pids()
    cpu_before = process_cpu_seconds(workers), process_cpu_seconds(backends)
    load = wrk_run(
        server=server,
        token=token,
        inputs=scenario.inputs,
        tag=f"{scenario.key}-run",
        seconds=config.seconds,
        config=config,
    )
    cpu = process_cpu_seconds(workers) - cpu_before[0], process_cpu_seconds(backends) - cpu_before[1]
    load_check(scenario, load, phase="measured run")
    rows = row_counts_settled() - before
    rows_check(scenario, load, rows, connections=config.connections)
    measurement = Measurement(scenario, load, rows, *cpu)
    progress(
        f"{scenario.name}: {load.requests_per_s:,.1f} req/s, {measurement.contacts_per_s:,.0f} contacts/s, "
        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms"
    )
    return measurement


# --- The baseline: a raw INSERT of the same rows -------------------------------------------------

CONTACT_COPIED = (
    "company",
    "phone",
    "lifecycle_stage",
    "email_subscription",
    "email_hard_bounced",
    "creation_tool",
    "creation_source_id",
    "marketable_status",
    "marketable_until_renewal",
    "marketable_reason_type",
    "marketable_reason_id",
)
HISTORY_COPIED = (
    "old_status",
    "new_status",
    "old_until_renewal",
    "new_until_renewal",
    "reason_type",
    "reason_id",
    "actor_type",
    "actor_id",
    "actor_user_id",
)


@dataclass(frozen=True)
class Template:
    """The values the API gave the contacts it created (and their history rows), besides emails, names and times."""

    contact: dict
    history: dict | None = field(default=None)


def template_read() -> Template:
    contacts, history = tables()
    contact_id, *values = sql_rows(f"SELECT id, {', '.join(CONTACT_COPIED)} FROM {contacts} ORDER BY id DESC LIMIT 1")[
        0
    ]
    found = sql_rows(f"SELECT {', '.join(HISTORY_COPIED)} FROM {history} WHERE contact_id = %s", [contact_id])
    return Template(
        dict(zip(CONTACT_COPIED, values, strict=True)),
        dict(zip(HISTORY_COPIED, found[0], strict=True)) if found else None,
    )


@dataclass(frozen=True)
class Baseline:
    rows: int
    seconds: float
    history: bool

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds


def _values_clause(columns: int, rows: int) -> str:
    row = "(" + ", ".join(["%s"] * columns) + ")"
    return ", ".join([row] * rows)


def _contact_params(template: Template, tag: str, start: int, count: int, now: datetime) -> list:
    copied = [template.contact[name] for name in CONTACT_COPIED]
    params = []
    for n in range(start, start + count):
        params += [f"{tag}-{n}@bench.example.com", f"First{n}", f"Last{n}", *copied, now, now, now]
    return params


def _history_params(template: Template, ids: list[int], now: datetime) -> list:
    copied = [template.history[name] for name in HISTORY_COPIED]
    params = []
    for contact_id in ids:
        params += [contact_id, now, *copied]
    return params


def raw_insert(*, rows: int, template: Template) -> Baseline:
    """`rows` contacts (and their history rows, if the API wrote any) in batches of 100 rows per statement.

    One psycopg connection, one transaction per batch, as the API commits once per request.
    """
    import psycopg

    contacts, history = tables()
    contact_columns = ["email", "first_name", "last_name", *CONTACT_COPIED]
    contact_columns += ["marketable_status_changed_at", "created_at", "updated_at"]
    history_columns = ["contact_id", "changed_at", *HISTORY_COPIED]
    tables_settle()
    before, tag = row_counts(), f"raw{time.time_ns()}"
    with psycopg.connect(**_connection_params()) as conn:
        started = time.perf_counter()
        for start in range(0, rows, BATCH_INPUTS):
            count, now = min(BATCH_INPUTS, rows - start), datetime.now(UTC)
            with conn.transaction():
                inserted = conn.execute(
                    f"INSERT INTO {contacts} ({', '.join(contact_columns)}) "
                    f"VALUES {_values_clause(len(contact_columns), count)} RETURNING id",
                    _contact_params(template, tag, start, count, now),
                ).fetchall()
                if template.history is not None:
                    conn.execute(
                        f"INSERT INTO {history} ({', '.join(history_columns)}) "
                        f"VALUES {_values_clause(len(history_columns), count)}",
                        _history_params(template, [contact_id for (contact_id,) in inserted], now),
                    )
        seconds = time.perf_counter() - started
    baseline = Baseline(rows, seconds, template.history is not None)
    made = row_counts() - before
    if made.contacts != rows or made.history != (rows if baseline.history else 0):
        raise BenchError(f"raw INSERT: {made} rows instead of {rows:,}")
    progress(f"raw INSERT: {rows:,} rows in {seconds:.2f} s, {baseline.rows_per_s:,.0f} rows/s")
    return baseline


def _connection_params() -> dict:
    from django.conf import settings

    params = settings.DATABASES["default"]
    keys = {"NAME": "dbname", "HOST": "host", "PORT": "port", "USER": "user", "PASSWORD": "password"}
    return {keyword: str(params[key]) for key, keyword in keys.items() if params.get(key)}


# --- The report ---------------------------------------------------------------------------------

COLUMNS = (
    ("scenario", "<34"),
    ("requests", ">9"),
    ("req/s", ">8"),
    ("contacts/s", ">10"),
    ("p50 ms", ">7"),
    ("p99 ms", ">7"),
    ("target", "<37"),
    ("result", "<6"),
)


def _row(*cells: str) -> str:
    return "  ".join(format(cell, spec) for cell, (_, spec) in zip(cells, COLUMNS, strict=True)).rstrip()


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def table_format(measurements: list[Measurement], baseline: Baseline) -> list[str]:
    header = _row(*(name for name, _ in COLUMNS))
    lines = [header, "-" * len(header)]
    for m in measurements:
        load = m.load
        lines.append(
            _row(
                m.scenario.name,
                f"{load.created:,}",
                f"{load.requests_per_s:,.1f}",
                f"{m.contacts_per_s:,.0f}",
                f"{load.p50_ms:.1f}",
                f"{load.p99_ms:.1f}",
                m.target,
                _verdict(m.passed),
            )
        )
    raw_name = "raw INSERT (psycopg, 1 connection)"
    lines.append(
        _row(raw_name, f"{baseline.rows // BATCH_INPUTS:,}", "", f"{baseline.rows_per_s:,.0f}", "", "", "", "")
    )
    return lines


def _details_format(measurements: list[Measurement], baseline: Baseline) -> list[str]:
    batch = next(m for m in measurements if m.scenario.inputs)
    lines = [
        f"batch create / raw INSERT: {batch.contacts_per_s / baseline.rows_per_s:.2f} of the raw rate "
        f"({batch.contacts_per_s:,.0f} against {baseline.rows_per_s:,.0f} rows/s; raw: {baseline.rows:,} contacts"
        + (" and as many history rows" if baseline.history else "")
        + f", {BATCH_INPUTS} rows per statement, one transaction per {BATCH_INPUTS}, in {baseline.seconds:.2f} s)",
        "",
    ]
    for m in measurements:
        load, per_request = m.load, m.scenario.contacts_per_request
        in_flight = m.rows.contacts // per_request - load.created
        lines += [
            f"{m.scenario.name}: {load.created:,} responses 201 in {load.seconds:.2f} s, none other; "
            f"p90 {load.p90_ms:.1f} ms, max {load.max_ms:.1f} ms",
            f"    rows: {m.rows.contacts:,} contacts, {m.rows.history:,} history rows "
            f"({in_flight} request(s) in flight at wrk's deadline completed after it)",
            f"    CPU per request: gunicorn workers {m.per_request_ms(m.workers_cpu_seconds):.1f} ms, "
            f"PostgreSQL {m.per_request_ms(m.backends_cpu_seconds):.1f} ms, "
            f"wrk {m.per_request_ms(load.cpu_seconds):.2f} ms; at that cost {os.cpu_count()} idle CPUs "
            f"serve at most {m.capacity_per_s:,.0f} req/s ({m.capacity_per_s * per_request:,.0f} contacts/s)",
        ]
    return lines


def report_format(
    *, measurements: list[Measurement], baseline: Baseline, config: Config, load: tuple[float, float], versions: dict
) -> str:
    lines = [
        f"REST API benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"PostgreSQL {versions['postgresql']}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"gunicorn {versions['gunicorn']} ({config.workers} sync workers), {versions['wrk']}",
        f"wrk: {config.threads} threads, {config.connections} connections, {config.seconds} s per scenario after "
        f"a {config.warmup_seconds} s warm-up; loopback 127.0.0.1, CRM_ENV=production (DEBUG off)",
        f"{config.contacts:,} contacts in the database before the runs (tables vacuumed, analysed and checkpointed "
        "before each)",
        f"rate limits counted in Redis ({config.redis_url}) as in production, but raised to {RATE_LIMIT_10S:,} "
        f"per 10 s and {RATE_LIMIT_DAILY:,} per day so that they refuse nothing",
        f"1-minute load average {load[0]:.2f} at the start, {load[1]:.2f} at the end "
        "(other work on the machine lowers the figures; the CPU per request is steadier)",
        "",
        *table_format(measurements, baseline),
        "",
        *_details_format(measurements, baseline),
        f"total wall time {elapsed():.1f} s",
    ]
    return "\n".join(lines) + "\n"


def versions_get() -> dict:
    import gunicorn

    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    wrk_version = (wrk.stdout or wrk.stderr).split(" Copyright")[0].strip()
    return {"postgresql": sql_scalar("SHOW server_version"), "gunicorn": gunicorn.__version__, "wrk": wrk_version}


# --- Main ---------------------------------------------------------------------------------------


def bench(*, database_url: str, config: Config) -> tuple[list[Measurement], Baseline]:
    name = database_url.rsplit("/", 1)[-1]
    progress(f"recreating {name}, migrating, setting up the account, loading {config.contacts:,} contacts")
    token = database_set_up(contacts=config.contacts)
    progress(f"starting gunicorn ({config.workers} sync workers)")
    with gunicorn_running(database_url=database_url, config=config) as server:
        progress(f"gunicorn ready on {server.url}")
        measurements = [
            scenario_measure(scenario, server=server, token=token, config=config) for scenario in (SINGLE, BATCH)
        ]
        template = template_read()
    progress("gunicorn stopped")
    batch = measurements[-1]
    return measurements, raw_insert(rows=batch.rows.contacts, template=template)


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops gunicorn


def main() -> int:
    database_url = os.environ.get("BENCH_API_DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("CRM_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    config = Config.from_env()
    load_start = os.getloadavg()[0]
    try:
        from bench.database import BenchError as DatabaseError

        if not shutil.which("wrk"):
            raise BenchError("wrk is not installed: apt-get install wrk (make bench installs it)")
        try:
            measurements, baseline = bench(database_url=database_url, config=config)
        except DatabaseError as error:
            raise BenchError(str(error)) from error
        versions = versions_get()
    except BenchError as error:
        print(f"bench.api: {error}", file=sys.stderr)
        return 1
    report = report_format(
        measurements=measurements,
        baseline=baseline,
        config=config,
        load=(load_start, os.getloadavg()[0]),
        versions=versions,
    )
    print("\n" + report, end="")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(report)
    database_drop_unless_kept()
    return 0


def database_drop_unless_kept() -> None:
    from django.conf import settings

    from bench.database import database_drop

    if os.environ.get("BENCH_KEEP") == "1":
        return
    database_drop(settings.DATABASES["default"]["NAME"])
    progress("dropped the bench database (BENCH_KEEP=1 keeps it)")


if __name__ == "__main__":
    sys.exit(main())
