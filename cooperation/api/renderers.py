"""Renderers: JSON through orjson, and the export formats (CSV, NDJSON) that list endpoints
stream row by row (see :mod:`cooperation.api.export`)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import orjson
from rest_framework.renderers import BaseRenderer


def json_default(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)  # lazy translations and other str-like values


def dumps(data, *, sort_keys: bool = False) -> bytes:
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    return orjson.dumps(data, default=json_default, option=option)


class JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b"" if data is None else dumps(data)


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value as a spreadsheet-safe CSV cell: text that a spreadsheet would run as a formula
    is prefixed with an apostrophe; lists are joined; nested objects are JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = "; ".join(csv_cell(v) for v in value)
    elif isinstance(value, (dict, list)):
        text = dumps(value).decode()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([csv_cell(v) for v in values])
    return buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """CSV of a list of objects (export) or of one object (a detail or an error)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:  # a 204 (a delete) has no body in any format
            return b""
        rows = data if isinstance(data, list) else [data]
        columns = list(rows[0]) if rows and isinstance(rows[0], dict) else ["value"]
        lines = [csv_line(columns)]
        for row in rows:
            lines.append(csv_line(row.values() if isinstance(row, dict) else [row]))
        return "".join(lines).encode()


class NDJSONRenderer(BaseRenderer):
    """Newline-delimited JSON: one object per line."""

    media_type = "application/x-ndjson"
    format = "ndjson"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        rows = data if isinstance(data, list) else [data]
        return b"".join(dumps(row) + b"\n" for row in rows)


EXPORT_RENDERERS = (CSVRenderer, NDJSONRenderer)
