from __future__ import annotations

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from agreements.filters import AgreementFilterSet
from agreements.models import Agreement, AgreementParty
from cooperation import figures, geography
from cooperation.filters import PartnerFilterSet, countries_in_regions, m49_code
from cooperation.generic_views import RecordDetailView, RecordListView
from cooperation.models import Country, Membership, Partner, Region
from cooperation.tables import PartnerTable
from cooperation.visibility import forget_viewer, remember_viewer
from operations.filters import JointOperationFilterSet, SeizureFilterSet
from operations.models import JointOperation, JournalEntry, Participation, Seizure
from summaries.models import ScopeKind
from summaries.panel import latest_panel

# How many rows a section of a profile page lists before pointing to the full list.
SECTION_ROWS = 15


class ViewerOnceMixin:
    """Reads the viewer's role and partners once for the request: these pages build many
    visibility-filtered querysets, each of which would read them again."""

    def dispatch(self, request, *args, **kwargs):
        remember_viewer(request.user)
        try:
            response = super().dispatch(request, *args, **kwargs)
            if callable(getattr(response, "render", None)):
                # Querysets a template evaluates as it renders use the memo too.
                response.render()
            return response
        finally:
            forget_viewer(request.user)


class DashboardView(ViewerOnceMixin, TemplateView):
    """What happened lately, among the records the viewer may see: the last complete month
    against the one before, two years of trends, agreements about to expire, and the newest
    operations and journal entries."""

    template_name = "home.html"
    trend_months = 24
    expiring_days = 180

    def get_context_data(self, **kwargs):
        user = self.request.user
        agreements = Agreement.objects.visible_to(user)
        operations = JointOperation.objects.visible_to(user)
        seizures = Seizure.objects.visible_to(user)
        month = figures.Month.latest_complete(timezone.localdate())
        first = figures.add_months(month.first, 1 - self.trend_months)
        return super().get_context_data(
            month=figures.month_figures(
                operations=operations, seizures=seizures, agreements=agreements, month=month
            ),
            operations_chart=figures.operations_by_kind_chart(
                operations, first=first, last=month.last
            ),
            seizures_chart=figures.seizures_by_group_chart(
                seizures, first=first, last=month.last, period="quarter"
            ),
            trend_first=first,
            trend_last=month.last,
            expiring_days=self.expiring_days,
            expiring=agreements.expiring_within(self.expiring_days).order_by("expires_on", "id")[
                :SECTION_ROWS
            ],
            recent_agreements=agreements.with_status().order_by(
                F("signed_on").desc(nulls_last=True), "-id"
            )[:8],
            recent_operations=operations.select_related("kind").order_by("-started_on", "-id")[:8],
            journal=JournalEntry.objects.visible_to(user)
            .select_related("operation", "author_partner")
            .order_by("-occurred_at", "-id")[:8],
            **kwargs,
        )


home = DashboardView.as_view()


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


