"""Reference data loaded by migration: ISO 3166-1 countries in UN M49 regions, and the
vocabularies of the design brief."""

from __future__ import annotations

import pytest
from django.apps import apps

from agreements.models import CooperationArea
from cooperation.models import Country, Region
from cooperation.reference_data import load
from operations.models import OperationKind, SubstanceGroup, Technology


@pytest.mark.django_db
def test_every_iso_country_is_loaded_with_its_codes():
    assert Country.objects.count() == 249
    colombia = Country.objects.get(iso3="COL")
    assert (colombia.iso2, colombia.numeric, colombia.name) == ("CO", "170", "Colombia")
    assert Country.objects.get(iso2="AF").iso3 == "AFG"


@pytest.mark.django_db
def test_countries_sit_in_their_m49_regions():
    colombia = Country.objects.select_related("region", "subregion", "intermediate_region").get(
        iso3="COL"
    )
    assert [r.name for r in colombia.regions] == [
        "Americas",
        "Latin America and the Caribbean",
        "South America",
    ]
    assert Country.objects.get(iso3="MEX").intermediate_region.name == "Central America"
    assert Country.objects.get(iso3="AFG").subregion.name == "Southern Asia"
    assert Region.objects.filter(level="region").count() == 5
    for country in Country.objects.exclude(iso3="ATA").select_related("subregion"):
        assert country.subregion.parent_id == country.region_id, country.iso3


@pytest.mark.django_db
def test_the_vocabularies_of_the_design_brief_are_loaded():
    assert CooperationArea.objects.filter(code="mutual_legal_assistance").exists()
    assert CooperationArea.objects.count() == 12
    assert OperationKind.objects.count() == 9
    assert Technology.objects.count() == 6
    assert SubstanceGroup.objects.count() == 8


@pytest.mark.django_db
def test_loading_the_files_again_changes_nothing():
    before = list(Country.objects.values_list("iso3", "name", "region_id").order_by("iso3"))
    load(
        apps,
        "cooperation.Country",
        "countries.csv",
        key="iso3",
        columns={
            "region_m49": "region_id",
            "subregion_m49": "subregion_id",
            "intermediate_m49": "intermediate_region_id",
        },
    )
    after = list(Country.objects.values_list("iso3", "name", "region_id").order_by("iso3"))
    assert after == before
