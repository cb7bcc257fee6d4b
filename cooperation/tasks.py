import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task
def ping() -> str:
    """Answer "pong": proves a worker consumes from the broker (readiness checks, tests), and
    logs it, with the request id it carries."""
    log.info("pong")
    return "pong"


@shared_task
def check_import(job_id: int, then_import: bool = False) -> str:
    """The dry run of an import job: every problem of the file, nothing written. With
    ``then_import``, a job that may be written is imported straight after (API clients
    that ask for it in one call)."""
    from cooperation import imports
    from cooperation.models import ImportJob

    job = imports.perform(job_id, write=False)
    if then_import and job.confirmable:
        ImportJob.objects.filter(pk=job.pk).update(
            state=ImportJob.State.IMPORTING, progress=0, stage="Importing"
        )
        job = imports.perform(job_id, write=True)
    return job.state


@shared_task
def run_import(job_id: int) -> str:
    """The import of a checked, confirmed job, as one change set."""
    from cooperation import imports

    return imports.perform(job_id, write=True).state


@shared_task
def requeue_stalled_imports() -> int:
    """Beat's sweep: import jobs that never reached a worker, or lost theirs, queued again."""
    from cooperation import imports

    return imports.requeue_stalled()
