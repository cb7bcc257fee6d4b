"""``/api/v1/summaries/``: the summaries a user may read, filtered, with each figure's records
and comparisons, in JSON and CSV; an audience one may not read is refused."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from summaries import figures
from summaries.compute import compute
from tests import factories

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2024, 3, 1)
URL = "/api/v1/summaries/"


@pytest.fixture
def summaries(cast):
    public = factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombia, cast.peru], arrests=4
    )
    public.countries.set(["COL"])
    factories.SeizureFactory(operation=public, quantity=10, unit="kg", country_id="COL")
    earlier = factories.JointOperationFactory(
        started_on=datetime.date(2024, 2, 10), participants=[cast.peru]
    )
    earlier.countries.set(["COL"])
    hidden = factories.JointOperationFactory(
        started_on=MARCH, participants=[cast.colombia], sensitivity="restricted", arrests=6
    )
    hidden.countries.set(["COL"])
    for month in (datetime.date(2024, 2, 1), MARCH):
        compute("month", month)
    return public


def client_for(user) -> APIClient:
    client = APIClient()
    if user.is_authenticated:
        client.force_authenticate(user)
    return client


def global_march(response):
    [row] = [
        row
        for row in response.json()["results"]
        if row["scope_kind"] == "global" and row["period_start"] == "2024-03-01"
    ]
    return row


def test_each_reader_gets_their_audience(cast, summaries):
    anonymous = global_march(client_for(cast.anonymous).get(URL, {"granularity": "month"}))
    assert anonymous["audience"] == "public"
    assert anonymous["metrics"]["operations.started"] == 1
    assert anonymous["metrics"]["outcomes.arrests"] == 4
    officer = global_march(client_for(cast.officer).get(URL, {"granularity": "month"}))
    assert officer["audience"] == f"partner:{cast.colombia.pk}"
    assert officer["metrics"]["operations.started"] == 2
    assert officer["metrics"]["outcomes.arrests"] == 10
    outsider = global_march(client_for(cast.outsider).get(URL, {"granularity": "month"}))
    assert outsider["metrics"]["outcomes.arrests"] == 4
    administrator = global_march(client_for(cast.administrator).get(URL))
    assert administrator["audience"] == "administrators"
    assert administrator["metrics"]["outcomes.arrests"] == 10


def test_an_audience_one_may_not_read_is_refused(cast, summaries):
    for audience in ("administrators", f"partner:{cast.colombia.pk}", "nobody"):
        response = client_for(cast.outsider).get(URL, {"audience": audience})
        assert response.status_code == 400
        assert "audience" in response.json()["errors"] or "audience" in response.json()
    response = client_for(cast.administrator).get(URL, {"audience": "public"})
    assert response.status_code == 200
    assert global_march(response)["metrics"]["outcomes.arrests"] == 4


def test_filters(cast, summaries):
    client = client_for(cast.analyst)
    rows = client.get(URL, {"scope_kind": "country", "scope_key": "COL"}).json()["results"]
    assert {(row["scope_name"], row["period_start"]) for row in rows} == {
        ("Colombia", "2024-02-01"),
        ("Colombia", "2024-03-01"),
    }
    rows = client.get(URL, {"period_after": "2024-03-01", "scope_kind": "global"}).json()
    assert [row["period_start"] for row in rows["results"]] == ["2024-03-01"]
    assert client.get(URL, {"granularity": "week"}).status_code == 400
    assert client.get(URL, {"period_after": "March"}).status_code == 400


def test_each_figure_refers_to_the_records_it_counts(cast, summaries):
    client = client_for(cast.officer)
    row = global_march(client.get(URL, {"granularity": "month"}))
    for key, value in row["metrics"].items():
        link = urlsplit(row["records"][key])
        listed = client.get(f"{link.path}?{link.query}&page_size=500").json()
        measure = figures.parse(key).figure.measure
        if measure is None:
            assert listed["count"] == value, key
        else:
            total = sum(Decimal(str(r[measure])) for r in listed["results"])
            assert total == Decimal(str(value)), key


def test_comparisons_with_the_previous_period(cast, summaries):
    row = global_march(client_for(cast.analyst).get(URL, {"granularity": "month"}))
    assert row["compared"]["previous"]["operations.started"] == 1  # February's
    assert row["compared"]["year_earlier"] is None


def test_csv_export(cast, summaries):
    response = client_for(cast.analyst).get(URL, {"format": "csv", "scope_kind": "global"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["period_start"] for row in rows} == {"2024-02-01", "2024-03-01"}
    assert '"operations.started"' in rows[0]["metrics"]


def test_the_list_reads_a_fixed_number_of_queries(cast, summaries):
    client = client_for(cast.officer)
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"page_size": 2})
    with CaptureQueriesContext(connection) as many:
        client.get(URL, {"page_size": 50})
    assert len(many) == len(few)


def test_detail_and_unknown_id(cast, summaries):
    client = client_for(cast.analyst)
    row = global_march(client.get(URL))
    detail = client.get(urlsplit(row["url"]).path)
    assert detail.status_code == 200
    assert detail.json()["metrics"] == row["metrics"]
    assert client.get(f"{URL}999999/").status_code == 404