def taking_part(rows, record_field: str, records) -> Coalesce:
    """For each partner (``OuterRef("pk")``), how many of ``records`` (visible agreements or
    operations) it takes part in through ``rows`` (its agreement parties or participations,
    whose ``record_field`` names the record): a subquery, so the partner list stays one
    statement."""
    counted = (
        rows.filter(partner=OuterRef("pk"), **{f"{record_field}__in": records.values("pk")})
        .order_by()
        .values("partner")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class PartnerDetailView(ViewerOnceMixin, RecordDetailView):
    """A partner's profile: who it is and belongs to, the agreements and operations it takes
    part in (those the viewer may see), whom it works with most, and what was seized."""

    model = Partner
    template_name = "cooperation/partner_detail.html"
    list_title = "Partners"
    list_url_name = "partners:list"
    context_object_name = "partner"
    history_route = "api:partner-history"

    def base_queryset(self):
        return Partner.objects.select_related("country", "parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner, user = self.object, self.request.user
        context["summary_panel"] = latest_panel(user, ScopeKind.PARTNER, str(partner.pk))
        if partner.parent:
            context["breadcrumbs"].insert(
                1, (str(partner.parent), partner.parent.get_absolute_url())
            )
        agreements = Agreement.objects.visible_to(user)
        operations = JointOperation.objects.visible_to(user)
        own_operations = operations.filter(participations__partner=partner)
        parties = (
            AgreementParty.objects.filter(partner=partner, agreement__in=agreements.values("pk"))
            .select_related("agreement")
            .order_by(F("agreement__signed_on").desc(nulls_last=True), "-agreement_id")
        )
        participations = (
            Participation.objects.filter(partner=partner, operation__in=operations.values("pk"))
            .select_related("operation", "operation__kind")
            .order_by("-operation__started_on", "-operation_id")
        )
        totals = own_operations.order_by().aggregate(
            operations=Count("pk"),
            arrests=Coalesce(Sum("arrests"), 0),
        )
        seizures_chart = figures.seizures_by_group_chart(
            Seizure.objects.visible_to(user).filter(operation__in=own_operations.values("pk")),
            period="year",
            key="partner-seizures",
            empty_text="No seizure is recorded in the operations you may see it take part in.",
        )
        context.update(
            agreement_count=parties.count(),
            parties=parties[:SECTION_ROWS],
            participations=participations[:SECTION_ROWS],
            totals=totals,
            kg_seized=sum(series.total for series in seizures_chart.series),
            co_partners=figures.co_operating_partners(partner, operations),
            seizures_chart=seizures_chart,
            section_rows=SECTION_ROWS,
            operations_url=f"{reverse('operations:list')}?partner={partner.pk}",
            agreements_url=f"{reverse('agreements:list')}?partner={partner.pk}",
        )
        if partner.kind == Partner.Kind.GOVERNMENT:
            context["agencies"] = partner.agencies.annotate(
                operations=taking_part(Participation.objects, "operation", operations),
                agreements=taking_part(AgreementParty.objects, "agreement", agreements),
            ).order_by("name")
            context["memberships"] = (
                Membership.objects.filter(member=partner)
                .select_related("organization")
                .order_by("organization__name")
            )
        if partner.kind == Partner.Kind.ORGANIZATION:
            context["members"] = (
                Membership.objects.filter(organization=partner)
                .select_related("member", "member__country")
                .order_by("member__name")
            )
        context["today"] = timezone.localdate()
        return context


def place_figures(user) -> dict[str, figures.PlaceCounts]:
    """Partners, and the agreements and operations ``user`` may see, per country and region:
    an agreement counts where its parties come from, an operation where it took place."""
    return {
        "partners": figures.place_counts(Partner.objects.all(), "country"),
        "agreements": figures.place_counts(
            Agreement.objects.visible_to(user), "parties__partner__country"
        ),
        "operations": figures.place_counts(JointOperation.objects.visible_to(user), "countries"),
    }


class CountryListView(ViewerOnceMixin, TemplateView):
    """Countries by UN M49 region and sub-region, with what is recorded for each."""

    template_name = "cooperation/country_list.html"

    def get_context_data(self, **kwargs):
        regions = geography.hierarchy(place_figures(self.request.user))
        countries = [place for region in regions for place in region.all_countries()]
        return super().get_context_data(
            regions=regions,
            highest={metric: geography.highest(countries, metric) for metric in geography.METRICS},
            breadcrumbs=[("Countries", self.request.path)],
            **kwargs,
        )


class PlaceDetailView(ViewerOnceMixin, RecordDetailView):
    """Shared by a country's page and a region's: the records of a place, found through the
    list pages' own FilterSets (``country`` or ``region``) so that a figure here and the list
    it links to always agree."""

    list_title = "Countries"
    list_url_name = "geography:countries"
    filter_name = ""  # the FilterSet parameter that selects the place

    def canonical_code(self, code: str) -> str:
        return code

    def get(self, request, *args, **kwargs):
        code = self.canonical_code(kwargs["pk"])
        if code != kwargs["pk"]:
            return redirect(request.path.replace(f"/{kwargs['pk']}/", f"/{code}/"), permanent=True)
        return super().get(request, *args, **kwargs)

    def chain(self) -> list[Region]:
        """The groupings above the place, broadest first."""
        return []

    def filtered(self, filterset_class, queryset):
        filterset = filterset_class(
            {self.filter_name: self.object.pk}, queryset=queryset, request=self.request
        )
        if not filterset.is_valid():  # the code was read from the database: cannot happen
            raise Http404
        return filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, code = self.request.user, self.object.pk
        context["summary_panel"] = latest_panel(user, self.filter_name, str(code))
        crumbs = context["breadcrumbs"]
        for position, region in enumerate(self.chain(), start=1):
            crumbs.insert(position, (region.name, region.get_absolute_url()))
        agreements = self.filtered(AgreementFilterSet, Agreement.objects.visible_to(user))
        operations = self.filtered(JointOperationFilterSet, JointOperation.objects.visible_to(user))
        seizures = self.filtered(SeizureFilterSet, Seizure.objects.visible_to(user))
        totals = operations.order_by().aggregate(
            operations=Count("pk"), arrests=Coalesce(Sum("arrests"), 0)
        )
        seizures_chart = figures.seizures_by_group_chart(
            seizures,
            period="year",
            key="place-seizures",
            title=f"Seizures in {self.object.name} per year, by substance group",
        )
        query = f"?{self.filter_name}={code}"
        context.update(
            totals=totals,
            agreement_count=agreements.count(),
            agreements=agreements.with_status().order_by(
                F("signed_on").desc(nulls_last=True), "-id"
            )[:SECTION_ROWS],
            operations=operations.select_related("kind").order_by("-started_on", "-id")[
                :SECTION_ROWS
            ],
            seizures_chart=seizures_chart,
            seizure_groups=sorted(
                seizures_chart.series, key=lambda series: series.total, reverse=True
            ),
            kg_seized=sum(series.total for series in seizures_chart.series),
            section_rows=SECTION_ROWS,
            agreements_url=reverse("agreements:list") + query,
            operations_url=reverse("operations:list") + query,
            partners_url=reverse("partners:list") + query,
        )
        return context


class CountryDetailView(PlaceDetailView):
    model = Country
    template_name = "cooperation/country_detail.html"
    context_object_name = "country"
    filter_name = "country"

    def canonical_code(self, code: str) -> str:
        return code.upper()

    def base_queryset(self):
        return Country.objects.select_related("region", "subregion", "intermediate_region")

    def chain(self):
        return self.object.regions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partners = list(
            Partner.objects.filter(country=self.object)
            .select_related("parent")
            .order_by("kind", "name")
        )
        kinds = Partner.Kind
        context.update(
            government=next((p for p in partners if p.kind == kinds.GOVERNMENT), None),
            agencies=[p for p in partners if p.kind == kinds.AGENCY],
            organizations=[p for p in partners if p.kind == kinds.ORGANIZATION],
            partner_count=len(partners),
        )
        return context


class RegionDetailView(PlaceDetailView):
    model = Region
    template_name = "cooperation/region_detail.html"
    context_object_name = "region"
    filter_name = "region"

    def canonical_code(self, code: str) -> str:
        return m49_code(code)

    def base_queryset(self):
        return Region.objects.select_related("parent", "parent__parent")

    def chain(self):
        chain, region = [], self.object.parent
        while region is not None:
            chain.insert(0, region)
            region = region.parent
        return chain

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        region = self.object
        places = {
            place.code: place
            for top in geography.hierarchy(place_figures(self.request.user))
            for place in top.rows()
        }
        here = places[region.pk]
        countries = here.all_countries()
        context.update(
            place=here,
            rows=here.descendants(),
            quiet_countries=here.quiet_countries(),
            highest={metric: geography.highest(countries, metric) for metric in geography.METRICS},
            partner_count=Partner.objects.filter(
                country__in=countries_in_regions([region.pk])
            ).count(),
        )
        return context
