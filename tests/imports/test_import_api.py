"""``/api/v1/imports/``: upload, the dry run's report, confirm; who may import and see it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cooperation.models import ApiToken, ImportJob
from operations.models import JointOperation, Seizure
from tests.imports.test_operations_import import BAD, GOOD, csv_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def upload(user, data: bytes, *, name="seizures.csv", client=None, **fields):
    client = client or api(user)
    return client.post(
        "/api/v1/imports/",
        {"kind": "operations", "file": SimpleUploadedFile(name, data), **fields},
        format="multipart",
    )


def test_a_dry_run_then_a_confirm_imports_the_file(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(cast.officer, csv_file(*GOOD), reason="March log")
    assert response.status_code == 202, response.content
    body = response.json()
    assert response["Location"] == body["url"]
    job = api(cast.officer).get(body["url"]).json()
    assert job["state"] == "checked" and job["confirmable"] and job["progress"] == 100
    assert job["rows"] == 3 and job["problems"] == []
    assert job["summary"]["new_records"] == 2
    assert JointOperation.objects.count() == 0  # a dry run first
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = api(cast.officer).post(body["url"] + "confirm/")
    assert confirmed.status_code == 202
    job = api(cast.officer).get(body["url"]).json()
    assert job["state"] == "done" and job["change_set"]
    assert job["summary"]["records_created"] == 2 and job["summary"]["rows_created"] == 3
    assert JointOperation.objects.count() == 2 and Seizure.objects.count() == 3
    again = api(cast.officer).post(body["url"] + "confirm/")
    assert again.status_code == 400 and "state" in again.json()["errors"]


def test_the_report_lists_every_row_error_and_all_or_nothing_refuses(
    cast, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(cast.officer, csv_file(*GOOD, *BAD), run="true")
    job = api(cast.officer).get(response.json()["url"]).json()
    assert job["state"] == "rejected" and not job["confirmable"]
    assert [(p["row"], p["column"]) for p in job["problems"]] == [
        (5, "substance"), (6, "partners"), (7, "seized_on"), (8, "quantity"),
        (9, "seizure_ref"), (10, "unit"), (11, "notes"),
    ]  # fmt: skip
    assert JointOperation.objects.count() == 0


def test_skip_mode_in_one_call_writes_the_good_rows(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(cast.officer, csv_file(*GOOD, *BAD), mode="skip", run="true")
    job = api(cast.officer).get(response.json()["url"]).json()
    assert job["state"] == "done"
    assert len(job["problems"]) == 7
    assert sorted(JointOperation.objects.values_list("reference", flat=True)) == [
        "OP-1", "OP-2", "OP-3",
    ]  # fmt: skip


def test_bad_requests_get_field_errors_and_store_nothing(cast):
    response = upload(cast.officer, b"x", name="seizures.pdf")
    assert response.status_code == 400 and "file" in response.json()["errors"]
    response = api(cast.officer).post(
        "/api/v1/imports/", {"kind": "ships", "file": SimpleUploadedFile("a.csv", b"x")}
    )
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert ImportJob.objects.count() == 0


def test_only_officers_import_and_jobs_are_their_owners(cast, django_capture_on_commit_callbacks):
    assert upload(cast.analyst, csv_file(*GOOD)).status_code == 403
    assert upload(None, csv_file(*GOOD)).status_code in (401, 403)
    _, key = ApiToken.issue(cast.officer, read_only=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert upload(cast.officer, csv_file(*GOOD), client=client).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        url = upload(cast.officer, csv_file(*GOOD)).json()["url"]
    assert api(cast.outsider).get(url).status_code == 404
    assert api(cast.outsider).post(url + "confirm/").status_code == 404
    assert api(cast.outsider).get("/api/v1/imports/").json()["results"] == []
    assert api(cast.administrator).get(url).status_code == 200
    assert ImportJob.objects.count() == 1
