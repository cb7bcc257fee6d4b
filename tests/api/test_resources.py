"""The routine cases of every API resource, generated from ``tests/api/resources.py``:
list, detail, paging, shaping, export, writes good and bad, ETags, deletions and who may do
what. A new resource gets them by adding one declaration."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cooperation.models import Deletion
from tests import factories
from tests.api.resources import RESOURCES, Resource

SENSITIVE = [r for r in RESOURCES if r.sensitive]
WRITABLE = [r for r in RESOURCES if r.writable]
ids = lambda r: r.name  # noqa: E731


def url(resource: Resource, pk=None) -> str:
    return f"/api/v1/{resource.name}/" + (f"{pk}/" if pk is not None else "")


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    if user is not None and user.is_authenticated:
        api.force_authenticate(user)
    return api


def model_of(resource: Resource):
    from django.urls import resolve

    return resolve(url(resource)).func.cls.serializer_class.Meta.model


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_it_lists_pages_with_a_count_and_details_with_an_etag(api, cast, resource):
    row = resource.make(cast, "public")
    listing = api.get(url(resource))
    assert listing.status_code == 200, listing.content
    body = listing.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    assert body["count"] >= 1
    first = body["results"][0]
    assert {"id", "display"} <= set(first)
    pk = row.pk if row is not None else first["id"]
    detail = api.get(url(resource, pk))
    assert detail.status_code == 200
    assert detail.json()["id"] == pk
    assert detail["ETag"].startswith('"')


@pytest.mark.django_db
@pytest.mark.parametrize("resource", SENSITIVE, ids=ids)
def test_what_a_user_may_not_see_is_a_404_like_any_missing_row(api, cast, resource):
    hidden = resource.make(cast, "restricted")
    as_user(api, cast.outsider)
    assert hidden.pk not in [row["id"] for row in api.get(url(resource)).json()["results"]]
    response = api.get(url(resource, hidden.pk))
    missing = api.get(url(resource, 10**9))
    assert response.status_code == missing.status_code == 404
    assert response.content == missing.content
    as_user(api, cast.officer)
    assert api.get(url(resource, hidden.pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("resource", SENSITIVE, ids=ids)
def test_anonymous_clients_see_public_rows_only(api, cast, resource):
    shown = resource.make(cast, "public")
    partners_only = resource.make(cast, "partners")
    listed = {row["id"] for row in api.get(url(resource)).json()["results"]}
    assert shown.pk in listed
    assert partners_only.pk not in listed
    as_user(api, cast.analyst)
    listed = {row["id"] for row in api.get(url(resource)).json()["results"]}
    assert {shown.pk, partners_only.pk} <= listed


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=ids)
def test_an_officer_creates_and_the_row_records_its_author(api, cast, resource):
    model = model_of(resource)
    payload = resource.create(cast)
    as_user(api, cast.officer)
    response = api.post(url(resource), payload, format="json")
    assert response.status_code == 201, response.content
    row = model.objects.get(pk=response.json()["id"])
    assert row.created_by == cast.officer
    assert api.get(url(resource, row.pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=ids)
def test_bad_input_gets_400_with_field_errors_and_writes_nothing(api, cast, resource):
    model = model_of(resource)
    payload, field_name = resource.invalid(cast)
    before = model.objects.count()
    as_user(api, cast.officer)
    response = api.post(url(resource), payload, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and body["error"] == "invalid"
    assert field_name in body["errors"], body
    assert model.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=ids)
def test_readers_cannot_write(api, cast, resource):
    payload = resource.create(cast)
    assert api.post(url(resource), payload, format="json").status_code in (401, 403)
    as_user(api, cast.analyst)
    response = api.post(url(resource), payload, format="json")
    assert response.status_code == 403
    assert response.json()["status"] == 403


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=ids)
def test_a_write_with_a_stale_etag_is_refused_and_changes_nothing(api, cast, resource):
    row = resource.make(cast, "public")
    as_user(api, cast.officer)
    etag = api.get(url(resource, row.pk))["ETag"]
    fresh = api.patch(url(resource, row.pk), resource.update, format="json", HTTP_IF_MATCH=etag)
    assert fresh.status_code == 200, fresh.content
    assert fresh["ETag"] != etag
    before = api.get(url(resource, row.pk)).json()
    stale = api.patch(url(resource, row.pk), resource.update, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"] == "precondition_failed"
    assert api.get(url(resource, row.pk)).json() == before
    assert api.delete(url(resource, row.pk), HTTP_IF_MATCH=etag).status_code == 412
    assert api.get(url(resource, row.pk)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("resource", WRITABLE, ids=ids)
def test_a_deletion_leaves_a_tombstone_for_mirrors(api, cast, resource):
    row = resource.make(cast, "public")
    if resource.name == "agreement-parties":
        factories.AgreementParty.objects.create(agreement=row.agreement, partner=cast.peru)
    as_user(api, cast.officer)
    etag = api.get(url(resource, row.pk))["ETag"]
    assert api.delete(url(resource, row.pk), HTTP_IF_MATCH=etag).status_code == 204
    assert api.get(url(resource, row.pk)).status_code == 404
    tombstones = api.get("/api/v1/deleted/", {"resource": resource.name}).json()["results"]
    assert row.pk in [t["object_id"] for t in tombstones]
    assert Deletion.objects.filter(resource=resource.name, object_id=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_fields_omit_and_brief_shape_the_response(api, cast, resource):
    resource.make(cast, "public")
    first = api.get(url(resource), {"fields": "id,display"}).json()["results"][0]
    assert set(first) == {"id", "display"}
    full = api.get(url(resource)).json()["results"][0]
    omitted = api.get(url(resource), {"omit": "display"}).json()["results"][0]
    assert set(omitted) == set(full) - {"display"}
    brief = api.get(url(resource), {"brief": "1"}).json()["results"][0]
    assert set(brief) <= {"id", "url", "display"} and "display" in brief


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_cursor_paging_walks_every_row_once_without_a_count(api, cast, resource):
    for _ in range(3):
        resource.make(cast, "public")
    total = api.get(url(resource)).json()["count"]
    seen, page = [], api.get(url(resource), {"cursor": "", "page_size": 2}).json()
    while True:
        assert "count" not in page
        seen.extend(row["id"] for row in page["results"])
        if not page["next"]:
            break
        page = api.get(page["next"]).json()
    assert len(seen) == len(set(seen)) == total


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_it_exports_exactly_what_the_user_sees_as_csv_and_ndjson(api, cast, resource):
    resource.make(cast, "public")
    resource.make(cast, "restricted")
    as_user(api, cast.outsider)
    count = api.get(url(resource)).json()["count"]
    response = api.get(url(resource), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == count
    response = api.get(url(resource), {"format": "ndjson"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == count
    assert all("id" in json.loads(line) for line in lines)


@pytest.mark.django_db
@pytest.mark.parametrize("resource", RESOURCES, ids=ids)
def test_a_list_costs_the_same_number_of_queries_for_3_or_30_rows(api, cast, resource):
    as_user(api, cast.officer)

    def queries_for_page(size):
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url(resource), {"page_size": size}).status_code == 200
        return len(captured)

    for _ in range(3):
        resource.make(cast, "public")
    small = queries_for_page(3)
    for _ in range(27):
        resource.make(cast, "restricted")
    assert small > 0
    assert queries_for_page(30) == small
