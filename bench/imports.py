"""`python -m bench.imports`: a 1,000,000-row CSV imported through `import_run`, beside `COPY` of the same file.

    BENCH_IMPORTS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_imports BENCH_IMPORT_ROWS=1000000 \\
        python -m bench.imports

Recreates the database (its name must contain "bench"), migrates it and sets up an Enterprise
subscription with marketing contacts enabled (R1) and a tier the runs never reach. Generates a CSV of
BENCH_IMPORT_ROWS contacts (default 1,000,000; columns Email, First Name, Last Name, Company Name,
Phone Number, Lifecycle Stage; every email new), then times, alternately (BENCH_REPEATS rounds, default
2, each side from the same reset state: contacts, history and imports truncated, vacuumed, analysed,
checkpointed):

- **engine**: a single-file import with "Set all contacts as marketing contacts" checked (R4), created
  through `import_create` (untimed: it stores the file and reads its header), then run by
  `imports.services.import_run` in a subprocess (`python -m bench.imports run <id>`), so that its peak
  RSS is its own. It streams the file in chunks of CRM_IMPORT_CHUNK_ROWS, checks every row, writes the
  contacts, their creation history and the duplicate-detection rows, chunk by chunk with its checkpoint;
- **baseline**: `COPY contacts_contact (email, first_name, last_name, company, phone, lifecycle_stage)
  FROM STDIN (FORMAT csv, HEADER)` of the same file, streamed from this process in one transaction,
  the other NOT NULL columns filled by column defaults set for the run (and dropped after it). No
  validation, no history: the least work that puts the same rows into the same table and its indexes.

Both are checked afterwards (a million contacts; the engine's all marketing with reason CONTACT_IMPORT
and one creation history row each). Targets: engine at most 4 times the COPY time, peak RSS of the
import process under 300 MB. Benchmarks are information: a missed target prints FAIL and exits 0; a
run that did not do its work exits 1. The report is printed and written to bench/results/imports.txt;
the database is dropped afterwards unless BENCH_KEEP=1. Wall times suffer from other work on the
machine; the CPU times (client process plus its PostgreSQL backend) are reported beside them.
"""

import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time

from bench.common import BenchError, elapsed, env_int, progress

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_imports"
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "imports.txt"
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 4.0
RSS_TARGET_MB = 300
HEADER = ["Email", "First Name", "Last Name", "Company Name", "Phone Number", "Lifecycle Stage"]
COPY_COLUMNS = ("email", "first_name", "last_name", "company", "phone", "lifecycle_stage")
STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


@dataclass(frozen=True)
class Run:
    seconds: float
    cpu_seconds: float | None  # the importing process and its PostgreSQL backend
    rss_mb: float | None = None  # the engine's subprocess


# --- The file --------------------------------------------------------------------------------------


def csv_generate(path: Path, rows: int) -> int:
    """Write the bench file; every email is new. Returns its size in bytes."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            writer.writerow(
                [
                    f"person{n}@example{n % 997}.com",
                    f"First{n}",
                    f"Last{n}",
                    f"Company {n % 5000}",
                    f"+1 555 {n:07d}",
                    STAGES[n % len(STAGES)],
                ]
            )
    return path.stat().st_size


# --- The database ------------------------------------------------------------------------------------


def _tables() -> list[str]:
    from contacts.models import Contact
    from imports.models import Import, ImportFile, ImportRowError, ImportSeenEmail
    from marketing_status.models import MarketingStatusChange

    models = (Contact, MarketingStatusChange, Import, ImportFile, ImportRowError, ImportSeenEmail)
    return [model._meta.db_table for model in models]


def database_reset() -> None:
    """Every run starts from the same physical state: no contacts, history or imports; vacuumed, checkpointed."""
    from bench.database import execute

    execute(f"TRUNCATE {', '.join(_tables())} RESTART IDENTITY CASCADE")
    for table in _tables():
        execute(f"VACUUM ANALYZE {table}")
    execute("CHECKPOINT")


def _copy_defaults(now: datetime) -> dict[str, object]:
    """Column defaults for the baseline's COPY: what the file does not say, as an import would set it."""
    from contacts.models import Contact
    from marketing_status.policy import CreationTool, ReasonType

    values = {
        "email_subscription": "not_specified",
        "email_hard_bounced": False,
        "creation_tool": CreationTool.IMPORT.value,
        "creation_source_id": "bench",
        "marketable_status": True,
        "marketable_until_renewal": False,
        "marketable_reason_type": ReasonType.CONTACT_IMPORT.value,
        "marketable_reason_id": "bench",
        "marketable_status_changed_at": now,
        "created_at": now,
        "updated_at": now,
    }
    return {Contact._meta.get_field(name).column: value for name, value in values.items()}


