from __future__ import annotations

from rest_framework.exceptions import ValidationError

from cooperation.api.views import ReadOnlyResource
from summaries.api.serializers import SummarySerializer
from summaries.filters import AUDIENCE_HELP, SummaryFilterSet
from summaries.models import CooperationSummary, audiences_for, chosen_audience


class SummaryResource(ReadOnlyResource):
    """Cooperation summaries: one row of figures per period (month, quarter, year), scope
    (global, region, country, partner) and audience, each figure linked to the list of records
    it counts. Filter by ``granularity``, ``scope_kind``, ``scope_key`` and period; choose
    whose view with ``audience``."""

    serializer_class = SummarySerializer
    filterset_class = SummaryFilterSet

    def audience(self) -> str:
        asked = self.request.query_params.get("audience") or None
        audience = chosen_audience(self.request.user, asked)
        if audience is None:
            readable = ", ".join(audiences_for(self.request.user))
            raise ValidationError(
                {
                    "audience": [
                        f"You may not read this audience. {AUDIENCE_HELP} Yours: {readable}."
                    ]
                }
            )
        return audience

    def rows_cache_key(self):
        return None  # the rows carry the chosen audience's figures

    def get_queryset(self):
        audience = self.audience()
        return (
            CooperationSummary.objects.visible_to(self.request.user, audience)
            .with_scope_names()
            .with_comparisons(audience)
        )
