"""`python -m bench.workflows`: a workflow setting 100,000 contacts as marketing through a real Celery worker,
beside the engine's direct bulk service call on the same contacts (R18, R10).

    BENCH_WORKFLOWS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_workflows \\
    BENCH_WORKFLOWS_REDIS_URL=redis://127.0.0.1:6379/7 BENCH_WORKFLOW_CONTACTS=100000 python -m bench.workflows

Recreates the database (its name must contain "bench"), migrates it, sets up an Enterprise subscription
with marketing contacts enabled (R1) and a tier the runs never reach, and loads BENCH_WORKFLOW_CONTACTS
non-marketing leads (default 100,000) by SQL. It starts a Celery worker (`celery -A crm worker`, prefork,
BENCH_WORKER_CONCURRENCY processes, default 2) on the bench database and a Redis database of its own
(purged before each run). Then, alternately (BENCH_REPEATS rounds, default 2), each side from the same
reset state (contacts non-marketing again, history, workflows, enrollments and the change feed emptied,
the table rewritten, vacuumed, analysed and checkpointed):

- **workflow**: from `workflow_create` (trigger: lifecycle stage is lead; action: set as marketing) and
  `workflow_enable(enroll_existing=True)` in this process until every enrollment is completed, all the
  rest done by the worker: the enroll-existing job, the steps in chunks (contacts_set_marketing with the
  workflow as actor, one step row per enrollment), and the change feed those status changes write;
- **direct**: `marketing_status.services.contacts_set_marketing` on the same contacts, in this process, as
  a bulk action's job calls it.

Both are checked afterwards (every contact marketing, one history row each with the side's reason; the
workflow's: one completed enrollment and one step per contact). Target: workflow at most 3 times the
direct call. Benchmarks are information: a missed target prints FAIL and exits 0; a run that did not do
its work exits 1. The report is printed and written to bench/results/workflows.txt; the database is
dropped afterwards unless BENCH_KEEP=1.
"""

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from bench.common import BenchError, elapsed, env_int, progress

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_workflows"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "workflows.txt"
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 3.0
WAIT_SECONDS = 1800  # a run that has not finished by then did not do its work


@dataclass(frozen=True)
class Run:
    seconds: float
    feed_seconds: float | None = None  # workflow side: until the change feed it caused was drained too
    worker_cpu_seconds: float | None = None


# --- State ----------------------------------------------------------------------------------------------


def workflows_reset(db) -> None:
    """Contacts back to their loaded state; history, workflows, enrollments and the change feed emptied."""
    from bench.database import billing_reset, contacts_reset, contacts_rewrite, execute, history_clear
    from contacts.models import ContactChange, ContactChangeConsumer
    from workflows.models import Workflow

    tables = [ContactChange._meta.db_table, Workflow._meta.db_table]
    execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    ContactChangeConsumer.objects.update(active=False)
    with contacts_rewrite():
        contacts_reset(db)
        history_clear()
        billing_reset(db)


def _expect(what: str, actual: int, expected: int) -> None:
    if actual != expected:
        raise BenchError(f"{what}: {actual:,} instead of {expected:,}")


def check(side: str, contacts: int, reason_id: str) -> None:
    from contacts.models import Contact
    from marketing_status.models import MarketingStatusChange
    from workflows.models import Enrollment, EnrollmentStep

    marketing = Contact.objects.filter(marketable_status=True, marketable_reason_type="WORKFLOW")
    _expect(f"{side}: marketing contacts", marketing.filter(marketable_reason_id=reason_id).count(), contacts)
    _expect(f"{side}: history rows", MarketingStatusChange.objects.filter(reason_id=reason_id).count(), contacts)
    if side == "workflow":
        _expect("workflow: completed enrollments", Enrollment.objects.filter(state="COMPLETED").count(), contacts)
        _expect("workflow: steps", EnrollmentStep.objects.filter(outcome="DONE").count(), contacts)


# --- The worker ---------------------------------------------------------------------------------------------


def worker_start(concurrency: int, log: Path) -> subprocess.Popen:
    celery = Path(sys.executable).with_name("celery")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                str(celery),
                "-A",
                "crm",
                "worker",
                f"--concurrency={concurrency}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    from crm.celery import app

    deadline = time.monotonic() + 120
    while not app.control.ping(timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"the worker did not start:\n{log.read_text()}")
    return process


def worker_cpu_seconds(process: subprocess.Popen) -> float | None:
    """CPU time of the worker and its pool processes so far."""
    try:
        import psutil
    except ImportError:
        return None
    parent = psutil.Process(process.pid)
    total = 0.0
    for member in [parent, *parent.children(recursive=True)]:
        times = member.cpu_times()
        total += times.user + times.system
    return total


def worker_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(60)


# --- The two sides ----------------------------------------------------------------------------------------------


def direct_run(contacts: int) -> tuple[Run, str]:
    from contacts.models import Contact
    from marketing_status.actors import Actor, ActorKind
    from marketing_status.services import contacts_set_marketing

    actor = Actor(ActorKind.WORKFLOW, "bench-direct")
    started = perf_counter()
    changed = contacts_set_marketing(contacts=Contact.objects.all(), actor=actor).changed
    seconds = perf_counter() - started
    _expect("direct: contacts changed", changed, contacts)
    return Run(seconds), actor.id


