"""The live server behind the load run and the API fuzz: a database prepared with the demo
data, and gunicorn serving the project as in production (DEBUG off), over plain http on the
loopback interface.

Used by ``bench/load.py`` and ``bench/fuzz_api.py``; not a command of its own.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
MANAGE = [sys.executable, str(ROOT / "manage.py")]

# Production settings, less what needs TLS: the server is reached over http on 127.0.0.1.
SERVER_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "benchmark-only",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
}


def with_database(url: str, name: str) -> str:
    """The URL of another database on the same server."""
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def database(name: str) -> tuple[str, bool]:
    """The database to run against, and whether it is a scratch one made here.

    ``DATABASE_URL`` when set (used as it is: migrated, the demo data added if missing);
    else ``name`` on the embedded PostgreSQL server, dropped and created anew, so that each
    run starts from the demo data and nothing else.
    """
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], False
    sys.path.insert(0, str(ROOT))
    from cooperation.embedded_postgres import database_url

    server = database_url(ROOT / ".pgdata")
    with psycopg.connect(with_database(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(server, name), True


def prepare(url: str) -> None:
    """Migrate, load the demo data (a second load adds nothing) and, when the database has
    none yet, compute its cooperation summaries as ``make demo`` does."""
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    quiet = {"env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*MANAGE, "migrate", "--no-input", "-v0"], **quiet)
    subprocess.run([*MANAGE, "load_demo"], **quiet)
    with psycopg.connect(url) as conn:
        computed = conn.execute("SELECT EXISTS (SELECT 1 FROM summaries_cooperationsummary)")
        if computed.fetchone()[0]:
            return
    this_month = time.strftime("%Y-%m")
    subprocess.run(
        [*MANAGE, "summaries", "--from", "2000-01", "--to", this_month, "--no-progress"], **quiet
    )


def django_on(name: str) -> tuple[str, bool]:
    """Make the database ``name`` ready (:func:`database`, :func:`prepare`) and set Django up
    on it in this process; returns what :func:`database` does."""
    print("Preparing the database (migrate, demo data, summaries)…", flush=True)
    url, scratch = database(name)
    prepare(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    return url, scratch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@dataclass
class Server:
    url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen  # gunicorn's master

    def cpu_seconds(self) -> float:
        """CPU time (user and system) its workers have used so far."""
        total = 0.0
        for worker in psutil.Process(self.process.pid).children():
            with contextlib.suppress(psutil.NoSuchProcess):
                times = worker.cpu_times()
                total += times.user + times.system
        return total


@contextlib.contextmanager
def gunicorn(
    url: str,
    *,
    workers: int,
    log: Path,
    env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[Server]:
    """Serve the project on a free loopback port until the block ends.

    ``env`` adds to (and overrides) the production-like settings; the server's own output
    goes to ``log``.
    """
    port = free_port()
    server_env = {**os.environ, **SERVER_ENV, **(env or {}), "DATABASE_URL": url}
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "cooperation.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        *options,
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=server_env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not ready(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log}")
            time.sleep(0.3)
        yield Server(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
