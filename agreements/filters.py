"""Query parameters of the agreement and agreement-party lists (HTML pages and API alike).

The building blocks and their conventions (multiple values, EXISTS across to-many relations,
errors for unknown codes) are described in :mod:`cooperation.filters`.
"""

from __future__ import annotations

import django_filters

from agreements.models import Agreement, AgreementParty, AgreementStatus, CooperationArea
from cooperation import fulltext
from cooperation.filters import (
    ChoicesFilter,
    CodesFilter,
    CountryFilter,
    IdsFilter,
    IsoDateFilter,
    ParticipantFilterSet,
    RegionFilter,
    StableOrderingFilter,
    TextSearchFilter,
    UpdatedSinceFilter,
    countries_in_regions,
    visible_records,
    with_any,
)
from cooperation.visibility import ReviewState, Sensitivity


class AgreementFilterSet(ParticipantFilterSet):
    participant_relation = "parties"

    q = TextSearchFilter(
        fields=("title", "short_title", "reference", "summary"),
        document=fulltext.AGREEMENT,
        label="Search",
        help_text="Words, or their beginnings, in the title, short title, reference or summary.",
    )
    kind = ChoicesFilter(choices=Agreement.Kind.choices, label="Kind")
    scope = ChoicesFilter(choices=Agreement.Scope.choices, label="Scope")
    status = ChoicesFilter(
        choices=AgreementStatus.choices,
        method="filter_status",
        label="Status",
        help_text="Lifecycle status today (or on status_on), derived from the agreement's dates.",
    )
    status_on = IsoDateFilter(
        method="filter_status",
        label="Status on",
        help_text="The day on which status is read (today by default).",
    )
    area = CodesFilter(
        queryset=CooperationArea.objects.all(),
        method="filter_area",
        label="Cooperation area",
        help_text="Codes of cooperation areas, e.g. maritime_interdiction.",
    )
    partner = IdsFilter(
        method="filter_participant_row",
        label="Partner",
        help_text="Ids of partners listed in the agreement in any role (see partner_role).",
    )
    partner_role = ChoicesFilter(
        choices=AgreementParty.Role.choices,
        method="filter_participant_row",
        label="Partner role",
        help_text="Roles in the agreement; with partner, that partner in that role.",
    )
    country = CountryFilter(
        method="filter_country",
        label="Country",
        help_text="ISO alpha-3 codes: keeps agreements with a partner of that country.",
    )
    region = RegionFilter(
        method="filter_region",
        label="Region",
        help_text="M49 codes: keeps agreements with a partner of a country in that region, "
        "sub-region or intermediate region.",
    )
    sensitivity = ChoicesFilter(choices=Sensitivity.choices, label="Sensitivity")
    review_state = ChoicesFilter(
        choices=ReviewState.choices,
        label="Review",
        help_text="draft, submitted, approved or withdrawn (only approved records are shared).",
    )
    author_partner = IdsFilter(
        label="Written for", help_text="Ids of the partner whose staff wrote the record."
    )
    facilitator = IdsFilter(label="Facilitator", help_text="Ids of the facilitating partner.")
    depositary = IdsFilter(label="Depositary", help_text="Ids of the depositary partner.")
    amends = IdsFilter(
        method="filter_amends",
        label="Amends",
        help_text="Ids of agreements: keeps the agreements that amend them.",
    )
    supersedes = IdsFilter(
        method="filter_supersedes",
        label="Supersedes",
        help_text="Ids of agreements: keeps the agreements that supersede them.",
    )
    signed_after = IsoDateFilter(
        field_name="signed_on", lookup_expr="gte", label="Signed on or after"
    )
    signed_before = IsoDateFilter(
        field_name="signed_on", lookup_expr="lte", label="Signed on or before"
    )
    in_force_after = IsoDateFilter(
        field_name="entry_into_force_on", lookup_expr="gte", label="Entered into force on or after"
    )
    in_force_before = IsoDateFilter(
        field_name="entry_into_force_on", lookup_expr="lte", label="Entered into force on or before"
    )
    expires_after = IsoDateFilter(
        field_name="expires_on", lookup_expr="gte", label="Expires on or after"
    )
    expires_before = IsoDateFilter(
        field_name="expires_on", lookup_expr="lte", label="Expires on or before"
    )
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("signed_on", "entry_into_force_on", "expires_on", "title", "updated_at", "id"),
        label="Sort by",
        help_text="signed_on, entry_into_force_on, expires_on, title, updated_at or id; "
        "a leading - sorts descending.",
    )

    class Meta:
        model = Agreement
        fields: list[str] = []

    def filter_status(self, queryset, name, value):
        """``status`` and ``status_on`` together: the status on that day (today by default)."""
        statuses = self.form.cleaned_data.get("status")
        if name != "status" or not statuses:
            return queryset
        if on := self.form.cleaned_data.get("status_on"):
            # On another day than the one a view shows: leave its annotation alone.
            on_that_day = Agreement.objects.with_status_in(statuses, on).values("pk")
            return queryset.filter(pk__in=on_that_day)
        # A view that shows the status has annotated it already (maybe for another day).
        if "lifecycle_status" not in queryset.query.annotations:
            queryset = queryset.with_status()
        return queryset.filter(lifecycle_status__in=statuses)

    def filter_area(self, queryset, name, value):
        return with_any(queryset, "areas", pk__in=value)

    def filter_country(self, queryset, name, value):
        return with_any(queryset, "parties", partner__country__in=value)

    def filter_region(self, queryset, name, value):
        return with_any(queryset, "parties", partner__country__in=countries_in_regions(value))

    def filter_amends(self, queryset, name, value):
        return queryset.filter(amends__in=self.visible_agreements(value))

    def filter_supersedes(self, queryset, name, value):
        return queryset.filter(supersedes__in=self.visible_agreements(value))

    def visible_agreements(self, ids):
        """Of ``ids``, those the requester may see: a hidden agreement matches nothing."""
        return visible_records(Agreement, self.request).filter(pk__in=ids).values("pk")


class AgreementPartyFilterSet(django_filters.FilterSet):
    agreement = IdsFilter(label="Agreement", help_text="Ids of agreements.")
    partner = IdsFilter(label="Partner", help_text="Ids of partners.")
    role = ChoicesFilter(choices=AgreementParty.Role.choices, label="Role")
    consent_type = ChoicesFilter(
        choices=AgreementParty.Consent.choices, label="Consent to be bound"
    )

    class Meta:
        model = AgreementParty
        fields: list[str] = []
