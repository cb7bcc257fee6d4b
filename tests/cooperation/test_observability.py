"""Logs, request ids and metrics: a request's log lines carry its id, as JSON in
production; a task queued during a request carries the id to a real worker's log lines;
Prometheus reads request, query and task figures at /metrics, from the probes' networks
only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from cooperation.observability import REQUEST_ID
from cooperation.tasks import ping
from tests.services import celery_worker, redis_broker_url

ROOT = Path(__file__).resolve().parents[2]


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_a_requests_log_lines_are_json_with_its_request_id():
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'cooperation.settings'); django.setup(); from django.test import Client; "
        "r = Client().get('/no-such-page/', HTTP_HOST='localhost', HTTP_X_REQUEST_ID='trace-42');"
        "print(r.status_code, r.headers['X-Request-ID'])"
    )
    env = {**os.environ, "LOG_FORMAT": "json"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["404", "trace-42"]
    logged = [line for line in json_lines(result.stderr) if line.get("logger") == "django.request"]
    assert logged, result.stderr
    assert logged[0]["request_id"] == "trace-42"
    assert logged[0]["level"] == "WARNING" and "Not Found" in logged[0]["message"]
    assert "time" in logged[0]


def test_a_task_carries_the_request_id_into_the_workers_log(tmp_path):
    url = redis_broker_url()
    queue = f"test-{uuid.uuid4().hex}"
    log = (tmp_path / "worker.log").open("w+")
    worker = celery_worker(
        queue, stderr=log, loglevel="INFO", CELERY_BROKER_URL=url, LOG_FORMAT="json"
    )
    token = REQUEST_ID.set("trace-77")
    try:
        assert ping.apply_async(queue=queue).get(timeout=60) == "pong"
    finally:
        REQUEST_ID.reset(token)
        worker.terminate()
        worker.wait(timeout=30)
    log.seek(0)
    pongs = [line for line in json_lines(log.read()) if line.get("message") == "pong"]
    assert [line["request_id"] for line in pongs] == ["trace-77"]


@pytest.mark.django_db
def test_metrics_are_read_from_the_probes_networks_only(client):
    ping.apply()  # a task run here counts too
    client.get("/agreements/")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_db_execute_total" in text
    assert 'cooperation_celery_tasks_total{outcome="success",task="cooperation.tasks.ping"}' in text
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
