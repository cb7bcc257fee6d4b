"""Celery tasks that compute the cooperation summaries, and the ones beat schedules.

Each computation runs in one database transaction (see :func:`summaries.compute.compute`), so
a task is safe to run twice and a worker lost in the middle leaves nothing half-written: with
``acks_late`` the broker hands the task to another worker, which computes it whole. A task
that finds its own run already recorded (delivered again after it committed) does nothing.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import IntegrityError, InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from summaries.compute import compute, period_start, previous_period
from summaries.models import Granularity, SummaryRun

RETRIED = (OperationalError, InterfaceError, BrokerError)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=RETRIED,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def compute_summaries(self, granularity: str, start: str) -> dict:
    """Compute one period's summaries (``start``: its first day, ISO)."""
    task_id = self.request.id
    if task_id and SummaryRun.objects.filter(task_id=task_id).exists():
        return {"granularity": granularity, "period_start": start, "already_done": True}
    try:
        outcome = compute(granularity, datetime.date.fromisoformat(start), task_id=task_id)
    except IntegrityError:
        # The same delivery finished elsewhere between the check above and the end of ours.
        if SummaryRun.objects.filter(task_id=task_id).exists():
            return {"granularity": granularity, "period_start": start, "already_done": True}
        raise
    return {
        "granularity": granularity,
        "period_start": start,
        "rows": outcome.rows,
        "seconds": round(outcome.seconds, 3),
    }


def _queue_on(task, granularity: str, start) -> str:
    """Queue the computation on the queue the scheduling task came from."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    compute_summaries.apply_async((granularity, start.isoformat()), queue=queue)
    return start.isoformat()


@shared_task(bind=True, acks_late=True, autoretry_for=RETRIED, retry_backoff=True, max_retries=8)
def summarize_previous_period(self, granularity: str) -> str:
    """Scheduled on the 1st: queue the period of ``granularity`` that just ended."""
    return _queue_on(self, granularity, previous_period(granularity, timezone.localdate()))


@shared_task(bind=True, acks_late=True, autoretry_for=RETRIED, retry_backoff=True, max_retries=8)
def refresh_month_to_date(self) -> str:
    """Scheduled nightly: recompute the current month so far."""
    return _queue_on(self, Granularity.MONTH, period_start(Granularity.MONTH, timezone.localdate()))
