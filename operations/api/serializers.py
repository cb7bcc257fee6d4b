from __future__ import annotations

from rest_framework import serializers

from cooperation.api.nested import ChildSerializer, NestedWritableSerializer
from cooperation.models import Country, Partner
from cooperation.visibility import ReviewState
from operations.models import (
    CommunityImpactReport,
    JointOperation,
    JournalEntry,
    LegalBasis,
    Participation,
    Seizure,
    Technology,
)

PARTICIPATION_FIELDS = ["partner", "partner_display", "role", "personnel", "contribution"]
# Null for units or plants counted without a mass per unit: no kilograms can be said.
KG_EQUIVALENT = {
    "allow_null": True,
    "help_text": "The quantity in kilograms; null for units or plants counted without a mass "
    "per unit.",
}
SEIZURE_FIELDS = [
    "substance",
    "substance_label",
    "quantity",
    "unit",
    "mass_per_unit_kg",
    "kg_equivalent",
    "seized_on",
    "country",
    "location",
    "transport_mode",
    "forensic_status",
    "origin_country",
    "transit_countries",
    "destination_country",
    "notes",
]
LEGAL_BASIS_FIELDS = ["agreement", "agreement_display", "article"]
AUDIT_FIELDS = ["created_at", "updated_at"]


class RowMixin:
    """Nested rows show no ``display`` of their own: their record names them."""

    def get_fields(self):
        fields = super().get_fields()
        fields.pop("display", None)
        return fields


class ParticipationRowSerializer(RowMixin, ChildSerializer):
    partner_display = serializers.CharField(source="partner.display_name", read_only=True)

    class Meta:
        model = Participation
        fields = ["id", *PARTICIPATION_FIELDS]


class SeizureRowSerializer(RowMixin, ChildSerializer):
    substance_label = serializers.CharField(source="substance.name", read_only=True)
    transit_countries = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Country.objects.all(), required=False
    )

    class Meta:
        model = Seizure
        fields = ["id", *SEIZURE_FIELDS]
        read_only_fields = ["kg_equivalent"]
        extra_kwargs = {"kg_equivalent": KG_EQUIVALENT}


class LegalBasisRowSerializer(RowMixin, ChildSerializer):
    agreement_display = serializers.CharField(source="agreement.__str__", read_only=True)

    class Meta:
        model = LegalBasis
        fields = ["id", *LEGAL_BASIS_FIELDS]
        visible_related = ("agreement",)


class JointOperationSerializer(NestedWritableSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:operation-detail")
    kind_label = serializers.CharField(source="kind.name", read_only=True)
    countries = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Country.objects.all(), required=False
    )
    technologies = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Technology.objects.all(), required=False
    )
    shared_with = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Partner.objects.all(), required=False
    )
    participants = ParticipationRowSerializer(source="participations", many=True, required=False)
    review_state = serializers.ChoiceField(
        choices=ReviewState.choices,
        read_only=True,
        help_text="draft, submitted, approved or withdrawn: only approved records are shared "
        "beyond the partner that wrote them. Moved with POST …/review/.",
    )
    author_partner = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The partner whose staff wrote the record."
    )
    seizures = SeizureRowSerializer(many=True, required=False)
    legal_basis = LegalBasisRowSerializer(source="legal_bases", many=True, required=False)

    class Meta:
        model = JointOperation
        nested = {
            "participations": "operation",
            "seizures": "operation",
            "legal_bases": "operation",
        }
        fields = [
            "id",
            "uuid",
            "url",
            "display",
            "name",
            "kind",
            "kind_label",
            "status",
            "started_on",
            "ended_on",
            "summary",
            "countries",
            "technologies",
            "arrests",
            "labs_dismantled",
            "hectares_eradicated",
            "assets_seized_usd",
            "sensitivity",
            "shared_with",
            "review_state",
            "author_partner",
            "participants",
            "legal_basis",
            "seizures",
            *AUDIT_FIELDS,
        ]
        read_only_fields = ["uuid", *AUDIT_FIELDS]


class OperationChildSerializer(NestedWritableSerializer):
    """A child row on its own endpoint: it names its operation, which must be visible."""

    id = serializers.IntegerField(read_only=True)

    class Meta:
        visible_related = ("operation",)


class ParticipationSerializer(OperationChildSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:participation-detail")
    partner_display = serializers.CharField(source="partner.display_name", read_only=True)

    class Meta(OperationChildSerializer.Meta):
        model = Participation
        fields = ["id", "url", "display", "operation", *PARTICIPATION_FIELDS, *AUDIT_FIELDS]
        read_only_fields = AUDIT_FIELDS


class SeizureSerializer(OperationChildSerializer):
    """A seizure, flat, for analysis: with its operation's name and its drug group."""

    url = serializers.HyperlinkedIdentityField(view_name="api:seizure-detail")
    substance_label = serializers.CharField(source="substance.name", read_only=True)
    substance_group = serializers.CharField(source="substance.group_id", read_only=True)
    operation_display = serializers.CharField(source="operation.name", read_only=True)
    transit_countries = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Country.objects.all(), required=False
    )

    class Meta(OperationChildSerializer.Meta):
        model = Seizure
        fields = [
            "id",
            "url",
            "display",
            "operation",
            "operation_display",
            *SEIZURE_FIELDS[:2],
            "substance_group",
            *SEIZURE_FIELDS[2:],
            *AUDIT_FIELDS,
        ]
        read_only_fields = ["kg_equivalent", *AUDIT_FIELDS]
        extra_kwargs = {"kg_equivalent": KG_EQUIVALENT}


class LegalBasisSerializer(OperationChildSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:legalbasis-detail")
    agreement_display = serializers.CharField(source="agreement.__str__", read_only=True)

    class Meta(OperationChildSerializer.Meta):
        model = LegalBasis
        visible_related = ("operation", "agreement")
        fields = ["id", "url", "display", "operation", *LEGAL_BASIS_FIELDS, *AUDIT_FIELDS]
        read_only_fields = AUDIT_FIELDS


class ImpactReportSerializer(OperationChildSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:impactreport-detail")

    class Meta(OperationChildSerializer.Meta):
        model = CommunityImpactReport
        fields = [
            "id",
            "url",
            "display",
            "operation",
            "kind",
            "severity",
            "occurred_on",
            "reported_on",
            "country",
            "location",
            "people_affected",
            "description",
            "follow_up",
            "follow_up_status",
            *AUDIT_FIELDS,
        ]
        read_only_fields = AUDIT_FIELDS


class JournalEntrySerializer(OperationChildSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:journalentry-detail")
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta(OperationChildSerializer.Meta):
        model = JournalEntry
        fields = [
            "id",
            "url",
            "display",
            "operation",
            "kind",
            "occurred_at",
            "title",
            "body",
            "author",
            "author_partner",
            *AUDIT_FIELDS,
        ]
        read_only_fields = AUDIT_FIELDS
        # Written for a partner its author acts for, as on the portal's form.
        represented_related = ("author_partner",)

    def create(self, validated_data):
        validated_data["author"] = self.context["user"]
        return super().create(validated_data)
