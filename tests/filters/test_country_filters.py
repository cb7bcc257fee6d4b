"""The country and region lists' parameters (reference data loaded by migration)."""

from __future__ import annotations

from cooperation.filters import CountryFilterSet, RegionFilterSet
from tests.filters import errors, filtered


def codes(filterset, params):
    return {row.pk for row in filtered(filterset, params)}


def test_region_keeps_countries_in_that_region_at_any_level(db):
    south_america = codes(CountryFilterSet, {"region": "005"})
    latin_america = codes(CountryFilterSet, {"region": "419"})
    americas = codes(CountryFilterSet, {"region": "019"})

    assert {"COL", "PER"} <= south_america
    assert "MEX" not in south_america
    assert {"COL", "MEX"} <= latin_america
    assert "USA" not in latin_america
    assert {"COL", "MEX", "USA"} <= americas
    assert "ESP" not in americas
    assert south_america < latin_america < americas


def test_region_takes_several_codes(db):
    assert codes(CountryFilterSet, {"region": "005,013"}) == codes(
        CountryFilterSet, {"region": "005"}
    ) | codes(CountryFilterSet, {"region": "013"})


def test_an_unknown_region_is_an_error(db):
    assert "region" in errors(CountryFilterSet, {"region": "998"})


def test_q_keeps_countries_by_name_or_iso_code(db):
    assert codes(CountryFilterSet, {"q": "colombia"}) == {"COL"}
    assert codes(CountryFilterSet, {"q": "per"}) >= {"PER"}
    assert "COL" not in codes(CountryFilterSet, {"q": "per"})
    assert codes(CountryFilterSet, {"q": "united mexican"}) == {"MEX"}  # official name


def test_level_keeps_regions_of_that_level(db):
    top = codes(RegionFilterSet, {"level": "region"})

    assert "019" in top
    assert "419" not in top
    assert "005" in codes(RegionFilterSet, {"level": "intermediate"})


def test_an_unknown_level_is_an_error(db):
    assert "level" in errors(RegionFilterSet, {"level": "continent"})


def test_parent_keeps_the_regions_directly_under_it(db):
    under_latin_america = codes(RegionFilterSet, {"parent": "419"})

    assert {"005", "013", "029"} <= under_latin_america
    assert "419" not in under_latin_america
    assert "021" not in under_latin_america


def test_an_unknown_parent_is_an_error(db):
    assert "parent" in errors(RegionFilterSet, {"parent": "777"})
