"""A Celery worker killed (``kill -9``) in the middle of writing an import: nothing of it is
stored, the broker hands the unacknowledged task (``acks_late``) to the next worker, and the
import is written once, whole, in one change set. A real worker and a real Redis broker, on
the test database. (The summaries task has its own such test in
``tests/summaries/test_worker.py``; this one reuses its way of stopping a worker at a known
point: a lock the test holds.)"""

from __future__ import annotations

import time
import uuid

import pytest
from pghistory.models import Context

from cooperation.models import ImportJob
from cooperation.tasks import run_import
from operations.models import JointOperation, Seizure
from tests.imports.test_operations_import import HEADER
from tests.services import redis_broker_url
from tests.summaries.test_worker import VISIBILITY_TIMEOUT, Worker, raw_connection, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

OPERATIONS = 300  # each with two seizures


def big_file() -> bytes:
    lines = [HEADER]
    for number in range(OPERATIONS):
        lines.append(
            f"OP-{number},Operation Breaker {number},raid,completed,2023-04-01,2023-04-30,"
            f"public,COL,Government of Colombia: lead;Colombian Navy,2,S-1,cocaine,{10 + number},"
            "kg,2023-04-02,COL,"
        )
        lines.append(f"OP-{number},,,,,,,,,,S-2,heroin,3,kg,2023-04-03,COL,")
    return "\n".join(lines).encode()


def written() -> tuple[int, int, int]:
    """Operations and seizures of the file, and import change sets, stored."""
    operations = JointOperation.objects.filter(name__startswith="Operation Breaker")
    return (
        operations.count(),
        Seizure.objects.filter(operation__in=operations).count(),
        Context.objects.filter(metadata__source="import").count(),
    )


def test_a_worker_killed_mid_import_leaves_nothing_and_the_task_imports_once(cast):
    """Kills: the Celery worker running ``run_import`` (SIGKILL), while its transaction has
    written the file's 300 operations and waits to write their seizures (held back by a
    lock the test takes on the seizures table).

    Verifies: the killed worker's writes are gone (no operation, seizure or change set of
    the import) and the job is still importing; the broker hands the unacknowledged task to
    a new worker once its visibility timeout passes (acks_late, reject on worker lost),
    which imports the file: 300 operations and 600 seizures in one change set, the job
    done; another visibility timeout later, still once."""
    broker = redis_broker_url()
    queue = f"test-import-kill-{uuid.uuid4().hex}"
    job = ImportJob.objects.create(
        kind="operations",
        filename="breaker.csv",
        content=big_file(),
        user=cast.officer,
        author_partner=cast.colombia,
        state=ImportJob.State.IMPORTING,
        stage="Waiting for a worker",
    )
    holder = raw_connection()
    worker = Worker(queue, broker)
    try:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE operations_seizure IN EXCLUSIVE MODE")  # reads still pass
        run_import.apply_async((job.pk,), queue=queue)
        with raw_connection() as observer:

            def writing_seizures(waiting: bool) -> int:
                """Sessions (but the test's) whose last statement writes seizures."""
                return observer.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND query LIKE '%%operations_seizure%%' "
                    "AND query NOT LIKE 'LOCK TABLE%%' "
                    + ("AND wait_event_type = 'Lock'" if waiting else "")
                ).fetchone()[0]

            wait_for(
                lambda: writing_seizures(waiting=True), what="the worker to reach the seizures"
            )
            progress = ImportJob.objects.get(pk=job.pk)
            assert progress.stage.startswith("Wrote the") and progress.progress >= 60
            worker.kill()
            holder.execute("ROLLBACK")
            wait_for(lambda: not writing_seizures(waiting=False),
                     what="the killed worker's transaction to end")  # fmt: skip
        assert written() == (0, 0, 0)
        assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.IMPORTING

        # Redis hands the unacknowledged task to the next worker once it is overdue.
        time.sleep(VISIBILITY_TIMEOUT + 1)
        worker = Worker(queue, broker)
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE,
            what="the task to be delivered again and the import done",
        )
        time.sleep(VISIBILITY_TIMEOUT + 1)  # time for a second, wrong, import to show
        assert written() == (OPERATIONS, 2 * OPERATIONS, 1)
        job.refresh_from_db()
        assert str(job.change_set) == str(Context.objects.get(metadata__source="import").pk)
        assert job.summary["records_created"] == OPERATIONS
    finally:
        worker.stop()
        holder.close()
