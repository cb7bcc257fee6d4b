"""Read-only resources of the cooperation app: regions, countries, partners, the deletions
feed, and the reference vocabularies of every app."""

from __future__ import annotations

from django.db.models import Prefetch

from agreements.models import CooperationArea
from cooperation.api import serializers
from cooperation.api.history import DeletedHistoryMixin, HistoryMixin
from cooperation.api.views import ReadOnlyResource
from cooperation.filters import (
    CountryFilterSet,
    DeletionFilterSet,
    PartnerFilterSet,
    RegionFilterSet,
)
from cooperation.models import Partner, PartnerIdentifier
from operations.models import OperationKind, Substance, SubstanceGroup, Technology


class RegionResource(ReadOnlyResource):
    """UN M49 regions, sub-regions and intermediate regions."""

    serializer_class = serializers.RegionSerializer
    filterset_class = RegionFilterSet


class CountryResource(ReadOnlyResource):
    """ISO 3166-1 countries, keyed by alpha-3 code, with their M49 regions."""

    serializer_class = serializers.CountrySerializer
    filterset_class = CountryFilterSet


class PartnerResource(HistoryMixin, ReadOnlyResource):
    """Governments, agencies and organizations in one list (filter by ``kind``)."""

    serializer_class = serializers.PartnerSerializer
    filterset_class = PartnerFilterSet

    def base_queryset(self):
        return Partner.objects.prefetch_related(
            "members", Prefetch("identifiers", queryset=PartnerIdentifier.objects.all())
        ).order_by("name", "id")


class DeletionResource(DeletedHistoryMixin, ReadOnlyResource):
    """Tombstones of deleted rows, for mirrors kept in sync with ``updated_since``: page
    with ``?cursor=`` and filter by ``resource`` and ``since``."""

    serializer_class = serializers.DeletionSerializer
    filterset_class = DeletionFilterSet


def vocabulary_resource(model, basename: str, extra: tuple[str, ...] = ()):
    serializer = serializers.vocabulary_serializer(model, basename, extra)
    return type(
        f"{model.__name__}Resource",
        (ReadOnlyResource,),
        {
            "serializer_class": serializer,
            "pagination_class": None,
            "__doc__": f"The {model._meta.verbose_name_plural} vocabulary.",
        },
    )


VOCABULARIES = {
    "cooperation-areas": (CooperationArea, ()),
    "operation-kinds": (OperationKind, ()),
    "technologies": (Technology, ()),
    "substance-groups": (SubstanceGroup, ()),
    "substances": (Substance, ("group", "incb_list")),
}
