"""What every bench program shares, without Django (imported before `django.setup()`): its error, its
integer settings from the environment, and progress lines timed from the start of the run."""

import os
from time import perf_counter

_STARTED = perf_counter()


class BenchError(Exception):
    """The bench cannot run, or a run did not do the work it should have."""


def env_int(name: str, default: int) -> int:
    """An integer setting, `100_000` and `100,000` spelled as people do; `default` when unset or empty."""
    value = os.environ.get(name, "").replace("_", "").replace(",", "")
    return int(value) if value else default


def elapsed() -> float:
    """Seconds since the bench program started."""
    return perf_counter() - _STARTED


def progress(message: str) -> None:
    print(f"[{elapsed():7.1f}s] {message}", flush=True)
