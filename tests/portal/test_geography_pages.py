"""Countries and regions: the M49 breakdown of what is recorded, and each place's page —
figures that agree with the list pages they link to, counting only what the viewer may see."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements.filters import AgreementFilterSet
from agreements.models import Agreement
from cooperation.filters import PartnerFilterSet
from cooperation.models import Partner, Region
from cooperation.views import place_figures
from operations.filters import JointOperationFilterSet
from operations.models import JointOperation
from tests import factories

HIDDEN_OPERATION = "Operation Nightjar"
HIDDEN_AGREEMENT = "Nightjar memorandum"
SOUTH_AMERICA, LATIN_AMERICA, AMERICAS, EUROPE = "005", "419", "019", "150"


def as_viewer(client, cast, persona: str):
    client.logout()
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    return client


def operation_in(*iso3, sensitivity="public", participants=(), name=None, seizures=()):
    """An operation that took place in the countries given, with ``(substance, kg,
    country)`` seizures."""
    made = factories.JointOperationFactory(
        sensitivity=sensitivity,
        participants=list(participants),
        arrests=4,
        **({"name": name} if name else {}),
    )
    made.countries.set(iso3)
    for substance, kg, country in seizures:
        factories.SeizureFactory(
            operation=made, substance_id=substance, quantity=Decimal(kg), country_id=country
        )
    return made


def records(cast):
    """Public records across South America and Europe."""
    spain = factories.GovernmentFactory(country=factories.country("ESP"))
    operation_in("COL", "PER", participants=[cast.colombia, cast.peru])
    operation_in("COL", seizures=[("cocaine", "300", "COL"), ("cannabis_herb", "20", "COL")])
    operation_in("ESP", participants=[spain], seizures=[("cocaine", "50", "ESP")])
    factories.AgreementFactory(title="Andean pact", parties=[cast.colombia, cast.peru])
    factories.AgreementFactory(title="Atlantic pact", parties=[cast.colombia, spain])
    return spain


def hidden_records(cast):
    """Restricted records of Colombia's (the outsider, Peru's officer, takes no part)."""
    operation_in(
        "COL",
        "ECU",
        sensitivity="restricted",
        participants=[cast.colombia],
        name=HIDDEN_OPERATION,
        seizures=[("heroin", "7000", "COL")],
    )
    factories.AgreementFactory(
        title=HIDDEN_AGREEMENT, sensitivity="restricted", parties=[cast.colombia]
    )


# ---------------------------------------------------------------------------------------------
# The breakdown


@pytest.mark.django_db
def test_the_countries_page_breaks_records_down_by_region_sub_region_and_country(client, cast):
    records(cast)
    page = client.get("/countries/")
    assert page.status_code == 200
    places = {
        place.code: place
        for region in page.context["regions"]
        for place in [region, *region.descendants()]
    }
    assert places["COL"].figures == {"partners": 2, "agreements": 2, "operations": 2}
    assert places["PER"].figures == {"partners": 1, "agreements": 1, "operations": 1}
    # A record in two countries of a region counts once in it.
    assert places[SOUTH_AMERICA].figures == {"partners": 3, "agreements": 2, "operations": 2}
    assert places[EUROPE].figures == {"partners": 1, "agreements": 1, "operations": 1}
    assert places[AMERICAS].figures["operations"] == 2
    for text in ("Americas", "Latin America and the Caribbean", "South America", "Colombia"):
        assert text in page.text
    assert "/operations/?country=COL" in page.text
    assert f"/agreements/?region={SOUTH_AMERICA}" in page.text


@pytest.mark.django_db
def test_every_figure_of_the_breakdown_is_the_length_of_the_list_it_links_to(cast, rf):
    records(cast)
    hidden_records(cast)
    request = rf.get("/")
    request.user = cast.analyst
    counts = place_figures(cast.analyst)
    agreements = Agreement.objects.visible_to(cast.analyst)
    operations = JointOperation.objects.visible_to(cast.analyst)
    for region in Region.objects.all():
        code = region.pk
        listed = {
            "agreements": AgreementFilterSet(
                {"region": code}, queryset=agreements, request=request
            ).qs.count(),
            "operations": JointOperationFilterSet(
                {"region": code}, queryset=operations, request=request
            ).qs.count(),
            "partners": PartnerFilterSet(
                {"region": code}, queryset=Partner.objects.all(), request=request
            ).qs.count(),
        }
        assert {metric: counts[metric].regions.get(code, 0) for metric in listed} == listed


@pytest.mark.django_db
def test_countries_with_nothing_recorded_are_folded_away_not_dropped(client, cast):
    text = client.get("/countries/").text
    assert "with nothing you may see" in text
    assert "/countries/ATA/" in text  # Antarctica, outside every M49 region


# ---------------------------------------------------------------------------------------------
# A country


@pytest.mark.django_db
def test_a_country_shows_its_government_agencies_agreements_operations_and_seizures(client, cast):
    records(cast)
    factories.OrganizationFactory(name="Universidad de los Andes", country=factories.country("COL"))
    page = client.get("/countries/COL/")
    assert page.status_code == 200
    text = page.text
    assert "Government of Colombia" in text
    assert "Colombian Navy" in text
    assert "Universidad de los Andes" in text
    assert "Andean pact" in text and "Atlantic pact" in text
    assert page.context["agreement_count"] == 2
    assert page.context["totals"] == {"operations": 2, "arrests": 8}
    groups = {series.name: series.total for series in page.context["seizure_groups"]}
    assert groups == {"Cocaine-type": Decimal("300"), "Cannabis-type": Decimal("20")}
    assert page.context["kg_seized"] == Decimal("320")
    assert [label for label, _ in page.context["breadcrumbs"]] == [
        "Countries",
        "Americas",
        "Latin America and the Caribbean",
        "South America",
        "Colombia",
    ]


@pytest.mark.django_db
def test_a_country_with_nothing_recorded_says_so(client, cast):
    text = client.get("/countries/NOR/").text
    assert "No government of Norway is recorded as a partner yet." in text
    assert "No agreement you may see has a party from Norway." in text
    assert "No operation you may see took place in Norway." in text
    assert "No seizure you may see was made in Norway." in text


@pytest.mark.django_db
def test_country_codes_are_read_in_either_case_and_unknown_ones_are_a_404(client, cast):
    response = client.get("/countries/col/")
    assert response.status_code == 301
    assert response["Location"] == "/countries/COL/"
    assert client.get("/countries/XXX/").status_code == 404
    assert client.get("/countries/COLOMBIA/").status_code == 404


# ---------------------------------------------------------------------------------------------
# A region


@pytest.mark.django_db
def test_a_region_shows_its_places_partners_agreements_and_operations(client, cast):
    records(cast)
    page = client.get(f"/regions/{SOUTH_AMERICA}/")
    assert page.status_code == 200
    assert [place.code for place in page.context["rows"]] == ["COL", "PER"]
    assert page.context["partner_count"] == 3
    assert page.context["agreement_count"] == 2
    assert page.context["totals"]["operations"] == 2
    assert page.context["kg_seized"] == Decimal("320")
    assert "Ecuador" in page.text  # folded among the countries with nothing to show
    assert f"/operations/?region={SOUTH_AMERICA}" in page.text
    assert [label for label, _ in page.context["breadcrumbs"]] == [
        "Countries",
        "Americas",
        "Latin America and the Caribbean",
        "South America",
    ]
    upper = client.get(f"/regions/{LATIN_AMERICA}/")
    assert [place.code for place in upper.context["rows"]][:1] == ["029"]  # Caribbean first
    assert "South America" in upper.text


@pytest.mark.django_db
def test_region_codes_are_read_without_their_leading_zeros_and_unknown_ones_are_a_404(client, cast):
    response = client.get("/regions/5/")
    assert response.status_code == 301
    assert response["Location"] == "/regions/005/"
    assert client.get("/regions/999/").status_code == 404
    assert client.get("/regions/abc/").status_code == 404


# ---------------------------------------------------------------------------------------------
# Visibility


PAGES = ("/countries/", "/countries/COL/", "/countries/ECU/", f"/regions/{SOUTH_AMERICA}/")


def figures_on(response) -> dict:
    context = response.context
    if "regions" in context:
        return {
            place.code: place.figures
            for region in context["regions"]
            for place in [region, *region.descendants()]
        }
    return {
        "totals": context["totals"],
        "agreements": context["agreement_count"],
        "kg": context["kg_seized"],
        "chart": context["seizures_chart"].table_rows(),
        "rows": [(p.code, p.figures) for p in context.get("rows", [])],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider", "analyst", "anonymous"])
def test_restricted_records_are_neither_listed_nor_counted_for_those_not_involved(
    client, cast, persona
):
    records(cast)
    viewer = as_viewer(client, cast, persona)
    before = {path: figures_on(viewer.get(path)) for path in PAGES}
    hidden_records(cast)
    for path in PAGES:
        response = viewer.get(path)
        assert HIDDEN_OPERATION not in response.text, path
        assert HIDDEN_AGREEMENT not in response.text, path
        assert figures_on(response) == before[path], path


@pytest.mark.django_db
def test_the_partners_involved_see_and_count_their_restricted_records(client, cast):
    records(cast)
    hidden_records(cast)
    viewer = as_viewer(client, cast, "officer")
    page = viewer.get("/countries/ECU/")
    assert HIDDEN_OPERATION in page.text
    assert viewer.get("/countries/COL/").context["kg_seized"] == Decimal("7320")
    places = figures_on(viewer.get("/countries/"))
    assert places["ECU"]["operations"] == 1
    assert places[SOUTH_AMERICA]["operations"] == 3


# ---------------------------------------------------------------------------------------------
# Cost


def queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/countries/", "/countries/COL/", f"/regions/{SOUTH_AMERICA}/"])
def test_the_geography_pages_make_the_same_few_queries_however_much_is_recorded(client, cast, path):
    client.force_login(cast.officer)
    records(cast)
    few = queries_for(client, path)
    for number in range(20):
        operation_in(
            "COL",
            "BRA",
            "ARG",
            participants=[cast.colombia],
            seizures=[("cocaine", str(number + 1), "COL")],
        )
        factories.AgreementFactory(
            signed_on=datetime.date(2000 + number, 1, 1), parties=[cast.colombia, cast.peru]
        )
    assert queries_for(client, path) == few
