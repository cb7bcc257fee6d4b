from __future__ import annotations

from rest_framework import serializers

from cooperation.api.shaping import ShapedSerializer
from summaries import figures
from summaries.models import CooperationSummary


class SummarySerializer(ShapedSerializer):
    """The figures of one period and scope as the reader's audience sees them."""

    url = serializers.HyperlinkedIdentityField(view_name="api:summary-detail")
    audience = serializers.SerializerMethodField(
        help_text="Whose view of the records these figures count."
    )
    scope_name = serializers.SerializerMethodField()
    is_complete = serializers.BooleanField(
        read_only=True, help_text="Whether the period had ended when the figures were computed."
    )
    metrics = serializers.SerializerMethodField(
        help_text="Figures by key: counts, and sums in kilograms or hectares."
    )
    records = serializers.SerializerMethodField(
        help_text="For each figure, the API list of the records it counts."
    )
    compared = serializers.SerializerMethodField(
        help_text="The figures of the same scope in the previous period and a year earlier "
        "(null where none were computed)."
    )

    class Meta:
        model = CooperationSummary
        fields = [
            "id",
            "url",
            "display",
            "granularity",
            "period_start",
            "period_end",
            "is_complete",
            "scope_kind",
            "scope_key",
            "scope_name",
            "audience",
            "metrics",
            "records",
            "compared",
            "computed_at",
            "data_cutoff",
            "version",
        ]

    def get_audience(self, obj) -> str:
        return getattr(obj, "reader_audience", obj.audience)

    def get_scope_name(self, obj) -> str:
        return getattr(obj, "scope_name", "") or ""

    def get_metrics(self, obj) -> dict[str, float]:
        return dict(sorted(obj.figures.items()))

    def get_records(self, obj) -> dict[str, str]:
        request = self.context.get("request")
        links = {key: figures.records_url(key, obj, api=True) for key in sorted(obj.figures)}
        if request is not None:
            links = {key: request.build_absolute_uri(url) for key, url in links.items()}
        return links

    def get_compared(self, obj) -> dict[str, dict[str, float] | None]:
        return {"previous": obj.compared("previous"), "year_earlier": obj.compared("year_earlier")}
