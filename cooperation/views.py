from __future__ import annotations

from django.db.models import F
from django.shortcuts import render

from agreements.models import Agreement
from cooperation.filters import PartnerFilterSet
from cooperation.generic_views import RecordDetailView, RecordListView
from cooperation.models import Country, Partner, Region
from cooperation.tables import PartnerTable
from operations.models import JointOperation


def home(request):
    """The dashboard: what the signed-in user may see, newest first."""
    agreements = Agreement.objects.visible_to(request.user).with_status()
    operations = JointOperation.objects.visible_to(request.user).select_related("kind")
    return render(
        request,
        "home.html",
        {
            "agreement_count": agreements.count(),
            "operation_count": operations.count(),
            "recent_agreements": agreements.order_by(F("signed_on").desc(nulls_last=True), "-id")[
                :10
            ],
            "recent_operations": operations.order_by("-started_on", "-id")[:10],
        },
    )


class PartnerListView(RecordListView):
    model = Partner
    filterset_class = PartnerFilterSet
    table_class = PartnerTable
    title = "Partners"
    intro = "Governments, their agencies and international organizations."
    export_name = "partners"
    panel = ("q", "kind", "agency_type", "organization_type", "country", "region", "ordering")

    def base_queryset(self):
        return Partner.objects.select_related("country", "parent").order_by("name", "id")


class PartnerDetailView(RecordDetailView):
    model = Partner
    template_name = "cooperation/partner_detail.html"
    list_title = "Partners"
    list_url_name = "partners:list"
    context_object_name = "partner"

    def base_queryset(self):
        return Partner.objects.select_related("country", "parent")


class CountryListView(RecordListView):
    model = Country
    title = "Countries"

    def get(self, request, *args, **kwargs):
        regions = Region.objects.filter(level="region").order_by("name")
        return render(
            request,
            "cooperation/country_list.html",
            {
                "regions": regions,
                "countries": Country.objects.select_related("region").order_by("name"),
                "breadcrumbs": [("Countries", request.path)],
            },
        )


class CountryDetailView(RecordDetailView):
    model = Country
    template_name = "cooperation/country_detail.html"
    list_title = "Countries"
    list_url_name = "geography:countries"
    context_object_name = "country"


class RegionDetailView(RecordDetailView):
    model = Region
    template_name = "cooperation/region_detail.html"
    list_title = "Countries"
    list_url_name = "geography:countries"
    context_object_name = "region"
