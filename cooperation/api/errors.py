"""One error format for every 4xx response of the API:

    {"status": 400, "error": "invalid", "detail": "Invalid input.", "errors": {"field": ["…"]}}

``errors`` appears when the problem is with particular fields (nested rows are reported at
their path, e.g. ``{"seizures": [{}, {"quantity": ["…"]}]}``).
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


def api_errors(error: DjangoValidationError) -> dict:
    """A model's validation error in the API's shape (``non_field_errors``, not ``__all__``)."""
    detail = as_serializer_error(error)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return detail


def _code(exc) -> str:
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(codes, str):
        return codes
    return getattr(exc, "default_code", "error")


def handle(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(api_errors(exc))
    # Django's own 404 and 403 (``get_object_or_404``, an unknown ``?format=``) carry no
    # code: made DRF's here, not only inside ``exception_handler``, they report theirs.
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = exceptions.ValidationError({"non_field_errors": [still_referred_to(exc)]})
    response = exception_handler(exc, context)
    if response is None:
        return None
    body = {"status": response.status_code, "error": _code(exc)}
    if isinstance(exc, exceptions.ValidationError):
        body["error"] = "invalid"
        body["detail"] = "Invalid input."
        detail = response.data
        body["errors"] = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    else:
        body["detail"] = (
            str(response.data.get("detail", exc)) if isinstance(response.data, dict) else str(exc)
        )
    return Response(body, status=response.status_code, headers=_headers(response))


def still_referred_to(error: ProtectedError | RestrictedError) -> str:
    """Why a row cannot be deleted, naming the kinds of rows that refer to it (not the rows:
    the user may not be allowed to see them)."""
    rows = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", ())
    kinds = sorted({str(row._meta.verbose_name_plural) for row in rows})
    return f"Other rows still refer to this one ({', '.join(kinds)}): change or delete them first."


def _headers(response) -> dict:
    return {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }
