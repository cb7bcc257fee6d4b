"""The seizure list's parameters: each keeps exactly the seizures it names, once."""

from __future__ import annotations

import datetime
from decimal import Decimal

from operations.filters import SeizureFilterSet
from operations.models import Seizure
from tests import factories
from tests.filters import errors, filtered

D = datetime.date


def seizures(params):
    return set(filtered(SeizureFilterSet, params))


def test_operation_keeps_the_seizures_of_the_operations_named(db):
    operation = factories.JointOperationFactory()
    first = factories.SeizureFactory(operation=operation)
    second = factories.SeizureFactory(operation=operation)
    factories.SeizureFactory()

    assert seizures({"operation": operation.pk}) == {first, second}


def test_an_unknown_operation_matches_nothing(db):
    factories.SeizureFactory()

    assert seizures({"operation": 987654321}) == set()


def test_substance_keeps_seizures_of_the_substances_named(db):
    cocaine = factories.SeizureFactory(substance_id="cocaine")
    heroin = factories.SeizureFactory(substance_id="heroin")
    factories.SeizureFactory(substance_id="fentanyl")

    assert seizures({"substance": ["cocaine", "heroin"]}) == {cocaine, heroin}


def test_an_unknown_substance_is_an_error(db):
    assert "substance" in errors(SeizureFilterSet, {"substance": "cocaine,sugar"})


def test_substance_group_keeps_seizures_of_a_substance_in_the_group(db):
    cocaine = factories.SeizureFactory(substance_id="cocaine")
    paste = factories.SeizureFactory(substance_id="cocaine_base")
    factories.SeizureFactory(substance_id="heroin")

    assert seizures({"substance_group": "cocaine_type"}) == {cocaine, paste}


def test_an_unknown_substance_group_is_an_error(db):
    assert "substance_group" in errors(SeizureFilterSet, {"substance_group": "stimulants"})


def test_unit_keeps_seizures_recorded_in_that_unit(db):
    litres = factories.SeizureFactory(substance_id="precursors", unit="L")
    factories.SeizureFactory(unit="kg")

    assert seizures({"unit": "L"}) == {litres}


def test_an_unknown_unit_is_an_error(db):
    assert "unit" in errors(SeizureFilterSet, {"unit": "lb"})


def test_country_keeps_seizures_made_in_that_country(db):
    colombian = factories.SeizureFactory(country=factories.country("COL"))
    factories.SeizureFactory(country=factories.country("PER"))
    factories.SeizureFactory(country=None)

    assert seizures({"country": "COL"}) == {colombian}


def test_region_keeps_seizures_made_in_a_country_of_that_region(db):
    colombian = factories.SeizureFactory(country=factories.country("COL"))
    mexican = factories.SeizureFactory(country=factories.country("MEX"))
    factories.SeizureFactory(country=factories.country("ESP"))

    assert seizures({"region": "005"}) == {colombian}
    assert seizures({"region": "005,013"}) == {colombian, mexican}


def test_an_unknown_region_is_an_error(db):
    assert "region" in errors(SeizureFilterSet, {"region": "South America"})


def test_origin_country_keeps_seizures_that_came_from_there(db):
    from_peru = factories.SeizureFactory(origin_country=factories.country("PER"))
    factories.SeizureFactory(origin_country=factories.country("BOL"))

    assert seizures({"origin_country": "PER"}) == {from_peru}


def test_destination_country_keeps_seizures_bound_there(db):
    to_spain = factories.SeizureFactory(destination_country=factories.country("ESP"))
    factories.SeizureFactory(destination_country=factories.country("USA"))

    assert seizures({"destination_country": "esp"}) == {to_spain}


def test_transit_country_keeps_seizures_that_went_through_any_country_named(db):
    via_panama_and_mexico = factories.SeizureFactory()
    via_panama_and_mexico.transit_countries.set(["PAN", "MEX"])
    via_ecuador = factories.SeizureFactory()
    via_ecuador.transit_countries.set(["ECU"])
    factories.SeizureFactory()

    assert seizures({"transit_country": ["PAN", "MEX"]}) == {via_panama_and_mexico}
    assert seizures({"transit_country": "MEX,ECU"}) == {via_panama_and_mexico, via_ecuador}


def test_an_unknown_transit_country_is_an_error(db):
    assert "transit_country" in errors(SeizureFilterSet, {"transit_country": "Panama"})


def test_transport_mode_keeps_seizures_moved_that_way(db):
    semi_submersible = factories.SeizureFactory(transport_mode="semi_submersible")
    factories.SeizureFactory(transport_mode="container")
    factories.SeizureFactory(transport_mode="")

    assert seizures({"transport_mode": "semi_submersible"}) == {semi_submersible}


def test_an_unknown_transport_mode_is_an_error(db):
    assert "transport_mode" in errors(SeizureFilterSet, {"transport_mode": "submarine"})


def test_forensic_status_keeps_seizures_with_that_confirmation(db):
    confirmed = factories.SeizureFactory(forensic_status="confirmed")
    factories.SeizureFactory(forensic_status="pending")

    assert seizures({"forensic_status": "confirmed"}) == {confirmed}


def test_an_unknown_forensic_status_is_an_error(db):
    assert "forensic_status" in errors(SeizureFilterSet, {"forensic_status": "positive"})


def test_partner_keeps_seizures_of_operations_the_partner_takes_part_in(cast):
    joint = factories.JointOperationFactory(participants=[cast.colombia, cast.colombian_navy])
    colombian = factories.SeizureFactory(operation=joint)
    peruvian = factories.SeizureFactory(
        operation=factories.JointOperationFactory(participants=[cast.peru])
    )

    # Both Colombian participants of the operation match: the seizure still comes back once.
    assert seizures({"partner": [cast.colombia.pk, cast.colombian_navy.pk]}) == {colombian}
    assert peruvian not in seizures({"partner": cast.colombia.pk})


def test_seized_after_and_before_keep_seizures_made_in_the_range_inclusive(db):
    operation = factories.JointOperationFactory(started_on=D(2020, 1, 1))
    january = factories.SeizureFactory(operation=operation, seized_on=D(2020, 1, 31))
    february = factories.SeizureFactory(operation=operation, seized_on=D(2020, 2, 1))
    factories.SeizureFactory(operation=operation, seized_on=D(2020, 3, 1))

    assert seizures({"seized_after": "2020-01-31", "seized_before": "2020-02-01"}) == {
        january,
        february,
    }


def test_a_seizure_date_that_is_not_an_iso_day_is_an_error(db):
    assert "seized_after" in errors(SeizureFilterSet, {"seized_after": "2020/01/31"})


def test_updated_since_keeps_seizures_changed_at_or_after_that_moment(db):
    stale = factories.SeizureFactory()
    fresh = factories.SeizureFactory()
    Seizure.objects.filter(pk=stale.pk).update(
        updated_at=datetime.datetime(2024, 3, 1, tzinfo=datetime.UTC)
    )
    Seizure.objects.filter(pk=fresh.pk).update(
        updated_at=datetime.datetime(2024, 3, 2, tzinfo=datetime.UTC)
    )

    assert seizures({"updated_since": "2024-03-02"}) == {fresh}


def test_ordering_sorts_seizures_by_kg_equivalent_with_unknown_masses_last(db):
    light = factories.SeizureFactory(quantity=Decimal("500"), unit="g")
    heavy = factories.SeizureFactory(quantity=Decimal("2"), unit="t")
    uncounted = factories.SeizureFactory(substance_id="ecstasy", quantity=1000, unit="units")

    assert filtered(SeizureFilterSet, {"ordering": "-kg_equivalent"}) == [
        heavy,
        light,
        uncounted,
    ]
    assert filtered(SeizureFilterSet, {"ordering": "quantity"}) == [heavy, light, uncounted]


def test_an_unknown_ordering_is_an_error(db):
    assert "ordering" in errors(SeizureFilterSet, {"ordering": "substance"})


def test_converted_keeps_seizures_with_or_without_a_kilogram_equivalent(db):
    in_kg = factories.SeizureFactory(unit="kg")
    weighed_tablets = factories.SeizureFactory(
        substance_id="ecstasy", unit="units", quantity=100, mass_per_unit_kg=Decimal("0.0003")
    )
    tablets = factories.SeizureFactory(substance_id="ecstasy", unit="units", quantity=100)

    assert seizures({"converted": "yes"}) == {in_kg, weighed_tablets}
    assert seizures({"converted": "no"}) == {tablets}
    assert "converted" in errors(SeizureFilterSet, {"converted": "maybe"})
