from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q

from agreements.filters import AgreementFilterSet
from agreements.models import Agreement, AgreementParty
from agreements.tables import AgreementTable
from cooperation.generic_views import RecordDetailView, RecordListView
from operations.models import JointOperation


class AgreementListView(RecordListView):
    model = Agreement
    filterset_class = AgreementFilterSet
    table_class = AgreementTable
    title = "Agreements"
    intro = "Treaties, memoranda and other instruments of cooperation, with their parties."
    export_name = "agreements"
    panel = (
        "q",
        "status",
        "kind",
        "scope",
        "area",
        "country",
        "region",
        "partner_role",
        "signed_after",
        "signed_before",
        "expires_after",
        "expires_before",
        "sensitivity",
        "review_state",
        "ordering",
    )

    def base_queryset(self):
        return (
            Agreement.objects.with_status()
            .annotate(party_count=Count("parties", filter=Q(parties__role="party")))
            .order_by(F("signed_on").desc(nulls_last=True), "-id")
        )


class AgreementDetailView(RecordDetailView):
    model = Agreement
    template_name = "agreements/agreement_detail.html"
    list_title = "Agreements"
    list_url_name = "agreements:list"
    history_route = "api:agreement-history"
    revert_route = "agreements:revert"
    review_route = "agreements:review"

    def base_queryset(self):
        return (
            Agreement.objects.with_status()
            .select_related("facilitator", "depositary", "amends", "supersedes")
            .prefetch_related(
                "areas",
                Prefetch(
                    "parties",
                    queryset=AgreementParty.objects.select_related(
                        "partner", "partner__country"
                    ).order_by("role", "partner__name"),
                ),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement = self.object
        user = self.request.user
        visible = Agreement.objects.visible_to(user)
        context.update(
            timeline=agreement.timeline(),
            # Links to other agreements show only where the viewer may see those.
            amends=visible.filter(pk=agreement.amends_id).first(),
            supersedes=visible.filter(pk=agreement.supersedes_id).first(),
            amendments=visible.filter(amends=agreement).order_by("signed_on", "id"),
            superseded_by=visible.filter(supersedes=agreement).order_by("signed_on", "id"),
            operations=JointOperation.objects.visible_to(user)
            .filter(legal_bases__agreement=agreement)
            .select_related("kind")
            .order_by("-started_on", "-id")[:25],
        )
        return context
