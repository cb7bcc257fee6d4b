from __future__ import annotations

from django.db.models import Prefetch
from rest_framework import serializers

from agreements.api.serializers import AgreementPartySerializer, AgreementSerializer
from agreements.filters import AgreementFilterSet, AgreementPartyFilterSet
from agreements.models import Agreement, AgreementParty
from cooperation.api.history import RevertMixin, ReviewMixin
from cooperation.api.views import RecordResource


class AgreementResource(ReviewMixin, RevertMixin, RecordResource):
    """Cooperation agreements with their parties. Writes (officers) carry the parties in the
    same request; a bilateral agreement needs exactly two parties in the role ``party``."""

    serializer_class = AgreementSerializer
    filterset_class = AgreementFilterSet

    def base_queryset(self):
        return (
            Agreement.objects.with_status()
            .prefetch_related(
                "areas",
                "shared_with",
                Prefetch(
                    "parties",
                    queryset=AgreementParty.objects.select_related("partner").order_by(
                        "role", "partner__name"
                    ),
                ),
            )
            .order_by("id")
        )


class AgreementPartyResource(RecordResource):
    """Parties one row at a time. Removing or adding a party of a bilateral agreement here
    is refused when it would leave the agreement without exactly two parties."""

    serializer_class = AgreementPartySerializer
    filterset_class = AgreementPartyFilterSet

    def base_queryset(self):
        return AgreementParty.objects.select_related("agreement", "partner").order_by("id")

    def perform_destroy(self, instance):
        roles = list(
            instance.agreement.parties.exclude(pk=instance.pk).values_list("role", flat=True)
        )
        error = Agreement.bilateral_party_error(instance.agreement.scope, roles)
        if error:
            raise serializers.ValidationError({"agreement": [error]})
        instance.delete()
