"""Redis stopped while the portal and the API take writes: every write is saved and answered
as usual, never a 500; the import tasks the broker could not take wait on their job (the
outbox) and run, once each, after it returns. The test runs its own Redis on a spare port.

``tests/imports/test_broker_outage.py`` covers an API upload during an outage; this adds the
writes that queue nothing (an operation through the API and through the portal form), the
portal's upload, and a confirmation (the import task itself) during a second outage."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from cooperation import imports
from cooperation.celery import app
from cooperation.models import ApiToken, ImportJob
from operations.models import JointOperation, Seizure
from tests.imports.test_broker_outage import OwnRedis
from tests.imports.test_operations_import import GOOD, csv_file
from tests.portal.test_operation_forms import form_data, two_participants_and_two_seizures
from tests.summaries.test_worker import Worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WAITING = "Waiting for the task queue"


def point_at(url: str) -> None:
    """Publish to ``url`` from now on (the pools hold connections to the previous broker)."""
    app.conf.broker_write_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(settings):
    """The test's own Redis, which this process publishes to (tasks are not run eagerly)
    and the readiness probe checks; a private import queue for the workers."""
    server = OwnRedis()
    server.start()
    settings.IMPORT_QUEUE = f"test-faults-{uuid.uuid4().hex}"
    settings.CELERY_BROKER_URL = server.url
    before = app.conf.broker_write_url, app.conf.task_always_eager
    point_at(server.url)
    app.conf.task_always_eager = False
    yield server
    server.stop()
    point_at(before[0])
    app.conf.task_always_eager = before[1]


def run_sweep_and_worker(broker: OwnRedis, queue: str, job: ImportJob, until: str) -> None:
    """Beat's sweep, as run once the job is overdue, then a real worker until the job is
    ``until``."""
    heartbeat = ImportJob.objects.get(pk=job.pk).heartbeat_at
    overdue = heartbeat + imports.STALLED_AFTER + datetime.timedelta(minutes=1)
    assert imports.requeue_stalled(now=overdue) == 1
    worker = Worker(queue, broker.url)
    try:
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == until, what=f"the job {until}")
    finally:
        worker.stop()


def test_writes_during_a_redis_outage_are_saved_and_their_tasks_run_once_it_is_back(
    cast, broker, client, settings
):
    """Kills: the Celery broker (the test's own redis-server, stopped), twice.

    Verifies: while it is down, an operation posted through the API (201) and through the
    portal form (302) is saved with its participants and seizures; an import uploaded
    through the portal is saved and answered (302) within seconds, its job marked as waiting
    for the task queue; ``/readyz`` reports the broker unavailable (503). Once Redis is back,
    beat's sweep queues the check and a real worker does it. An import confirmed during the
    second outage is answered (302) and waits likewise; once Redis is back the sweep and a
    worker import it: its rows once, in one change set, and no later sweep queues it
    again."""
    broker.stop()

    _, key = ApiToken.issue(cast.officer)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    payload = {
        "name": "Operation Squall",
        "kind": "maritime_interdiction",
        "status": "active",
        "started_on": "2024-02-01",
        "sensitivity": "partners",
        "countries": ["COL"],
        "participants": [
            {"partner": cast.colombian_navy.pk, "role": "lead"},
            {"partner": cast.peru.pk, "role": "partner"},
        ],
        "seizures": [
            {"substance": "cocaine", "quantity": "850", "unit": "kg", "seized_on": "2024-02-03"},
            {"substance": "heroin", "quantity": "20", "unit": "kg", "seized_on": "2024-02-04"},
        ],
    }
    response = api.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 201, response.content
    squall = JointOperation.objects.get(pk=response.json()["id"])
    assert (squall.participations.count(), squall.seizures.count()) == (2, 2)

    client.force_login(cast.officer)
    rows = two_participants_and_two_seizures(cast)
    page = client.post("/operations/new/", form_data(name="Operation Gale", rows=rows))
    assert page.status_code == 302, page.content
    gale = JointOperation.objects.get(name="Operation Gale")
    assert (gale.participations.count(), gale.seizures.count()) == (2, 2)

    began = time.monotonic()
    page = client.post(
        "/imports/",
        {"kind": "operations", "file": SimpleUploadedFile("tide.csv", csv_file(*GOOD)),
         "mode": "all"},
    )  # fmt: skip
    assert time.monotonic() - began < 10
    job = ImportJob.objects.get()
    assert page.status_code == 302 and page["Location"] == job.get_absolute_url()
    assert (job.state, job.stage) == (ImportJob.State.CHECKING, WAITING)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["broker"] == "unavailable"

    broker.start()
    run_sweep_and_worker(broker, settings.IMPORT_QUEUE, job, until=ImportJob.State.CHECKED)
    assert client.get("/readyz").status_code == 200

    broker.stop()
    page = client.post(f"/imports/{job.uuid}/confirm/")
    assert page.status_code == 302, page.content
    job.refresh_from_db()
    assert (job.state, job.stage) == (ImportJob.State.IMPORTING, WAITING)
    assert not JointOperation.objects.filter(reference__in=["OP-1", "OP-2"]).exists()

    broker.start()
    run_sweep_and_worker(broker, settings.IMPORT_QUEUE, job, until=ImportJob.State.DONE)
    job.refresh_from_db()
    imported = JointOperation.objects.filter(reference__in=["OP-1", "OP-2"])
    assert imported.count() == 2
    assert Seizure.objects.filter(operation__in=imported).count() == 3
    assert job.change_set and job.summary["records_created"] == 2
    much_later = timezone.now() + datetime.timedelta(days=1)
    assert imports.requeue_stalled(now=much_later) == 0
