"""A database that does not answer (stopped, restarting, unreachable) is a passing outage,
not a bug: the client is told so with a 503 and ``Retry-After`` — the API in its error format,
the portal with a page of its own — never a 500.

Django opens a connection per request (checked before use: ``CONN_HEALTH_CHECKS``), so once
the database is back the next request is served as usual; nothing needs a restart. Nothing is
half-written either: a write the database never committed is simply not there.
"""

from __future__ import annotations

import logging
import sys

import psycopg
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

log = logging.getLogger(__name__)

RETRY_AFTER = 30  # seconds
DETAIL = "The database is unavailable; try again shortly."
# Errors of the database's operation rather than of our code: a lost or refused connection,
# a server shutting down (also a statement cancelled by it, a deadlock: worth a retry too).
OUTAGES = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
NOTED = "_database_unavailable"


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGES)


def unavailable(request) -> HttpResponse:
    """The 503 for ``request``: JSON in the API's error format under /api/, else the page.
    Neither reads the database (the page is standalone: the site's base needs the user)."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"status": 503, "error": "service_unavailable", "detail": DETAIL}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage met while serving a request into :func:`unavailable`: one
    raised by the view (``process_exception``, DRF's views re-raise it), or by a middleware
    inside this one (a session or user read), which Django has already made a 500 and
    :func:`note_outage` marked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, NOTED, False):
            return unavailable(request)
        return response

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        log.warning(
            "the database is unavailable (%s): %s %s answered 503",
            exception,
            request.method,
            request.path,
        )
        return unavailable(request)


@receiver(got_request_exception)
def note_outage(sender=None, request=None, **kwargs) -> None:
    """Django signals an exception it is turning into a 500, inside the handling of it."""
    if request is not None and is_outage(sys.exc_info()[1]):
        setattr(request, NOTED, True)
