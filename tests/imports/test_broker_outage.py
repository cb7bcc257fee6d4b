"""A broker outage while a file is uploaded: the upload is saved and answered (202), never
a 500; once the broker is back, the sweep queues the job again and a real worker checks it.
The test runs its own Redis on a spare port, stops it and starts it again."""

from __future__ import annotations

import datetime
import shutil
import socket
import subprocess
import time
import uuid

import pytest
import redis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from cooperation import imports
from cooperation.celery import app
from cooperation.models import ImportJob
from tests.imports.test_operations_import import GOOD, csv_file
from tests.services import service_missing
from tests.summaries.test_worker import Worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    def __init__(self):
        if not shutil.which("redis-server"):
            service_missing("redis-server", "install Debian's redis-server package")
        self.port = spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.answers, timeout=20, what="the test's Redis")

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture
def own_broker(settings):
    """The app publishes to the test's own Redis while the test runs."""
    server = OwnRedis()
    server.start()
    before = app.conf.broker_write_url
    settings.IMPORT_QUEUE = f"test-outage-{uuid.uuid4().hex}"

    def point_at(url):
        app.conf.broker_write_url = url  # what publishing uses before broker_url
        app._pool = None
        app.amqp._producer_pool = None

    point_at(server.url)
    yield server
    server.stop()
    point_at(before)


def test_an_upload_during_an_outage_is_kept_and_checked_once_the_broker_returns(
    cast, own_broker, settings
):
    own_broker.stop()
    client = APIClient()
    client.force_authenticate(cast.officer)
    began = time.monotonic()
    response = client.post(
        "/api/v1/imports/",
        {"kind": "operations", "file": SimpleUploadedFile("seizures.csv", csv_file(*GOOD))},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    assert time.monotonic() - began < 10  # no long hang either
    job = ImportJob.objects.get()
    assert job.state == "checking" and job.stage == "Waiting for the task queue"

    own_broker.start()
    # Not yet stalled: the sweep leaves it; five minutes on, it queues it again.
    assert imports.requeue_stalled() == 0
    later = timezone.now() + datetime.timedelta(minutes=6)
    assert imports.requeue_stalled(now=later) == 1
    worker = Worker(settings.IMPORT_QUEUE, own_broker.url)
    try:
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).state == "checked",
            what="the job to be checked",
        )
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.problems == [] and job.summary["new_records"] == 2


def test_a_job_queued_twice_is_worked_on_once(cast):
    job = ImportJob.objects.create(
        kind="operations", filename="seizures.csv", content=csv_file(*GOOD), user=cast.officer
    )
    first = imports.ProgressWriter(job.pk)
    assert first.claim()
    try:
        # A second delivery while the first worker holds the job: left alone.
        assert imports.perform(job.pk, write=False).state == "checking"
    finally:
        first.close()
    assert imports.perform(job.pk, write=False).state == "checked"
    # Delivered again after it was done: nothing happens.
    assert imports.perform(job.pk, write=False).state == "checked"
