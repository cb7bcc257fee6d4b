"""Bodies the API refuses with a 4xx in its error format, changing nothing: wrong types,
too large, nested too deep, not UTF-8, not JSON."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from operations.models import JointOperation

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast):
    client = APIClient()
    client.force_authenticate(cast.officer)
    return client


def post(client, body: bytes):
    return client.generic("POST", "/api/v1/operations/", body, content_type="application/json")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"name": ["not", "a", "string"], "started_on": 7, "kind": {}}', 400),
        (b"[1, 2, 3]", 400),
        (b'{"name": "x"', 400),
        (b'{"name": "\xff\xfe"}', 400),
        (b"[" * 5000 + b"]" * 5000, 400),
        (b'{"name": NaN}', 400),
        (b"", 400),
    ],
    ids=["wrong-types", "not-an-object", "truncated", "not-utf-8", "deep", "nan", "empty"],
)
def test_a_bad_body_is_a_400_in_the_error_format(officer, body, status):
    response = post(officer, body)
    assert response.status_code == status, response.content
    assert response.json()["status"] == status
    assert JointOperation.objects.count() == 0


def test_a_huge_body_is_a_413_read_no_further_than_the_limit(officer, settings):
    settings.API_MAX_BODY_BYTES = 10_000
    response = post(officer, b'{"summary": "' + b"x" * 50_000 + b'"}')
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is larger than 10,000 bytes."
    assert JointOperation.objects.count() == 0


def test_every_free_text_is_bounded(officer, cast):
    from django.apps import apps
    from django.db import models

    unbounded = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label in ("cooperation", "agreements", "operations", "summaries")
        and not model._meta.label.endswith("Event")
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField) and not field.max_length
    ]
    assert unbounded == []
    from tests.api.test_nested_writes import new_operation

    payload = new_operation(cast, summary="x" * 10_001)
    response = officer.post("/api/v1/operations/", payload, format="json")
    assert response.status_code == 400
    assert "summary" in response.json()["errors"]
    assert JointOperation.objects.count() == 0