def workflow_run(contacts: int, worker: subprocess.Popen, user) -> tuple[Run, str]:
    from contacts.models import ContactChange
    from crm.celery import app
    from marketing_status.actors import Actor
    from workflows.definitions import ActionSpec, workflow_create, workflow_enable
    from workflows.models import Enrollment

    app.control.purge()
    actor = Actor.for_user(user)
    cpu_before = worker_cpu_seconds(worker)
    started = perf_counter()
    workflow = workflow_create(
        name="Leads are marketing",
        triggers=[
            {"filters": [{"type": "property", "propertyName": "lifecyclestage", "operator": "EQ", "value": "lead"}]}
        ],
        actions=[ActionSpec("SET_MARKETING_STATUS", {"marketing": True})],
        actor=actor,
    )
    enrolled = workflow_enable(workflow=workflow, enroll_existing=True, actor=actor).enrolled
    _expect("workflow: contacts enrolling", enrolled, contacts)
    completed = Enrollment.objects.filter(state="COMPLETED")
    deadline = time.monotonic() + WAIT_SECONDS
    while completed.count() < contacts:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"workflow: {completed.count():,} of {contacts:,} enrollments completed")
        time.sleep(0.2)
    seconds = perf_counter() - started
    cpu_done = worker_cpu_seconds(worker)
    while ContactChange.objects.exists():
        if time.monotonic() > deadline:
            raise BenchError("workflow: the change feed was never drained")
        time.sleep(0.2)
    feed_seconds = perf_counter() - started
    cpu = None if cpu_before is None or cpu_done is None else cpu_done - cpu_before
    return Run(seconds, feed_seconds, cpu), str(workflow.pk)


# --- Running and reporting ------------------------------------------------------------------------------------------


def _bench_user():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username="bench-workflows")
    codenames = ["add_workflow", "change_workflow", "marketing_contact_access"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return type(user).objects.get(pk=user.pk)


def report_format(*, runs: dict[str, list[Run]], contacts: int, repeats: int, load: float, concurrency: int) -> str:
    from bench.database import scalar

    best = {side: min(runs[side], key=lambda run: run.seconds) for side in runs}
    ratio = best["workflow"].seconds / best["direct"].seconds
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    lines = [
        f"workflow benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"PostgreSQL {scalar('SHOW server_version')}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"Celery worker: prefork, {concurrency} processes, Redis broker",
        f"{contacts:,} non-marketing leads; best of {repeats} runs per side, alternating, each from one reset state",
        f"1-minute load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
        "(other work on the machine inflates wall times)",
        "",
        f"{'scenario':<58}{'seconds':>10}",
        "-" * 68,
        f"{'workflow, end to end through the worker (all enrollments done)':<58}{best['workflow'].seconds:>10.2f}",
        f"{'direct contacts_set_marketing on the same contacts':<58}{best['direct'].seconds:>10.2f}",
        f"{'ratio (target <= 3.00)':<58}{ratio:>10.2f}  {verdict}",
        "",
        "every run (seconds):",
        "    workflow " + ", ".join(f"{run.seconds:.2f}" for run in runs["workflow"]),
        "    workflow until its change feed was drained too "
        + ", ".join(f"{run.feed_seconds:.2f}" for run in runs["workflow"]),
        "    workflow, CPU of the worker processes "
        + ", ".join(
            "-" if run.worker_cpu_seconds is None else f"{run.worker_cpu_seconds:.2f}" for run in runs["workflow"]
        ),
        "    direct   " + ", ".join(f"{run.seconds:.2f}" for run in runs["direct"]),
        f"total wall time {elapsed():.1f} s",
    ]
    return "\n".join(lines) + "\n"


def bench() -> int:
    import tempfile

    from bench.database import database_build

    contacts = env_int("BENCH_WORKFLOW_CONTACTS", 100_000)
    repeats = max(1, env_int("BENCH_REPEATS", 2))
    concurrency = max(1, env_int("BENCH_WORKER_CONCURRENCY", 2))
    load = os.getloadavg()[0]
    runs: dict[str, list[Run]] = {"workflow": [], "direct": []}
    log = Path(tempfile.mkdtemp(prefix="bench-workflows-")) / "worker.log"
    try:
        progress(f"recreating the bench database and loading {contacts:,} leads")
        db = database_build(contacts=contacts)
        user = _bench_user()
        progress(f"starting the worker ({concurrency} processes), log in {log}")
        worker = worker_start(concurrency, log)
        try:
            for round_number in range(repeats):
                for side in ("direct", "workflow") if round_number % 2 == 0 else ("workflow", "direct"):
                    workflows_reset(db)
                    run, reason_id = direct_run(contacts) if side == "direct" else workflow_run(contacts, worker, user)
                    check(side, contacts, reason_id)
                    runs[side].append(run)
                    progress(
                        f"{side}: {run.seconds:.2f} s"
                        + (f" (feed drained at {run.feed_seconds:.2f} s)" if run.feed_seconds else "")
                    )
        finally:
            worker_stop(worker)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    report = report_format(runs=runs, contacts=contacts, repeats=repeats, load=load, concurrency=concurrency)
    print("\n" + report, end="")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(report)
    if os.environ.get("BENCH_KEEP") != "1":
        from bench.database import database_drop

        database_drop(db.name)
        progress("dropped the bench database (BENCH_KEEP=1 keeps it)")
    return 0


def main() -> int:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_WORKFLOWS_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis = os.environ.get("BENCH_WORKFLOWS_REDIS_URL") or DEFAULT_REDIS_URL
    os.environ.update(CELERY_BROKER_URL=redis, REDIS_URL=redis)
    os.environ.pop("CELERY_RESULT_BACKEND", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("CRM_ENV", "test")
    import django

    django.setup()
    return bench()


if __name__ == "__main__":
    sys.exit(main())
