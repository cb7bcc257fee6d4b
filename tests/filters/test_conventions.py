"""Conventions every FilterSet keeps, checked by inspection so that a new foreign key or a new
filter cannot slip past them (after NetBox's ``test_missing_filters``)."""

from __future__ import annotations

import inspect

import django_filters
import pytest
from django.db import models

from agreements import filters as agreement_filters
from cooperation import filters as cooperation_filters
from operations import filters as operation_filters

FILTERSETS = [
    filterset
    for module in (cooperation_filters, agreement_filters, operation_filters)
    for _, filterset in inspect.getmembers(module, inspect.isclass)
    if issubclass(filterset, django_filters.FilterSet)
    and filterset.__module__ == module.__name__
    and filterset._meta.model is not None
]

# Foreign keys that deliberately have no filter of their own name, and why.
UNFILTERED_EVERYWHERE = {
    # Audit columns: who typed a change is shown in the history, not a way to list records.
    "created_by",
    "updated_by",
    # Who submitted and approved a record: the review's people, shown in its history.
    "submitted_by",
    "approved_by",
}
UNFILTERED = {
    # The region filter matches a country at every M49 level at once.
    ("Country", "subregion"),
    ("Country", "intermediate_region"),
    # People are not a listed resource; author_partner says whom the author wrote for.
    ("JournalEntry", "author"),
}


def test_every_filterset_is_checked():
    names = {filterset.__name__ for filterset in FILTERSETS}
    assert names == {
        "CountryFilterSet",
        "RegionFilterSet",
        "PartnerFilterSet",
        "AgreementFilterSet",
        "AgreementPartyFilterSet",
        "JointOperationFilterSet",
        "SeizureFilterSet",
        "ImpactReportFilterSet",
        "JournalEntryFilterSet",
        "ParticipationFilterSet",
        "LegalBasisFilterSet",
        "DeletionFilterSet",
    }


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_every_foreign_key_has_a_filter_of_its_name(filterset):
    model = filterset._meta.model
    missing = [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey)
        and field.name not in UNFILTERED_EVERYWHERE
        and (model.__name__, field.name) not in UNFILTERED
        and field.name not in filterset.base_filters
    ]
    assert not missing, f"{filterset.__name__} has no filter for {missing}"


def test_every_exemption_names_a_real_foreign_key():
    by_name = {filterset._meta.model.__name__: filterset._meta.model for filterset in FILTERSETS}
    for model_name, field_name in UNFILTERED:
        assert isinstance(by_name[model_name]._meta.get_field(field_name), models.ForeignKey)


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_every_filter_is_labelled_for_the_schema(filterset):
    # On the class, a filter's label is only what was written: nothing is derived yet.
    unlabelled = [name for name, filter_ in filterset.base_filters.items() if not filter_.label]
    assert not unlabelled, f"{filterset.__name__} has no label for {unlabelled}"


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda f: f.__name__)
def test_no_filter_joins_a_to_many_relation(filterset):
    # A lookup through a to-many relation would repeat rows: those filters use a method that
    # goes through with_any() instead.
    model = filterset._meta.model
    for name, filter_ in filterset.base_filters.items():
        if filter_.method or isinstance(filter_, django_filters.OrderingFilter):
            continue
        paths = getattr(filter_, "search_fields", None) or [filter_.field_name]
        for path in paths:
            current = model
            for part in path.split("__"):
                field = current._meta.pk if part == "pk" else current._meta.get_field(part)
                assert not (field.one_to_many or field.many_to_many), (
                    f"{filterset.__name__}.{name} joins {field.name}"
                )
                current = field.related_model or current
