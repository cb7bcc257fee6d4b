"""Who may do what through the API, and the documentation that says so."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cooperation.models import ApiToken
from tests.api.resources import RESOURCES

WRITABLE = [r for r in RESOURCES if r.writable]


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=lambda r: r.name)
def test_a_read_only_token_reads_but_every_unsafe_method_gets_403(cast, resource):
    row = resource.make(cast, "public")
    _, key = ApiToken.issue(cast.officer, read_only=True)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    base = f"/api/v1/{resource.name}/"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}{row.pk}/").status_code == 200
    attempts = [
        client.post(base, resource.create(cast), format="json"),
        client.put(f"{base}{row.pk}/", resource.create(cast), format="json"),
        client.patch(f"{base}{row.pk}/", resource.update, format="json"),
        client.delete(f"{base}{row.pk}/"),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.json()["detail"] == "This token is read-only."
    assert client.get(f"{base}{row.pk}/").status_code == 200


@pytest.mark.django_db
def test_an_expired_token_gets_401_in_the_error_format(cast):
    token, key = ApiToken.issue(cast.officer, expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at="2020-01-01T00:00:00Z")
    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/operations/")
    assert response.status_code == 401
    assert response.json() == {
        "status": 401,
        "error": "authentication_failed",
        "detail": "Token expired.",
    }


@pytest.mark.django_db
def test_the_schema_is_openapi_3_and_the_docs_load_their_assets_locally(client):
    schema = client.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    document = schema.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/operations/" in document["paths"]
    assert "Error" in document["components"]["schemas"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "drf_spectacular_sidecar" in html
    assert "cdn." not in html and "unpkg" not in html


@pytest.mark.django_db
def test_every_list_parameter_is_documented(client):
    document = client.get("/api/v1/schema/", {"format": "json"}).json()
    operations = document["paths"]["/api/v1/operations/"]["get"]
    names = {p["name"] for p in operations["parameters"]}
    assert {
        "country",
        "region",
        "partner",
        "partner_role",
        "kind",
        "status",
        "substance",
        "substance_group",
        "sensitivity",
        "started_after",
        "started_before",
        "q",
        "updated_since",
        "ordering",
        "page",
        "page_size",
        "cursor",
        "fields",
        "omit",
        "brief",
        "format",
    } <= names
    assert all(p.get("description") for p in operations["parameters"]), [
        p["name"] for p in operations["parameters"] if not p.get("description")
    ]


@pytest.mark.django_db
def test_the_deletions_feed_lists_what_went_since_a_moment_to_those_who_could_see_it(cast):
    from django.utils import timezone

    from tests import factories

    before = timezone.now()
    shown = factories.JointOperationFactory(sensitivity="public")
    hidden = factories.JointOperationFactory(sensitivity="restricted", participants=[cast.colombia])
    shown_id, hidden_id = shown.pk, hidden.pk
    shown.delete()
    hidden.delete()
    client = APIClient()
    client.force_authenticate(cast.outsider)
    feed = client.get("/api/v1/deleted/", {"since": before.isoformat(), "resource": "operations"})
    assert [row["object_id"] for row in feed.json()["results"]] == [shown_id]
    client.force_authenticate(cast.officer)
    feed = client.get("/api/v1/deleted/", {"since": before.isoformat(), "resource": "operations"})
    assert {row["object_id"] for row in feed.json()["results"]} == {shown_id, hidden_id}
    later = client.get("/api/v1/deleted/", {"since": timezone.now().isoformat()})
    assert later.json()["results"] == []
