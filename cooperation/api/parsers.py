"""JSON request bodies, read with limits: a body larger than ``API_MAX_BODY_BYTES`` is a 413
(read no further than the limit), nesting deeper than orjson's limit (1,024) or bytes that are
not UTF-8 JSON are a 400 — never a 500, never a body held whole in memory past the limit."""

from __future__ import annotations

import orjson
from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than {limit:,} bytes.")


class JSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        if stream is None:
            return {}
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise BodyTooLarge(limit)
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise exceptions.ParseError(f"The body is not valid UTF-8 JSON: {error}") from None
