"""Benchmark: how long generate_dataset takes and how large the database grows.

    .venv/bin/python bench/generate_dataset.py --operations 1000000

Runs against a scratch database named ``bench_dataset`` on the server of DATABASE_URL (or the
embedded one), migrated first, dropped afterwards unless --keep. Prints the figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def server_url() -> str:
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from cooperation.embedded_postgres import database_url

    return database_url(ROOT / ".pgdata")


def with_database(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    admin_url = with_database(server_url(), "postgres")
    bench_url = with_database(server_url(), "bench_dataset")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench_dataset")
        conn.execute("CREATE DATABASE bench_dataset")
    env = {**os.environ, "DATABASE_URL": bench_url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True)
    started = time.perf_counter()
    subprocess.run(
        [
            *manage,
            "generate_dataset",
            "--operations",
            str(args.operations),
            "--seed",
            str(args.seed),
        ],
        env=env,
        check=True,
    )
    elapsed = time.perf_counter() - started
    with psycopg.connect(bench_url) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        version = conn.execute("SHOW server_version").fetchone()[0]
    print(f"\ngenerate_dataset --operations {args.operations}")
    print(f"  PostgreSQL {version}")
    print(f"  wall time (load + VACUUM ANALYZE): {elapsed:.1f} s")
    print(f"  operations per second: {args.operations / elapsed:,.0f}")
    print(f"  database size: {size / 2**30:.2f} GiB")
    if not args.keep:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE bench_dataset")


if __name__ == "__main__":
    main()
