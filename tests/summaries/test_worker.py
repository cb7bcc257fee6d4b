"""The summaries computed by a real Celery worker from a real Redis broker, on the test
database: a scheduled run stores the expected rows, running it again changes no figure, and
a worker killed (``kill -9``) in the middle of a run leaves no partial summary while the
task, handed to the next worker, completes exactly once."""

from __future__ import annotations

import datetime
import io
import signal
import subprocess
import time
import uuid

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from summaries.models import CooperationSummary, SummaryRun
from summaries.tasks import compute_summaries, summarize_previous_period
from tests import factories
from tests.services import celery_worker, redis_broker_url

VISIBILITY_TIMEOUT = 4  # seconds before Redis hands an unacknowledged task to another worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def database_url() -> str:
    """The test database as a URL, for the worker processes."""
    settings = connection.settings_dict
    host = settings["HOST"] or "localhost"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER']}{password}@{host}:{settings['PORT'] or 5432}/"
        f"{settings['NAME']}"
    )


def raw_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    )


class Worker:
    """A ``celery worker`` process consuming one private queue."""

    def __init__(self, queue: str, broker: str):
        self.queue = queue
        self.process = celery_worker(
            queue,
            CELERY_BROKER_URL=broker,
            DATABASE_URL=database_url(),
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def broker():
    return redis_broker_url()


@pytest.fixture
def queue():
    return f"test-summaries-{uuid.uuid4().hex}"


def wait_for(condition, timeout=90.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def figures_of(start):
    return {
        (row.scope_kind, row.scope_key, row.audience): row.metrics
        for row in CooperationSummary.objects.filter(granularity="month", period_start=start)
    }


@pytest.fixture
def last_month_records(db):
    """Two operations (one restricted) and a seizure in the month before this one."""
    today = datetime.date.today()
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    colombia = factories.GovernmentFactory(country=factories.country("COL"))
    peru = factories.GovernmentFactory(country=factories.country("PER"))
    public = factories.JointOperationFactory(
        started_on=start, participants=[colombia, peru], sensitivity="public"
    )
    public.countries.set(["COL"])
    factories.SeizureFactory(
        operation=public, quantity=120, unit="kg", seized_on=start, country_id="COL"
    )
    factories.JointOperationFactory(
        started_on=start + datetime.timedelta(days=3),
        participants=[colombia],
        sensitivity="restricted",
    )
    return start, colombia


def test_a_scheduled_run_stores_the_summaries_and_running_it_again_changes_nothing(
    broker, queue, last_month_records
):
    start, colombia = last_month_records
    worker = Worker(queue, broker)
    try:
        summarize_previous_period.apply_async(("month",), queue=queue).get(timeout=90)
        wait_for(
            lambda: SummaryRun.objects.filter(granularity="month", period_start=start).exists(),
            what="the month's summaries",
        )
        first = figures_of(start)
        assert first[("global", "", "public")]["operations.started"] == 1
        assert first[("global", "", "public")]["seizures.kg"] == 120
        assert first[("global", "", "administrators")]["operations.started"] == 2
        # Colombia's own row: what its restricted operation adds to the partners row.
        mine = ("partner", str(colombia.pk), f"partner:{colombia.pk}")
        assert first[mine]["operations.started"] == 1
        assert first[("partner", str(colombia.pk), "partners")]["operations.started"] == 1
        assert first[("country", "COL", "partners")]["seizures.count"] == 1
        computed = set(
            CooperationSummary.objects.filter(period_start=start).values_list("pk", "computed_at")
        )

        summarize_previous_period.apply_async(("month",), queue=queue).get(timeout=90)
        wait_for(
            lambda: SummaryRun.objects.filter(granularity="month", period_start=start).count() == 2,
            what="the second run",
        )
        assert figures_of(start) == first
        again = set(
            CooperationSummary.objects.filter(period_start=start).values_list("pk", "computed_at")
        )
        # The same rows, recomputed: only the recorded computation time moved.
        assert {pk for pk, _ in again} == {pk for pk, _ in computed}
        assert again != computed
    finally:
        worker.stop()


def test_a_worker_killed_mid_run_leaves_nothing_and_the_task_completes_once(
    broker, queue, last_month_records
):
    start, _ = last_month_records
    task_id = f"summaries-{uuid.uuid4()}"
    holder = raw_connection()
    worker = Worker(queue, broker)
    try:
        # Hold the run's record open: the worker computes every row, then waits on it.
        holder.execute("BEGIN")
        holder.execute(
            "INSERT INTO summaries_summaryrun "
            "(task_id, granularity, period_start, rows, finished_at, seconds) "
            "VALUES (%s, 'month', %s, 0, now(), 0)",
            [task_id, start],
        )
        compute_summaries.apply_async(("month", start.isoformat()), queue=queue, task_id=task_id)
        with raw_connection() as observer:

            def worker_is_waiting():
                return observer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO %%summaryrun%%'"
                ).fetchone()[0]

            wait_for(worker_is_waiting, what="the worker to reach the end of its run")
            worker.kill()
            holder.execute("ROLLBACK")

            def worker_backend_gone():
                return not observer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND query LIKE 'INSERT INTO %%summaryrun%%' AND pid <> pg_backend_pid()"
                ).fetchone()[0]

            wait_for(worker_backend_gone, what="the killed worker's transaction to end")
        assert not CooperationSummary.objects.filter(period_start=start).exists()
        assert not SummaryRun.objects.filter(task_id=task_id).exists()

        # Redis hands the unacknowledged task to the next worker once it is overdue.
        time.sleep(VISIBILITY_TIMEOUT + 1)
        worker = Worker(queue, broker)
        wait_for(
            lambda: SummaryRun.objects.filter(task_id=task_id).exists(),
            what="the task to be delivered again and complete",
        )
        time.sleep(VISIBILITY_TIMEOUT + 1)  # time for a second, wrong, completion to show
        assert SummaryRun.objects.filter(period_start=start).count() == 1
        assert figures_of(start)[("global", "", "administrators")]["operations.started"] == 2
    finally:
        worker.stop()
        holder.close()


def test_a_parallel_backfill_computes_every_period_once(last_month_records):
    start, _ = last_month_records
    before = start.replace(day=1) - datetime.timedelta(days=1)
    out = io.StringIO()
    call_command(
        "summaries",
        "--from",
        f"{before:%Y-%m}",
        "--to",
        f"{start:%Y-%m}",
        "--granularity",
        "month",
        "--jobs",
        "2",
        "--no-progress",
        stdout=out,
    )
    assert "Computed 2 periods (month)" in out.getvalue()
    assert sorted(SummaryRun.objects.values_list("period_start", flat=True)) == [
        before.replace(day=1),
        start,
    ]
    assert figures_of(start)[("global", "", "administrators")]["operations.started"] == 2
