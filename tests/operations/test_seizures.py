"""Seizures in kilogram-equivalents, by the UNODC convention, computed by the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from operations.models import Seizure, Substance
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "unit", "mass_per_unit", "kg"),
    [
        ("2500", "g", None, "2.5"),
        ("12.5", "kg", None, "12.5"),
        ("1.2", "t", None, "1200"),
        ("40", "L", None, "40"),  # 1 litre counts as 1 kg
        ("10000", "units", "0.0003", "3"),
        ("300", "plants", "0.5", "150"),
        ("10000", "units", None, None),  # counted units without a mass are not converted
        ("300", "plants", None, None),
    ],
)
def test_the_kg_equivalent_follows_the_unodc_convention(quantity, unit, mass_per_unit, kg):
    seizure = factories.SeizureFactory(
        quantity=Decimal(quantity),
        unit=unit,
        mass_per_unit_kg=Decimal(mass_per_unit) if mass_per_unit else None,
    )
    seizure.refresh_from_db()
    expected = Decimal(kg) if kg else None
    assert seizure.kg_equivalent == expected
    assert seizure.computed_kg_equivalent() == expected


@pytest.mark.django_db
def test_the_kg_equivalent_follows_a_correction():
    seizure = factories.SeizureFactory(quantity=Decimal("5"), unit="kg")
    Seizure.objects.filter(pk=seizure.pk).update(unit="t")
    seizure.refresh_from_db()
    assert seizure.kg_equivalent == Decimal("5000")


@pytest.mark.django_db
def test_kg_equivalents_add_up_in_the_database():
    operation = factories.JointOperationFactory()
    for quantity, unit in (("500", "g"), ("2", "kg"), ("1", "t")):
        factories.SeizureFactory(operation=operation, quantity=Decimal(quantity), unit=unit)
    total = Seizure.objects.filter(operation=operation).aggregate(kg=Sum("kg_equivalent"))["kg"]
    assert total == Decimal("1002.5")


@pytest.mark.django_db
def test_every_substance_has_a_unodc_group_and_controlled_ones_an_incb_list():
    substances = {s.code: s for s in Substance.objects.select_related("group")}
    assert substances["cocaine"].group.code == "cocaine_type"
    assert substances["cocaine"].incb_list == "yellow"
    assert substances["methamphetamine"].incb_list == "green"
    assert substances["precursors"].incb_list == "red"
    assert substances["nps"].incb_list == ""
    assert len(substances) == 16