def _set_defaults(defaults: dict[str, object] | None) -> None:
    from django.db import connection

    from bench.database import execute
    from contacts.models import Contact

    table = connection.ops.quote_name(Contact._meta.db_table)
    for column, value in (defaults or _copy_defaults(datetime.now(UTC))).items():
        quoted = connection.ops.quote_name(column)
        if defaults is None:
            execute(f"ALTER TABLE {table} ALTER COLUMN {quoted} DROP DEFAULT")
        else:
            execute(f"ALTER TABLE {table} ALTER COLUMN {quoted} SET DEFAULT %s", [value])


# --- The two sides -------------------------------------------------------------------------------------


def cpu_seconds() -> float | None:
    from bench.engine import cpu_seconds as engine_cpu_seconds

    return engine_cpu_seconds()


def baseline_run(path: Path) -> Run:
    """COPY of the file into the contacts table, streamed from this process, one transaction."""
    from django.db import connection, transaction

    from contacts.models import Contact

    _set_defaults(_copy_defaults(datetime.now(UTC)))
    table = connection.ops.quote_name(Contact._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(Contact._meta.get_field(name).column) for name in COPY_COLUMNS)
    cpu_before = cpu_seconds()
    started = perf_counter()
    statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)"
    with transaction.atomic(), connection.cursor() as cursor, open(path, "rb") as file, cursor.copy(statement) as copy:
        while block := file.read(1 << 20):
            copy.write(block)
    seconds = perf_counter() - started
    cpu_after = cpu_seconds()
    _set_defaults(None)
    return Run(seconds, None if cpu_before is None or cpu_after is None else cpu_after - cpu_before)


