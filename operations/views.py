from __future__ import annotations

from django.db.models import Prefetch

from cooperation.generic_views import RecordDetailView, RecordListView
from operations.filters import JointOperationFilterSet
from operations.models import JointOperation, Participation
from operations.tables import JointOperationTable


class OperationListView(RecordListView):
    model = JointOperation
    filterset_class = JointOperationFilterSet
    table_class = JointOperationTable
    title = "Operations"
    intro = "Joint operations with their participants, legal basis and outcomes."
    export_name = "operations"
    panel = (
        "q",
        "status",
        "kind",
        "country",
        "region",
        "partner_role",
        "substance_group",
        "substance",
        "started_after",
        "started_before",
        "sensitivity",
        "ordering",
    )

    def base_queryset(self):
        return (
            JointOperation.objects.select_related("kind")
            .prefetch_related(
                "countries",
                Prefetch(
                    "participations",
                    queryset=Participation.objects.select_related("partner").order_by(
                        "role", "partner__name"
                    ),
                ),
            )
            .order_by("-started_on", "-id")
        )


class OperationDetailView(RecordDetailView):
    model = JointOperation
    template_name = "operations/jointoperation_detail.html"
    list_title = "Operations"
    list_url_name = "operations:list"
    context_object_name = "operation"

    def base_queryset(self):
        return JointOperation.objects.select_related("kind").prefetch_related(
            "countries", "technologies"
        )
