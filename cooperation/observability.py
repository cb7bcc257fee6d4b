"""What operators watch: one request id carried from the web request into its log lines and
into the Celery tasks it queues (and their log lines); Prometheus counters of task
outcomes. Request and query metrics come from django-prometheus."""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import os
import time

from celery import signals
from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import Http404
from prometheus_client import Counter, Histogram

from cooperation.history import request_id_of

REQUEST_ID = contextvars.ContextVar("request_id", default="")
HEADER = "request_id"  # the task message header that carries it

TASKS = Counter(
    "cooperation_celery_tasks_total", "Celery tasks run, by task and outcome", ["task", "outcome"]
)
TASK_SECONDS = Histogram("cooperation_celery_task_seconds", "Celery task run time", ["task"])


class RequestIdFilter(logging.Filter):
    """Gives every log record the request id under way ("-" outside any request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class RequestIdMiddleware:
    """The request's id (the client's ``X-Request-ID`` when sane, else a new one) for every
    log line written while it is served, and in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Kept until the request is finished: Django logs a response's error only once the
        # middleware has returned it.
        REQUEST_ID.set(request_id_of(request))
        response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", request_id_of(request))
        return response


@receiver(request_finished)
def forget_request_id(**kwargs) -> None:
    REQUEST_ID.set("")


@signals.before_task_publish.connect
def carry_request_id(headers=None, **kwargs) -> None:
    """A task queued while a request (or a task) is served carries its id."""
    current = REQUEST_ID.get()
    if current and headers is not None:
        headers.setdefault(HEADER, current)


_started: dict[str, tuple[contextvars.Token, float]] = {}


@signals.task_prerun.connect
def take_request_id(task_id=None, task=None, **kwargs) -> None:
    carried = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    _started[task_id] = (REQUEST_ID.set(carried or REQUEST_ID.get()), time.monotonic())


@signals.task_postrun.connect
def drop_request_id(task_id=None, task=None, state=None, **kwargs) -> None:
    token, began = _started.pop(task_id, (None, None))
    if began is not None:
        TASK_SECONDS.labels(task.name).observe(time.monotonic() - began)
    if token is not None:
        REQUEST_ID.reset(token)
    TASKS.labels(task.name, (state or "unknown").lower()).inc()


@signals.task_retry.connect
def count_retry(sender=None, **kwargs) -> None:
    TASKS.labels(getattr(sender, "name", "unknown"), "retry").inc()


@signals.worker_init.connect
def serve_worker_metrics(**kwargs) -> None:
    """A worker serves its metrics on CELERY_METRICS_PORT when set (the web processes serve
    theirs at /metrics)."""
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(int(port))


def metrics(request):
    """``/metrics`` for Prometheus, to the networks in METRICS_ALLOWED_NETWORKS only (the
    probes' own network; a 404 to anyone else)."""
    from django_prometheus.exports import ExportToDjangoView

    address = ipaddress.ip_address(request.META.get("REMOTE_ADDR") or "255.255.255.255")
    if not any(address in ipaddress.ip_network(n) for n in settings.METRICS_ALLOWED_NETWORKS):
        raise Http404("No such page.")
    return ExportToDjangoView(request)
