from __future__ import annotations

from rest_framework import serializers

from cooperation.api.shaping import ShapedSerializer
from cooperation.models import Country, Deletion, Partner, PartnerIdentifier, Region


class RegionSerializer(ShapedSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:region-detail")
    id = serializers.CharField(source="m49", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "url", "display", "m49", "name", "level", "parent"]


class CountrySerializer(ShapedSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:country-detail")
    id = serializers.CharField(source="iso3", read_only=True)

    class Meta:
        model = Country
        fields = [
            "id",
            "url",
            "display",
            "iso3",
            "iso2",
            "numeric",
            "name",
            "official_name",
            "region",
            "subregion",
            "intermediate_region",
        ]


class IdentifierSerializer(serializers.ModelSerializer):
    class Meta:
        model = PartnerIdentifier
        fields = ["scheme", "value"]


class PartnerSerializer(ShapedSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:partner-detail")
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "uuid",
            "url",
            "display",
            "kind",
            "name",
            "acronym",
            "country",
            "parent",
            "agency_type",
            "organization_type",
            "members",
            "identifiers",
            "founded_on",
            "website",
            "description",
            "is_active",
            "created_at",
            "updated_at",
        ]


class DeletionSerializer(ShapedSerializer):
    class Meta:
        model = Deletion
        fields = ["id", "resource", "object_id", "object_uuid", "deleted_at"]


def vocabulary_serializer(vocabulary_model, basename: str, extra: tuple[str, ...] = ()):
    """A read-only serializer for a reference vocabulary (code, name, description)."""

    class VocabularySerializer(ShapedSerializer):
        url = serializers.HyperlinkedIdentityField(view_name=f"api:{basename}-detail")
        id = serializers.CharField(source="code", read_only=True)

        class Meta:
            model = vocabulary_model
            fields = ["id", "url", "display", "code", "name", "description", *extra]

    VocabularySerializer.__name__ = f"{vocabulary_model.__name__}Serializer"
    return VocabularySerializer
