"""The runner: builds the database, times each scenario's engine against its baseline, prints the table.

Runs alternate so that neither side always goes first (baseline, engine, then engine, baseline, …),
each from a freshly reset state; the best run of each side is compared. Benchmarks are information:
a missed target prints FAIL but the exit status is 0; only an error (a run that did not do its work,
a database that cannot be set up) exits non-zero.
"""

import os
import platform
import resource
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time

from django.conf import settings

from bench.common import BenchError, elapsed, env_int, progress
from bench.database import database_build, scalar
from bench.scenarios import Scenario, scenarios_all

RSS_TARGET_MB = 300
RESULTS_FILE = Path(__file__).resolve().parent / "results" / "latest.txt"


def peak_rss_mb() -> float:
    """The process's RSS high-water mark (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Run:
    seconds: float  # wall time: what the table compares
    cpu_seconds: float | None  # this process plus its PostgreSQL backend; None when the server is not local


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    engine: list[Run]
    baseline: list[Run]

    @staticmethod
    def best(runs: list[Run]) -> float:
        return min(run.seconds for run in runs)

    @property
    def ratio(self) -> float:
        return self.best(self.engine) / self.best(self.baseline)

    @property
    def cpu_ratio(self) -> float | None:
        """Best CPU time of each side: less disturbed than wall time by other work on a shared machine."""
        engine, baseline = [run.cpu_seconds for run in self.engine], [run.cpu_seconds for run in self.baseline]
        if None in engine or None in baseline:
            return None
        return min(engine) / min(baseline)

    @property
    def passed(self) -> bool:
        return self.ratio <= self.scenario.target_ratio


def cpu_seconds() -> float | None:
    """CPU time used so far by this process and by its PostgreSQL backend, when that runs on this machine."""
    pid = scalar("SELECT pg_backend_pid()")
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if "(postgres)" not in stat:
        return None  # a remote server: this pid is some other local process, or none
    fields = stat.rsplit(")", 1)[1].split()
    backend_ticks = int(fields[11]) + int(fields[12])  # utime and stime
    return process_time() + backend_ticks / os.sysconf("SC_CLK_TCK")


def _timed_run(scenario: Scenario, side: str) -> Run:
    scenario.reset()
    action = scenario.engine if side == "engine" else scenario.baseline
    cpu_before = cpu_seconds()
    started = perf_counter()
    changed = action()
    seconds = perf_counter() - started
    cpu_after = cpu_seconds()
    if changed != scenario.rows:
        raise BenchError(f"{scenario.name}, {side}: changed {changed:,} rows instead of {scenario.rows:,}")
    scenario.check()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    progress(f"{scenario.name}: {side} {seconds:.3f} s" + ("" if cpu is None else f" (cpu {cpu:.3f} s)"))
    return Run(seconds, cpu)


def scenario_time(scenario: Scenario, *, repeats: int) -> Result:
    """`repeats` runs of each side, alternating which goes first."""
    runs: dict[str, list[Run]] = {"engine": [], "baseline": []}
    for round_number in range(repeats):
        sides = ["baseline", "engine"] if round_number % 2 == 0 else ["engine", "baseline"]
        for side in sides:
            runs[side].append(_timed_run(scenario, side))
    return Result(scenario, runs["engine"], runs["baseline"])


COLUMNS = (
    ("scenario", "<28"),
    ("rows", ">10"),
    ("engine s", ">9"),
    ("baseline s", ">10"),
    ("ratio", ">6"),
    ("target", ">9"),
    ("result", "<6"),
)


def _row(*cells: str) -> str:
    return "  ".join(format(cell, spec) for cell, (_, spec) in zip(cells, COLUMNS, strict=True)).rstrip()


def _verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def table_format(results: list[Result]) -> list[str]:
    """One row per scenario (best run of each side) and one for the peak RSS."""
    header = _row(*(name for name, _ in COLUMNS))
    lines = [header, "-" * len(header)]
    for result in results:
        scenario = result.scenario
        lines.append(
            _row(
                scenario.name,
                f"{scenario.rows:,}",
                f"{result.best(result.engine):.3f}",
                f"{result.best(result.baseline):.3f}",
                f"{result.ratio:.2f}",
                f"<= {scenario.target_ratio:.2f}",
                _verdict(result.passed),
            )
        )
    rss = peak_rss_mb()
    lines.append(
        _row(
            "peak RSS (Python process)",
            "",
            f"{rss:.0f} MB",
            "",
            "",
            f"< {RSS_TARGET_MB} MB",
            _verdict(rss < RSS_TARGET_MB),
        )
    )
    return lines


def _runs_format(result: Result) -> list[str]:
    """Every run of a scenario, wall and CPU time, in the order they ran per side."""
    lines = [f"{result.scenario.name}:"]
    for side, runs in (("engine", result.engine), ("baseline", result.baseline)):
        wall = ", ".join(f"{run.seconds:.3f}" for run in runs)
        cpu = ", ".join("-" if run.cpu_seconds is None else f"{run.cpu_seconds:.3f}" for run in runs)
        lines.append(f"    {side:<8} wall {wall} s; cpu (client + backend) {cpu} s")
    if result.cpu_ratio is not None:
        lines.append(f"    ratio of best cpu times {result.cpu_ratio:.2f}")
    return lines


def report_format(
    *, results: list[Result], contacts: int, repeats: int, load_seconds: float, load_average: float
) -> str:
    lines = [
        f"marketing-status benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"PostgreSQL {scalar('SHOW server_version')}, Python {platform.python_version()}, {os.cpu_count()} CPUs",
        f"contacts {contacts:,}, chunk size {settings.CRM_BULK_CHUNK_SIZE:,}, best of {repeats} runs per side, "
        f"database built and loaded in {load_seconds:.1f} s",
        f"1-minute load average {load_average:.2f} at the start, {os.getloadavg()[0]:.2f} at the end "
        "(other work on the machine inflates wall times; CPU times below are steadier)",
        "",
        *table_format(results),
        "",
    ]
    for result in results:
        lines.extend(_runs_format(result))
    lines.append(f"total wall time {elapsed():.1f} s")
    return "\n".join(lines) + "\n"


def run() -> int:
    contacts = env_int("BENCH_CONTACTS", 1_000_000)
    repeats = max(1, env_int("BENCH_REPEATS", 2))
    load_average = os.getloadavg()[0]
    try:
        progress(f"recreating the bench database and loading {contacts:,} contacts")
        database = database_build(contacts=contacts)
        load_seconds = elapsed()
        progress(f"database {database.name!r} ready")
        results = [scenario_time(scenario, repeats=repeats) for scenario in scenarios_all(database)]
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    report = report_format(
        results=results, contacts=contacts, repeats=repeats, load_seconds=load_seconds, load_average=load_average
    )
    print("\n" + report, end="")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(report)
    return 0
