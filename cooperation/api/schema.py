"""OpenAPI additions: the one error format, documented on every operation that can fail."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "The body of every 4xx response.",
    "properties": {
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
        "error": {
            "type": "string",
            "description": "A stable code: invalid, not_found, not_authenticated, "
            "authentication_failed, permission_denied, precondition_failed, throttled, …",
        },
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Field errors (400 only): field name to messages; nested rows "
            "are reported at their position in the list.",
        },
    },
    "required": ["status", "error", "detail"],
}

DESCRIPTIONS = {
    "400": "Invalid input: a filter value or the body; `errors` names the fields.",
    "401": "No valid credentials (unknown or expired token).",
    "403": "Not allowed: the user lacks the role, or the token is read-only.",
    "404": "No such row, or none this user may see.",
    "404-list": "No such page (past the last, or a cursor this API did not give), or an "
    "unknown `format`.",
    "412": "`If-Match` names another version of the row than the current one.",
    "413": "The body is larger than the API reads (`API_MAX_BODY_BYTES`, 5 MB by default).",
    "429": "Too many requests for this token or client; see `Retry-After`.",
}


SHAPING_PARAMETERS = [
    {
        "name": "fields",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Only these top-level fields, comma-separated (e.g. `id,name,status`).",
    },
    {
        "name": "omit",
        "in": "query",
        "schema": {"type": "string"},
        "description": "Leave out these top-level fields, comma-separated.",
    },
    {
        "name": "brief",
        "in": "query",
        "schema": {"type": "boolean"},
        "description": "Only `id`, `url` and `display`.",
    },
]
FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "schema": {"type": "string", "enum": ["json", "csv", "ndjson"]},
    "description": "`csv` or `ndjson` stream every matching row (no paging) as a download.",
}


def add_error_responses(result, generator, request, public):
    """A drf-spectacular postprocessing hook: every operation lists the errors it can give,
    all in the ``Error`` format; every read documents the shaping parameters, and that it
    needs no credentials (without them, it sees public records only)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    shaped = set()
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = ["400", "401", "403", "404", "429"]
            if method in ("put", "patch", "delete"):
                codes.append("412")
            if method in ("post", "put", "patch"):
                codes.append("413")
            responses = operation.setdefault("responses", {})
            for code in codes:
                key = "404-list" if code == "404" and "{" not in path else code
                responses.setdefault(code, {"description": DESCRIPTIONS[key], "content": reference})
            if method == "get" and {} not in operation.setdefault("security", []):
                operation["security"].append({})  # anyone may read: public records only
            if method == "get" and "/stats/" not in path:
                parameters = operation.setdefault("parameters", [])
                known = {parameter["name"] for parameter in parameters}
                parameters.extend(p for p in SHAPING_PARAMETERS if p["name"] not in known)
                for parameter in parameters:
                    if parameter["name"] == "format" and "{" not in path:
                        parameter.update(FORMAT_PARAMETER)
                shaped.update(shaped_components(result, operation))
    for name in shaped:
        component = result["components"]["schemas"][name]
        component.pop("required", None)
        component["description"] = (component.get("description", "") + "\n\n" + SHAPED_NOTE).strip()
    return result


SHAPED_NOTE = (
    "A read with `fields`, `omit` or `brief` returns only the fields asked for, so no field "
    "is certain to be present; a write returns them all."
)


def shaped_components(result, operation) -> set[str]:
    """Names of the components a read returns whole (one row, or each row of a list), whose
    fields ``?fields=``, ``?omit=`` and ``?brief=`` may leave out."""
    schemas = result["components"]["schemas"]
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    page = schemas.get(schema.get("$ref", "").rsplit("/", 1)[-1], {})
    schema = page.get("properties", {}).get("results", schema)
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    name = schema.get("$ref", "").rsplit("/", 1)[-1]
    return {name} if name else set()
