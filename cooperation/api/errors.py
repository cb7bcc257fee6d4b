"""One error format for every 4xx response of the API:

    {"status": 400, "error": "invalid", "detail": "Invalid input.", "errors": {"field": ["…"]}}

``errors`` appears when the problem is with particular fields (nested rows are reported at
their path, e.g. ``{"seizures": [{}, {"quantity": ["…"]}]}``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


def _code(exc) -> str:
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    if isinstance(codes, str):
        return codes
    return getattr(exc, "default_code", "error")


def handle(exc, context):
    if isinstance(exc, DjangoValidationError):
        from cooperation.api.nested import api_errors

        exc = exceptions.ValidationError(api_errors(exc))
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


def _headers(response) -> dict:
    return {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Retry-After", "Allow")
    }


ERROR_EXAMPLE = {
    "status": 400,
    "error": "invalid",
    "detail": "Invalid input.",
    "errors": {"started_on": ["This field is required."]},
}
