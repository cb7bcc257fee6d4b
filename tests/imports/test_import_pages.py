"""The portal's import pages: upload, report, confirm, templates; who may use them."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cooperation import importing
from cooperation.models import ImportJob
from operations.imports import OperationImport
from operations.models import JointOperation
from tests.imports.test_operations_import import BAD, GOOD, csv_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def upload(client, data, *, name="seizures.csv", mode="all"):
    return client.post(
        "/imports/",
        {"kind": "operations", "file": SimpleUploadedFile(name, data), "mode": mode},
    )


def test_an_officer_uploads_reads_the_report_and_confirms(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.officer)
    page = client.get("/imports/")
    assert page.status_code == 200
    assert b"operation_ref" in page.content and b"CSV template" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_file(*GOOD))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Checked: ready to import" in page and 'value="100"' in page
    assert "Import 2 operations" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.uuid}/confirm/")
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Imported" in page and "2 created, 0 changed" in page
    assert JointOperation.objects.count() == 2


def test_the_report_page_lists_every_problem_and_offers_them_as_csv(
    client, cast, django_capture_on_commit_callbacks
):
    client.force_login(cast.officer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file(*GOOD, *BAD))
    job = ImportJob.objects.get()
    page = client.get(job.get_absolute_url()).content.decode()
    assert "7 problems: nothing was written" in page
    assert "A seized quantity must be greater than zero." in page
    assert "<button" not in page.split("problems-h")[0].split("import-progress")[-1]
    report = client.get(f"/imports/{job.uuid}/problems.csv")
    lines = report.content.decode().splitlines()
    assert lines[0] == "row,column,message" and len(lines) == 8
    assert lines[4].startswith("8,quantity,")


def test_a_bad_upload_is_a_form_error(client, cast):
    client.force_login(cast.officer)
    response = upload(client, b"x", name="notes.pdf")
    assert response.status_code == 200
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_analysts_and_strangers_cannot_import_or_see_others_jobs(
    client, cast, django_capture_on_commit_callbacks
):
    assert client.get("/imports/").status_code == 302  # to sign in
    client.force_login(cast.analyst)
    assert client.get("/imports/").status_code == 403
    client.force_login(cast.officer)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, csv_file(*GOOD))
    job = ImportJob.objects.get()
    client.force_login(cast.outsider)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.post(f"/imports/{job.uuid}/confirm/").status_code == 404
    assert client.get(f"/imports/{job.uuid}/problems.csv").status_code == 404
    assert JointOperation.objects.count() == 0


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_each_template_is_a_file_the_import_accepts(client, cast, suffix):
    client.force_login(cast.officer)
    response = client.get(f"/imports/templates/operations.{suffix}")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if suffix == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        assert book.sheetnames == ["operations", "Columns"]
    outcome = importing.run(
        OperationImport(),
        filename=f"template.{suffix}",
        data=data,
        user=cast.officer,
        author_partner_id=cast.colombia.pk,
        skip_bad_rows=False,
        write=False,
    )
    assert outcome.problems == [] and outcome.rows == 1
