from __future__ import annotations

from rest_framework import serializers

from agreements.models import Agreement, AgreementParty, AgreementStatus, CooperationArea
from cooperation.api.nested import ChildSerializer, NestedWritableSerializer
from cooperation.api.shaping import ChoiceLabelField
from cooperation.models import Partner
from cooperation.visibility import ReviewState


class PartyRowSerializer(ChildSerializer):
    """A party as part of its agreement."""

    partner_display = serializers.CharField(source="partner.display_name", read_only=True)

    class Meta:
        model = AgreementParty
        fields = [
            "id",
            "partner",
            "partner_display",
            "role",
            "signed_on",
            "consent_type",
            "consent_on",
            "entry_into_force_on",
            "withdrew_on",
            "notes",
        ]

    def get_fields(self):
        fields = super().get_fields()
        fields.pop("display", None)
        return fields


class AgreementSerializer(NestedWritableSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:agreement-detail")
    status = serializers.CharField(read_only=True, help_text="Derived from the dates.")
    status_label = ChoiceLabelField(dict(AgreementStatus.choices), source="status")
    areas = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=CooperationArea.objects.all(), required=False
    )
    shared_with = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Partner.objects.all(), required=False
    )
    parties = PartyRowSerializer(many=True, required=False)
    review_state = serializers.ChoiceField(
        choices=ReviewState.choices,
        read_only=True,
        help_text="draft, submitted, approved or withdrawn: only approved records are shared "
        "beyond the partner that wrote them. Moved with POST …/review/.",
    )
    author_partner = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The partner whose staff wrote the record."
    )

    class Meta:
        model = Agreement
        nested = {"parties": "agreement"}
        visible_related = ("amends", "supersedes")
        fields = [
            "id",
            "uuid",
            "url",
            "display",
            "kind",
            "scope",
            "title",
            "short_title",
            "reference",
            "summary",
            "status",
            "status_label",
            "areas",
            "adopted_on",
            "signed_on",
            "entry_into_force_on",
            "expires_on",
            "suspended_on",
            "terminated_on",
            "facilitator",
            "depositary",
            "amends",
            "supersedes",
            "source_url",
            "sensitivity",
            "shared_with",
            "review_state",
            "author_partner",
            "parties",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["uuid", "created_at", "updated_at"]

    def validate(self, attrs):
        scope = attrs.get("scope", getattr(self.instance, "scope", None))
        if "parties" in attrs:
            roles = [row.get("role", AgreementParty.Role.PARTY) for row in attrs["parties"]]
        elif self.instance is not None:
            roles = list(self.instance.parties.values_list("role", flat=True))
        else:
            roles = []
        error = Agreement.bilateral_party_error(scope, roles)
        if error:
            raise serializers.ValidationError({"parties": [error]})
        return attrs


class AgreementPartySerializer(NestedWritableSerializer):
    """A party row on its own (``/agreement-parties/``)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:agreementparty-detail")
    id = serializers.IntegerField(read_only=True)

    class Meta:
        model = AgreementParty
        fields = [
            "id",
            "url",
            "display",
            "agreement",
            "partner",
            "role",
            "signed_on",
            "consent_type",
            "consent_on",
            "entry_into_force_on",
            "withdrew_on",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        visible_related = ("agreement",)
