"""Without DATABASE_URL the project starts its own PostgreSQL from a wheel: the newcomer's
first run and tests on a bare machine use the same engine as production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cooperation.embedded_postgres import stop

ROOT = Path(__file__).resolve().parents[2]

PROBE = (
    "from django.db import connection; connection.ensure_connection(); "
    "print(connection.vendor, connection.settings_dict['NAME'], connection.pg_version)"
)


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "pgdata"
    yield directory
    stop(directory)


def manage(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["EMBEDDED_POSTGRES_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_it_starts_an_embedded_postgresql_and_keeps_it_for_the_next_command(data_dir):
    first = manage("shell", "-c", PROBE, data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    vendor, name, version = first.stdout.split()[-3:]
    assert (vendor, name) == ("postgresql", "cooperation")
    assert int(version) >= 150000
    pid_file = data_dir / "postmaster.pid"
    assert pid_file.exists()
    server_pid = pid_file.read_text().split()[0]
    second = manage("shell", "-c", PROBE, data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    assert pid_file.read_text().split()[0] == server_pid  # the same server, reused


def test_a_database_url_that_is_not_postgresql_is_refused(data_dir):
    env = {**os.environ, "DATABASE_URL": "sqlite:///tmp/x.sqlite3"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_a_production_configuration_needs_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
