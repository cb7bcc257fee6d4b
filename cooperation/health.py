"""Probes for load balancers and orchestrators: ``/healthz`` (the process answers) and
``/readyz`` (it can do its work: the database and, when one is configured, the broker
answer). Neither needs a session, reads a record or sets a cookie."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger(__name__)
BROKER_TIMEOUT = 2.0  # seconds


@never_cache
@require_safe
def healthz(request):
    return JsonResponse({"status": "ok"})


def database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        log.warning("readiness: the database does not answer", exc_info=True)
        return False


def broker_ready() -> bool:
    if not settings.CELERY_BROKER_URL:
        return True  # tasks run in the web process
    from cooperation.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as broker:
            broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        return True
    except Exception:
        log.warning("readiness: the broker does not answer", exc_info=True)
        return False


@never_cache
@require_safe
def readyz(request):
    checks = {
        "database": "ok" if database_ready() else "unavailable",
        "broker": "ok" if broker_ready() else "unavailable",
    }
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )
