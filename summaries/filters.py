"""The FilterSet of the summaries list, shared by the API and the portal."""

from __future__ import annotations

import django_filters

from cooperation.filters import ChoicesFilter, IsoDateFilter, StableOrderingFilter
from summaries.models import CooperationSummary, Granularity, ScopeKind

AUDIENCE_HELP = (
    "Whose view of the records the figures count: public, partners, partner:<id> (a "
    "partner you act for) or administrators. By default the broadest you may read; one you "
    "may not read is refused."
)


class SummaryFilterSet(django_filters.FilterSet):
    granularity = ChoicesFilter(choices=Granularity.choices, label="Granularity")
    scope_kind = ChoicesFilter(choices=ScopeKind.choices, label="Scope")
    scope_key = django_filters.CharFilter(
        label="Scope key",
        help_text="ISO alpha-3 of a country, M49 code of a region or id of a partner.",
    )
    period_after = IsoDateFilter(
        field_name="period_start", lookup_expr="gte", label="Period starts on or after"
    )
    period_before = IsoDateFilter(
        field_name="period_start", lookup_expr="lte", label="Period starts on or before"
    )
    audience = django_filters.CharFilter(
        method="filter_audience", label="Audience", help_text=AUDIENCE_HELP
    )
    ordering = StableOrderingFilter(
        fields=("period_start", "scope_kind", "scope_key", "id"),
        label="Sort by",
        help_text="period_start, scope_kind, scope_key or id; a leading - sorts descending.",
    )

    class Meta:
        model = CooperationSummary
        fields: list[str] = []

    def filter_audience(self, queryset, name, value):
        """Nothing here: the audience decides which rows are read at all
        (``CooperationSummary.objects.visible_to``), before any filter."""
        return queryset
