"""Access to the real services some tests need (a Redis broker), or a clear skip.

With ``REQUIRE_SERVICES=1`` (CI) a missing service fails the test instead of skipping it, so
a green run can never hide a test that did not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def service_missing(name: str, reason: str):
    message = f"{name} is not available: {reason}"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{message} (REQUIRE_SERVICES=1 forbids skipping)", pytrace=False)
    pytest.skip(message)


def redis_broker_url() -> str:
    """The Redis broker URL from ``CELERY_BROKER_URL``, checked to answer a PING."""
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith(("redis://", "rediss://")):
        service_missing("Redis broker", "CELERY_BROKER_URL is not set to a redis:// URL")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing("Redis broker", f"{url} did not answer: {error}")
    return url


ROOT = Path(__file__).resolve().parent.parent


def celery_worker(queue: str, stderr=None, loglevel="WARNING", **env: str) -> subprocess.Popen:
    """A ``celery worker`` process (one at a time, no gossip) consuming only ``queue``, with
    ``env`` added to this process's environment (the broker URL, a database URL); its log
    goes to ``stderr`` when given (a file), else to this process's."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cooperation",
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            loglevel,
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stderr=stderr,
    )
