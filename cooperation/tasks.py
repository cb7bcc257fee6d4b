from celery import shared_task


@shared_task
def ping() -> str:
    """Answer "pong": proves a worker consumes from the broker (readiness checks, tests)."""
    return "pong"
