"""How every FilterSet reads its parameters: the building blocks of cooperation.filters."""

from __future__ import annotations

import datetime

import pytest
from django.http import QueryDict

from cooperation.filters import AnyOfFilter, with_any
from operations.filters import JointOperationFilterSet
from operations.models import JointOperation
from tests import factories
from tests.filters import bound, errors, filtered
from tests.filters.test_conventions import FILTERSETS


def operation_in(*iso3):
    operation = factories.JointOperationFactory()
    operation.countries.set(iso3)
    return operation


def test_repeated_and_comma_separated_values_can_be_mixed(db):
    colombian, peruvian, mexican = operation_in("COL"), operation_in("PER"), operation_in("MEX")
    operation_in("ESP")

    params = QueryDict("country=COL,+PER&country=mex&country=")
    assert set(JointOperationFilterSet(params).qs) == {colombian, peruvian, mexican}


def test_an_empty_parameter_filters_nothing(db):
    spanish = operation_in("ESP")

    assert filtered(JointOperationFilterSet, {"country": "", "partner": ","}) == [spanish]


@pytest.mark.parametrize("value", ["seven", "1.5", "-3", str(2**63)])
def test_an_id_that_cannot_be_one_is_an_error(db, value):
    assert "partner" in errors(JointOperationFilterSet, {"partner": value})


def test_an_error_names_every_unknown_code(db):
    message = str(errors(JointOperationFilterSet, {"country": "COL,ATL,MU"})["country"])

    assert "ATL" in message
    assert "MU" in message
    assert "COL" not in message


def test_an_offset_whose_plus_was_lost_in_the_url_still_reads_as_one(db):
    stale, fresh = factories.JointOperationFactory(), factories.JointOperationFactory()
    JointOperation.objects.filter(pk=stale.pk).update(
        updated_at=datetime.datetime(2024, 4, 30, 21, 59, tzinfo=datetime.UTC)
    )
    JointOperation.objects.filter(pk=fresh.pk).update(
        updated_at=datetime.datetime(2024, 4, 30, 22, 0, tzinfo=datetime.UTC)
    )

    # "+02:00" typed unescaped into a query string arrives as " 02:00".
    params = QueryDict("updated_since=2024-05-01T00:00:00+02:00")
    assert set(JointOperationFilterSet(params).qs) == {fresh}


def test_filters_through_a_to_many_relation_only_and_say_so_otherwise(db):
    with pytest.raises(ValueError, match="not a to-many relation"):
        with_any(JointOperation.objects.all(), "kind", pk="raid")


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_the_filter_form_shows_several_values_back_comma_separated(db, filterset):
    # The HTML list page renders the form with what was asked, valid or not.
    names = [name for name, f in filterset.base_filters.items() if isinstance(f, AnyOfFilter)]
    form = bound(filterset, {name: ["a", "b"] for name in names}).form

    for name in names:
        assert 'value="a,b"' in str(form[name])
