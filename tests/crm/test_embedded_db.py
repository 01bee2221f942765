"""The embedded PostgreSQL server: started on a data folder of ours, reused across starts, stopped cleanly."""

from pathlib import Path

import psycopg
import pytest

from crm import embedded_db


def _connect(var_dir: Path, dbname: str = embedded_db.DATABASE) -> psycopg.Connection:
    return psycopg.connect(
        host=str(embedded_db.socket_dir(var_dir)), port=embedded_db.PORT, user="postgres", dbname=dbname
    )


def test_settings_point_django_at_the_socket_beside_the_data(tmp_path):
    settings = embedded_db.connection_settings(tmp_path)

    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "crm"
    assert settings["HOST"] == str(tmp_path.resolve() / "postgres-socket")


def test_a_path_too_long_for_a_socket_name_moves_the_socket_under_tmp(tmp_path):
    deep = tmp_path / ("x" * 120)

    folder = embedded_db.socket_dir(deep)

    assert str(folder).startswith("/tmp/crm-postgres-")
    assert len(str(folder / ".s.PGSQL.5432")) <= 107
    assert embedded_db.socket_dir(deep) == folder  # the same folder every time, so settings can name it


@pytest.fixture
def var_dir(tmp_path):
    yield tmp_path / "var"
    embedded_db.stop(tmp_path / "var")


def test_start_initialises_once_creates_the_database_and_keeps_data_across_restarts(var_dir):
    assert embedded_db.ensure_running(var_dir) is True
    assert embedded_db.ensure_running(var_dir) is False  # already running: nothing started twice
    with _connect(var_dir) as connection:
        connection.execute("CREATE TABLE kept (value text)")
        connection.execute("INSERT INTO kept VALUES ('still here')")
        server = connection.execute("SHOW server_version").fetchone()[0]

    assert embedded_db.stop(var_dir) is True
    assert embedded_db.is_running(var_dir) is False
    with pytest.raises(psycopg.OperationalError):
        _connect(var_dir).close()

    assert embedded_db.ensure_running(var_dir) is True
    with _connect(var_dir) as connection:
        assert connection.execute("SELECT value FROM kept").fetchall() == [("still here",)]
    assert int(server.split(".")[0]) >= 15


def test_stop_when_nothing_runs_says_so(var_dir):
    assert embedded_db.stop(var_dir) is False
