from __future__ import annotations

from django.db.models import Prefetch

from cooperation.api.history import RevertMixin, ReviewMixin
from cooperation.api.views import RecordResource
from operations.api import serializers
from operations.filters import (
    ImpactReportFilterSet,
    JointOperationFilterSet,
    JournalEntryFilterSet,
    LegalBasisFilterSet,
    ParticipationFilterSet,
    SeizureFilterSet,
)
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
)

# Nested rows do not show who wrote them or when (their own endpoints do): not loaded.
ROW_AUDIT = ("created_at", "updated_at", "created_by", "updated_by")


class OperationResource(ReviewMixin, RevertMixin, RecordResource):
    """Joint operations with participants, legal basis and seizures. Writes (officers) may
    carry participants, seizures and legal basis in the same, atomic request."""

    serializer_class = serializers.JointOperationSerializer
    filterset_class = JointOperationFilterSet

    def base_queryset(self):
        return (
            JointOperation.objects.select_related("kind")
            .prefetch_related(
                "countries",
                "technologies",
                "shared_with",
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("partner")
                    .defer(*ROW_AUDIT)
                    .order_by("role", "partner__name"),
                ),
                Prefetch(
                    "seizures",
                    queryset=Seizure.objects.select_related("substance")
                    .defer(*ROW_AUDIT)
                    .prefetch_related("transit_countries")
                    .order_by("seized_on", "id"),
                ),
                Prefetch(
                    "legal_bases",
                    queryset=LegalBasis.objects.citing_visible_agreements(self.request.user)
                    .select_related("agreement")
                    .defer(*ROW_AUDIT)
                    .order_by("id"),
                ),
            )
            .order_by("id")
        )


class ParticipationResource(RecordResource):
    serializer_class = serializers.ParticipationSerializer
    filterset_class = ParticipationFilterSet

    def base_queryset(self):
        return Participation.objects.select_related("partner").order_by("id")


class SeizureResource(RecordResource):
    """Seizures one row each, for analysis across operations."""

    serializer_class = serializers.SeizureSerializer
    filterset_class = SeizureFilterSet

    def base_queryset(self):
        return (
            Seizure.objects.select_related("substance", "operation")
            .prefetch_related("transit_countries")
            .order_by("id")
        )


class LegalBasisResource(RecordResource):
    serializer_class = serializers.LegalBasisSerializer
    filterset_class = LegalBasisFilterSet

    def base_queryset(self):
        return LegalBasis.objects.select_related("agreement").order_by("id")


class ImpactReportResource(RecordResource):
    """Community impact reports of operations."""

    serializer_class = serializers.ImpactReportSerializer
    filterset_class = ImpactReportFilterSet

    def base_queryset(self):
        return CommunityImpactReport.objects.select_related("operation").order_by("id")


class JournalEntryResource(RecordResource):
    """Dated, authored journal entries of operations."""

    serializer_class = serializers.JournalEntrySerializer
    filterset_class = JournalEntryFilterSet

    def base_queryset(self):
        return JournalEntry.objects.select_related("author", "operation").order_by("id")
