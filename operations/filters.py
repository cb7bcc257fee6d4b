"""Query parameters of the lists of joint operations and the rows that hang off them
(HTML pages and API alike).

The building blocks and their conventions (multiple values, EXISTS across to-many relations,
errors for unknown codes) are described in :mod:`cooperation.filters`.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q

from agreements.models import Agreement
from cooperation import fulltext
from cooperation.filters import (
    ChoicesFilter,
    CodesFilter,
    CountryFilter,
    IdsFilter,
    InstantFilter,
    IsoDateFilter,
    ParticipantFilterSet,
    RegionFilter,
    StableOrderingFilter,
    TextSearchFilter,
    UpdatedSinceFilter,
    YesNoFilter,
    countries_in_regions,
    visible_records,
    with_any,
)
from cooperation.visibility import ReviewState, Sensitivity
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    OperationKind,
    OperationStatus,
    Participation,
    Seizure,
    Substance,
    SubstanceGroup,
    Technology,
    Unit,
)

OPERATION_HELP = "Ids of joint operations."


class JointOperationFilterSet(ParticipantFilterSet):
    participant_relation = "participations"

    q = TextSearchFilter(
        fields=("name", "summary"),
        document=fulltext.OPERATION,
        label="Search",
        help_text="Words, or their beginnings, in the name or summary.",
    )
    kind = CodesFilter(
        queryset=OperationKind.objects.all(),
        label="Kind",
        help_text="Codes of operation kinds, e.g. maritime_interdiction.",
    )
    status = ChoicesFilter(choices=OperationStatus.choices, label="Status")
    country = CountryFilter(
        method="filter_country",
        label="Country",
        help_text="ISO alpha-3 codes of countries where the operation took place.",
    )
    region = RegionFilter(
        method="filter_region",
        label="Region",
        help_text="M49 codes: keeps operations that took place in a country of that region, "
        "sub-region or intermediate region.",
    )
    partner = IdsFilter(
        method="filter_participant_row",
        label="Partner",
        help_text="Ids of partners taking part in any role (see partner_role).",
    )
    with_partner = IdsFilter(
        method="filter_with_partner",
        label="Together with",
        help_text="Ids of partners that must all take part too (in any role).",
    )
    partner_role = ChoicesFilter(
        choices=Participation.Role.choices,
        method="filter_participant_row",
        label="Partner role",
        help_text="Roles in the operation; with partner, that partner in that role.",
    )
    agreement = IdsFilter(
        method="filter_agreement",
        label="Agreement",
        help_text="Ids of agreements the operation relies on (its legal basis).",
    )
    substance = CodesFilter(
        queryset=Substance.objects.all(),
        method="filter_substance",
        label="Substance seized",
        help_text="Codes of substances: keeps operations with a seizure of one of them.",
    )
    substance_group = CodesFilter(
        queryset=SubstanceGroup.objects.all(),
        method="filter_substance_group",
        label="Substance group seized",
        help_text="Codes of UNODC drug groups: keeps operations with a seizure in one of them.",
    )
    technology = CodesFilter(
        queryset=Technology.objects.all(),
        method="filter_technology",
        label="Technology",
        help_text="Codes of technologies used, e.g. uav.",
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
    started_after = IsoDateFilter(
        field_name="started_on", lookup_expr="gte", label="Started on or after"
    )
    started_before = IsoDateFilter(
        field_name="started_on", lookup_expr="lte", label="Started on or before"
    )
    ended_after = IsoDateFilter(field_name="ended_on", lookup_expr="gte", label="Ended on or after")
    ended_before = IsoDateFilter(
        field_name="ended_on", lookup_expr="lte", label="Ended on or before"
    )
    ongoing_after = IsoDateFilter(
        method="filter_ongoing_after",
        label="Under way on or after",
        help_text="Keeps operations with no end date, or that ended on or after this day.",
    )
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("started_on", "ended_on", "name", "arrests", "updated_at", "id"),
        label="Sort by",
        help_text="started_on, ended_on, name, arrests, updated_at or id; "
        "a leading - sorts descending.",
    )

    class Meta:
        model = JointOperation
        fields: list[str] = []

    def filter_with_partner(self, queryset, name, value):
        for partner in value:
            queryset = with_any(queryset, "participations", partner=partner)
        return queryset

    def filter_ongoing_after(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=value))

    def filter_country(self, queryset, name, value):
        return with_any(queryset, "countries", pk__in=value)

    def filter_region(self, queryset, name, value):
        return with_any(queryset, "countries", pk__in=countries_in_regions(value))

    def filter_agreement(self, queryset, name, value):
        # Only agreements the requester sees: a legal basis on a hidden agreement is hidden
        # too (LegalBasis.objects.visible_to), and filtering must not reveal it.
        visible = visible_records(Agreement, self.request).filter(pk__in=value).values("pk")
        return with_any(queryset, "legal_bases", agreement__in=visible)

    def filter_substance(self, queryset, name, value):
        return with_any(queryset, "seizures", substance__in=value)

    def filter_substance_group(self, queryset, name, value):
        return with_any(queryset, "seizures", substance__group__in=value)

    def filter_technology(self, queryset, name, value):
        return with_any(queryset, "technologies", pk__in=value)


def of_operations_with_partners(queryset, partners):
    """Rows (seizures, impact reports) of an operation in which any of ``partners`` takes part."""
    takes_part = Participation.objects.filter(operation=OuterRef("operation"), partner__in=partners)
    return queryset.filter(Exists(takes_part))


class SeizureFilterSet(django_filters.FilterSet):
    operation = IdsFilter(label="Operation", help_text=OPERATION_HELP)
    review_state = ChoicesFilter(
        field_name="operation__review_state",
        choices=ReviewState.choices,
        label="Operation's review",
        help_text="draft, submitted, approved or withdrawn (only approved records are shared).",
    )
    substance = CodesFilter(
        queryset=Substance.objects.all(), label="Substance", help_text="Codes, e.g. cocaine."
    )
    substance_group = CodesFilter(
        queryset=SubstanceGroup.objects.all(),
        field_name="substance__group",
        label="Substance group",
        help_text="Codes of UNODC drug groups, e.g. cocaine_type.",
    )
    unit = ChoicesFilter(choices=Unit.choices, label="Unit")
    converted = YesNoFilter(
        field_name="kg_equivalent",
        lookup_expr="isnull",
        exclude=True,
        label="Converts to kilograms",
        help_text="yes: seizures with a kilogram-equivalent; no: counted units or plants "
        "without a stated mass per unit.",
    )
    country = CountryFilter(
        label="Country", help_text="ISO alpha-3 codes of the country of seizure."
    )
    region = RegionFilter(
        field_name="country",
        label="Region",
        help_text="M49 codes: seized in a country of that region, sub-region or intermediate "
        "region.",
    )
    origin_country = CountryFilter(label="Origin country")
    destination_country = CountryFilter(label="Destination country")
    transit_country = CountryFilter(
        method="filter_transit_country",
        label="Transit country",
        help_text="ISO alpha-3 codes of any country the consignment went through.",
    )
    transport_mode = ChoicesFilter(choices=Seizure.TransportMode.choices, label="Transport mode")
    forensic_status = ChoicesFilter(choices=Seizure.Forensic.choices, label="Forensic confirmation")
    partner = IdsFilter(
        method="filter_partner",
        label="Partner",
        help_text="Ids of partners taking part in the seizure's operation.",
    )
    seized_after = IsoDateFilter(
        field_name="seized_on", lookup_expr="gte", label="Seized on or after"
    )
    seized_before = IsoDateFilter(
        field_name="seized_on", lookup_expr="lte", label="Seized on or before"
    )
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("seized_on", "quantity", "kg_equivalent", "id"),
    )

    class Meta:
        model = Seizure
        fields: list[str] = []

    def filter_transit_country(self, queryset, name, value):
        return with_any(queryset, "transit_countries", pk__in=value)

    def filter_partner(self, queryset, name, value):
        return of_operations_with_partners(queryset, value)


class ImpactReportFilterSet(django_filters.FilterSet):
    operation = IdsFilter(label="Operation", help_text=OPERATION_HELP)
    review_state = ChoicesFilter(
        field_name="operation__review_state",
        choices=ReviewState.choices,
        label="Operation's review",
        help_text="draft, submitted, approved or withdrawn (only approved records are shared).",
    )
    kind = ChoicesFilter(choices=CommunityImpactReport.Kind.choices, label="Kind")
    severity = ChoicesFilter(choices=CommunityImpactReport.Severity.choices, label="Severity")
    follow_up_status = ChoicesFilter(
        choices=CommunityImpactReport.FollowUp.choices, label="Follow-up status"
    )
    country = CountryFilter(label="Country", help_text="ISO alpha-3 codes of where it happened.")
    region = RegionFilter(
        field_name="country",
        label="Region",
        help_text="M49 codes: happened in a country of that region, sub-region or intermediate "
        "region.",
    )
    partner = IdsFilter(
        method="filter_partner",
        label="Partner",
        help_text="Ids of partners taking part in the operation it concerns.",
    )
    occurred_after = IsoDateFilter(
        field_name="occurred_on", lookup_expr="gte", label="Occurred on or after"
    )
    occurred_before = IsoDateFilter(
        field_name="occurred_on", lookup_expr="lte", label="Occurred on or before"
    )
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("occurred_on", "reported_on", "updated_at", "id"),
    )

    class Meta:
        model = CommunityImpactReport
        fields: list[str] = []

    def filter_partner(self, queryset, name, value):
        return of_operations_with_partners(queryset, value)


class JournalEntryFilterSet(django_filters.FilterSet):
    operation = IdsFilter(label="Operation", help_text=OPERATION_HELP)
    kind = ChoicesFilter(choices=JournalEntry.Kind.choices, label="Kind")
    author_partner = IdsFilter(
        label="Written for", help_text="Ids of the partners the authors wrote for."
    )
    occurred_after = InstantFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label="Occurred at or after",
        help_text="ISO 8601 moment; a bare date means the start of that day (UTC).",
    )
    occurred_before = InstantFilter(
        field_name="occurred_at",
        lookup_expr="lte",
        end_of_day=True,
        label="Occurred at or before",
        help_text="ISO 8601 moment; a bare date keeps the whole of that day (UTC).",
    )
    q = TextSearchFilter(
        fields=("title", "body"),
        document=fulltext.JOURNAL_ENTRY,
        label="Search",
        help_text="Words, or their beginnings, in the title or text.",
    )
    updated_since = UpdatedSinceFilter()
    ordering = StableOrderingFilter(
        fields=("occurred_at", "updated_at", "id"),
    )

    class Meta:
        model = JournalEntry
        fields: list[str] = []


class ParticipationFilterSet(django_filters.FilterSet):
    operation = IdsFilter(label="Operation", help_text=OPERATION_HELP)
    partner = IdsFilter(label="Partner", help_text="Ids of partners.")
    role = ChoicesFilter(choices=Participation.Role.choices, label="Role")

    class Meta:
        model = Participation
        fields: list[str] = []


class LegalBasisFilterSet(django_filters.FilterSet):
    # Plain foreign keys: a legal basis is visible only with its agreement, so these narrow
    # rows already cleared for the requester.
    operation = IdsFilter(label="Operation", help_text=OPERATION_HELP)
    agreement = IdsFilter(label="Agreement", help_text="Ids of agreements.")

    class Meta:
        model = LegalBasis
        fields: list[str] = []
