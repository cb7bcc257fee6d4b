"""The partners list: the API's partner filters in the panel, sorting, a count, the export."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation.models import Partner
from tests import factories

pytestmark = pytest.mark.django_db


def names_in(page) -> list[str]:
    return re.findall(r'<th scope="row">\s*<a href="/partners/\d+/">([^<]+)</a>', page.text)


def test_it_lists_governments_agencies_and_organizations_by_name(client, cast):
    factories.OrganizationFactory(name="Andean Community", acronym="CAN")
    page = client.get("/partners/")
    assert page.status_code == 200
    assert names_in(page) == [
        "Andean Community (CAN)",
        "Colombian Navy",
        "Government of Colombia",
        "Government of Peru",
    ]
    assert "<strong>4</strong> results" in page.text


def test_it_filters_by_kind_and_country_and_sorts_by_kind(client, cast):
    assert names_in(client.get("/partners/?kind=government")) == [
        "Government of Colombia",
        "Government of Peru",
    ]
    assert names_in(client.get("/partners/?country=COL&ordering=-name")) == [
        "Government of Colombia",
        "Colombian Navy",
    ]
    assert names_in(client.get("/partners/?agency_type=navy_coast_guard")) == ["Colombian Navy"]


def test_an_unknown_country_is_an_error_in_the_panel(client, cast):
    page = client.get("/partners/?country=XXX")
    assert "Unknown country: XXX." in page.text
    assert names_in(page) == []


def test_the_export_writes_the_shown_columns(client, cast):
    response = client.get("/partners/?kind=agency&export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["Partner", "Kind", "Type", "Country", "Part of"],
        ["Colombian Navy", "Agency", "Navy / coast guard", "Colombia", "Government of Colombia"],
    ]


def test_the_list_makes_the_same_queries_for_few_or_many_partners(client, cast):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/partners/?kind=agency&region=005").status_code == 200
        return len(captured)

    few = queries()
    for number in range(30):
        factories.AgencyFactory(parent=cast.peru, name=f"Peruvian agency {number}")
    assert queries() == few
    assert Partner.objects.count() == 33
