"""Celery: a real worker consumes from a real Redis broker; without a broker, tasks run
eagerly in the web process so that ``make run`` needs nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from cooperation.tasks import ping
from tests.services import celery_worker, redis_broker_url

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, env: dict) -> str:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'cooperation.settings'); django.setup(); from django.conf import settings; "
        f"print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def test_without_a_broker_tasks_run_eagerly():
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    assert settings_value("CELERY_TASK_ALWAYS_EAGER", env) == "True"


def test_with_a_broker_tasks_are_queued():
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    assert settings_value("CELERY_TASK_ALWAYS_EAGER", env) == "False"


def test_a_worker_answers_a_task_sent_through_redis():
    url = redis_broker_url()
    queue = f"test-{uuid.uuid4().hex}"
    worker = celery_worker(queue, CELERY_BROKER_URL=url)
    try:
        assert ping.apply_async(queue=queue).get(timeout=60) == "pong"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