def engine_run(path: Path, media_root: Path, rows: int) -> tuple[Run, int]:
    """`import_create` here (untimed), `import_run` in a subprocess that times itself."""
    from django.core.files import File

    from imports.services import import_create
    from imports.tasks import import_run_task
    from marketing_status.actors import Actor
    from tests.factories import UserFactory

    user = UserFactory(is_superuser=True, is_staff=True)
    with open(path, "rb") as upload:
        import_run_task.delay = lambda *args, **kwargs: None  # the subprocess runs it, not a worker
        imp = import_create(
            files={"contacts": File(upload, name=path.name)}, kind="single", actor=Actor.for_user(user), marketing=True
        )
    env = {**os.environ, "CRM_ENV": "test", "CRM_MEDIA_ROOT": str(media_root), "PYTHONUNBUFFERED": "1"}
    child = subprocess.run(
        [sys.executable, "-m", "bench.imports", "run", str(imp.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise BenchError(f"the import process failed:\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    if figures["state"] != "done" or figures["created"] != rows or figures["errors"] != 0:
        raise BenchError(f"the import did not import every row: {figures}")
    return Run(figures["seconds"], figures["cpu_seconds"], figures["rss_mb"]), imp.pk


def engine_child(import_id: int) -> int:
    """In the subprocess: run the import, print its figures as one JSON line."""
    from imports.services import import_run

    cpu_before = cpu_seconds()
    started = perf_counter()
    imp = import_run(import_id=import_id)
    seconds = perf_counter() - started
    cpu_after = cpu_seconds()
    figures = {
        "state": imp.state,
        "created": imp.created,
        "errors": imp.errors,
        "seconds": seconds,
        "cpu_seconds": None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        "client_cpu_seconds": process_time(),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures))
    return 0


def check(side: str, rows: int, import_id: int | None) -> None:
    from bench.database import scalar
    from contacts.models import Contact
    from marketing_status.models import MarketingStatusChange

    contacts = Contact._meta.db_table
    count = scalar(f"SELECT count(*) FROM {contacts}")
    if count != rows:
        raise BenchError(f"{side}: {count:,} contacts instead of {rows:,}")
    if side == "engine":
        marketing = scalar(
            f"SELECT count(*) FROM {contacts} WHERE marketable_status AND marketable_reason_type = 'CONTACT_IMPORT' "
            "AND marketable_reason_id = %s AND creation_tool = 'IMPORT'",
            [str(import_id)],
        )
        history = scalar(f"SELECT count(DISTINCT contact_id) FROM {MarketingStatusChange._meta.db_table}")
        if marketing != rows or history != rows:
            raise BenchError(f"engine: {marketing:,} marketing contacts and {history:,} with history, not {rows:,}")


# --- The report --------------------------------------------------------------------------------------


def _best(runs: list[Run]) -> Run:
    return min(runs, key=lambda run: run.seconds)


def report_format(*, runs: dict[str, list[Run]], rows: int, size: int, repeats: int, load: float) -> str:
    from django.conf import settings

    from bench.database import scalar

    engine, baseline = _best(runs["engine"]), _best(runs["baseline"])
    ratio = engine.seconds / baseline.seconds
    rss = max(run.rss_mb or 0 for run in runs["engine"])
    cpus = [run.cpu_seconds for run in runs["engine"] + runs["baseline"]]
    cpu_ratio = None
    if None not in cpus:
        cpu_ratio = min(r.cpu_seconds for r in runs["engine"]) / min(r.cpu_seconds for r in runs["baseline"])
    verdict = "PASS" if ratio <= TARGET_RATIO else "FAIL"
    lines = [
        f"import benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"PostgreSQL {scalar('SHOW server_version')}, Python {platform.python_version()}, {os.cpu_count()} CPUs",
        f"file: {rows:,} contacts, {size / 1e6:.1f} MB CSV; chunk {settings.CRM_IMPORT_CHUNK_ROWS:,} rows; "
        f"best of {repeats} runs per side, alternating",
        f"1-minute load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
        "(other work on the machine inflates wall times; CPU times are steadier)",
        "",
        f"{'':34}{'wall s':>10}{'rows/s':>12}{'cpu s':>10}",
        f"{'import_run (R4, marketing)':34}{engine.seconds:>10.2f}{rows / engine.seconds:>12,.0f}"
        f"{engine.cpu_seconds or 0:>10.2f}",
        f"{'COPY of the same file':34}{baseline.seconds:>10.2f}{rows / baseline.seconds:>12,.0f}"
        f"{baseline.cpu_seconds or 0:>10.2f}",
        "",
        f"ratio import / COPY: {ratio:.2f} (target <= {TARGET_RATIO:.2f}) {verdict}"
        + ("" if cpu_ratio is None else f"; ratio of best cpu times {cpu_ratio:.2f}"),
        f"peak RSS of the import process: {rss:.0f} MB (target < {RSS_TARGET_MB} MB) "
        f"{'PASS' if rss < RSS_TARGET_MB else 'FAIL'}",
        "",
    ]
    for side in ("engine", "baseline"):
        wall = ", ".join(f"{run.seconds:.2f}" for run in runs[side])
        cpu = ", ".join("-" if run.cpu_seconds is None else f"{run.cpu_seconds:.2f}" for run in runs[side])
        lines.append(f"{side:<8} wall {wall} s; cpu (client + backend) {cpu} s")
    lines.append(f"total wall time {elapsed():.1f} s")
    return "\n".join(lines) + "\n"


def bench() -> int:
    from bench.database import account_set_up, database_recreate

    rows = max(1_000, env_int("BENCH_IMPORT_ROWS", 1_000_000))
    repeats = max(1, env_int("BENCH_REPEATS", 2))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="crm-bench-imports-") as scratch:
        scratch_path = Path(scratch)
        media_root = scratch_path / "media"
        from django.conf import settings

        settings.MEDIA_ROOT = media_root
        try:
            progress("recreating the bench database")
            name = database_recreate()
            account_set_up(contacts=rows)
            path = scratch_path / "contacts.csv"
            progress(f"writing a {rows:,}-row CSV")
            size = csv_generate(path, rows)
            runs: dict[str, list[Run]] = {"engine": [], "baseline": []}
            for round_number in range(repeats):
                for side in ("baseline", "engine") if round_number % 2 == 0 else ("engine", "baseline"):
                    database_reset()
                    if side == "engine":
                        run, import_id = engine_run(path, media_root, rows)
                    else:
                        run, import_id = baseline_run(path), None
                    check(side, rows, import_id)
                    runs[side].append(run)
                    extra = "" if run.rss_mb is None else f", peak RSS {run.rss_mb:.0f} MB"
                    progress(f"{side}: {run.seconds:.2f} s (cpu {run.cpu_seconds or 0:.2f} s{extra})")
        except BenchError as error:
            print(f"bench: {error}", file=sys.stderr)
            return 1
    report = report_format(runs=runs, rows=rows, size=size, repeats=repeats, load=load)
    print("\n" + report, end="")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(report)
    if os.environ.get("BENCH_KEEP") != "1":
        from bench.database import database_drop

        database_drop(name)
        progress("dropped the bench database (BENCH_KEEP=1 keeps it)")
    return 0


def main() -> int:
    child = sys.argv[1:2] == ["run"]
    if not child:
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_IMPORTS_DATABASE_URL") or DEFAULT_DATABASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ.setdefault("CRM_ENV", "test")
    import django

    django.setup()
    if child:
        return engine_child(int(sys.argv[2]))
    return bench()


if __name__ == "__main__":
    sys.exit(main())
