"""The statistics endpoints: figures computed in the database over exactly the rows the
reader may see, each group adding up to the list it links to."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from operations.models import Seizure
from tests import factories

D = datetime.date


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def seizures(cast):
    """Seizures in two years, two substances, two countries; one restricted to Colombia."""
    open_op = factories.JointOperationFactory(
        sensitivity="public", started_on=D(2021, 1, 1), participants=[cast.colombia, cast.peru]
    )
    hidden_op = factories.JointOperationFactory(
        sensitivity="restricted", started_on=D(2022, 1, 1), participants=[cast.colombia]
    )
    rows = [
        (open_op, "cocaine", "1.5", "t", D(2021, 3, 1), "COL"),
        (open_op, "cocaine", "500", "kg", D(2021, 9, 1), "PER"),
        (open_op, "heroin", "2000", "g", D(2022, 2, 1), "COL"),
        (open_op, "ecstasy", "4000", "units", D(2022, 3, 1), "COL"),
        (hidden_op, "cocaine", "1000", "kg", D(2022, 4, 1), "COL"),
    ]
    for operation, substance, quantity, unit, day, country in rows:
        factories.SeizureFactory(
            operation=operation,
            substance_id=substance,
            quantity=Decimal(quantity),
            unit=unit,
            seized_on=day,
            country_id=country,
        )
    return open_op, hidden_op


def stats(api, user, **params):
    if user is not None:
        api.force_authenticate(user)
    response = api.get("/api/v1/stats/seizures/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.mark.django_db
def test_it_sums_kg_equivalents_by_substance_and_year(api, cast, seizures):
    results = stats(api, cast.outsider, group_by="substance,period", period="year")
    figures = {(r["substance"], r["period"]): r for r in results}
    assert figures["cocaine", "2021-01-01"]["kg_equivalent"] == 2000
    assert figures["cocaine", "2021-01-01"]["seizures"] == 2
    assert figures["heroin", "2022-01-01"]["kg_equivalent"] == 2
    assert figures["ecstasy", "2022-01-01"]["kg_equivalent"] == 0
    assert figures["ecstasy", "2022-01-01"]["unconverted_quantity"] == 4000
    assert ("cocaine", "2022-01-01") not in figures  # only the hidden seizure is there
    assert figures["cocaine", "2021-01-01"]["substance_label"] == "Cocaine"


@pytest.mark.django_db
def test_a_hidden_seizure_counts_only_for_those_who_may_see_it(api, cast, seizures):
    outsider = stats(api, cast.outsider, group_by="country")
    officer = stats(api, cast.officer, group_by="country")
    assert {r["country"]: r["seizures"] for r in outsider} == {"COL": 3, "PER": 1}
    assert {r["country"]: r["seizures"] for r in officer} == {"COL": 4, "PER": 1}
    anonymous = APIClient().get("/api/v1/stats/seizures/", {"group_by": "country"}).json()
    assert sum(r["seizures"] for r in anonymous["results"]) == 4


@pytest.mark.django_db
def test_each_group_links_to_the_rows_it_counts(api, cast, seizures):
    results = stats(
        api, cast.officer, group_by="country,period", period="year", seized_after="2021-06-01"
    )
    for group in results:
        listed = api.get(group["records"] + "&page_size=100").json()
        assert listed["count"] == group["seizures"], (group, listed["count"])
        kg = sum(Decimal(str(row["kg_equivalent"] or 0)) for row in listed["results"])
        assert kg == Decimal(str(group["kg_equivalent"]))


@pytest.mark.django_db
def test_grouping_by_partner_counts_a_seizure_once_per_partner(api, cast, seizures):
    results = stats(api, cast.officer, group_by="partner")
    by_partner = {r["partner"]: r["seizures"] for r in results}
    assert by_partner == {cast.colombia.pk: 5, cast.peru.pk: 4}


@pytest.mark.django_db
def test_operation_figures_do_not_double_count_an_operation_in_two_countries_of_one_region(
    api, cast
):
    operation = factories.JointOperationFactory(sensitivity="public", arrests=7)
    operation.countries.set(["COL", "PER"])  # both South America
    api.force_authenticate(cast.analyst)
    results = api.get(
        "/api/v1/stats/operations/", {"group_by": "region", "region_level": "intermediate"}
    ).json()["results"]
    assert results == [
        {
            "region": "005",
            "region_label": "South America",
            "operations": 1,
            "arrests": 7,
            "labs_dismantled": 0,
            "hectares_eradicated": 0,
            "assets_seized_usd": 0,
            "records": results[0]["records"],
        }
    ]


@pytest.mark.django_db
def test_figures_match_an_independent_count_for_every_persona(api, cast, seizures):
    for user in (cast.anonymous, cast.analyst, cast.officer, cast.outsider, cast.administrator):
        visible = Seizure.objects.visible_to(user).select_related("substance")
        expected_count = Counter(s.substance.group_id for s in visible)
        expected_kg = defaultdict(Decimal)
        for s in visible:
            expected_kg[s.substance.group_id] += s.kg_equivalent or 0
        client = APIClient()
        results = stats(client, user if user.is_authenticated else None, group_by="substance_group")
        assert {r["substance_group"]: r["seizures"] for r in results} == expected_count
        for r in results:
            assert Decimal(str(r["kg_equivalent"])) == expected_kg[r["substance_group"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "group_by"),
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "period"}, "period"),
        ({"group_by": "period", "period": "week"}, "period"),
        ({"group_by": "country,country"}, "group_by"),
        ({"group_by": "country", "region_level": "planet"}, "region_level"),
        ({"group_by": "country", "substance": "unobtainium"}, "substance"),
    ],
)
def test_bad_parameters_get_400_naming_the_field(api, params, field):
    response = api.get("/api/v1/stats/seizures/", params)
    assert response.status_code == 400
    assert field in response.json()["errors"]
