"""``/api/v1/``: every resource on one router, the OpenAPI schema and its documentation."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agreements.api.views import AgreementPartyResource, AgreementResource
from cooperation.api.imports import ImportResource
from cooperation.api.resources import (
    VOCABULARIES,
    CountryResource,
    DeletionResource,
    PartnerResource,
    RegionResource,
    vocabulary_resource,
)
from cooperation.api.views import NoSuchPath
from operations.api.stats import OperationStats, SeizureStats
from operations.api.views import (
    ImpactReportResource,
    JournalEntryResource,
    LegalBasisResource,
    OperationResource,
    ParticipationResource,
    SeizureResource,
)
from summaries.api.views import SummaryResource

app_name = "api"

router = DefaultRouter()
router.register("regions", RegionResource, basename="region")
router.register("countries", CountryResource, basename="country")
router.register("partners", PartnerResource, basename="partner")
router.register("agreements", AgreementResource, basename="agreement")
router.register("agreement-parties", AgreementPartyResource, basename="agreementparty")
router.register("operations", OperationResource, basename="operation")
router.register("participations", ParticipationResource, basename="participation")
router.register("seizures", SeizureResource, basename="seizure")
router.register("legal-bases", LegalBasisResource, basename="legalbasis")
router.register("impact-reports", ImpactReportResource, basename="impactreport")
router.register("journal-entries", JournalEntryResource, basename="journalentry")
router.register("summaries", SummaryResource, basename="summary")
router.register("deleted", DeletionResource, basename="deletion")
router.register("imports", ImportResource, basename="import")
for prefix, (model, extra) in VOCABULARIES.items():
    router.register(prefix, vocabulary_resource(model, prefix, extra), basename=prefix)

urlpatterns = [
    path("stats/seizures/", SeizureStats.as_view(), name="stats-seizures"),
    path("stats/operations/", OperationStats.as_view(), name="stats-operations"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the CSP allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    # Last: what nothing above matched (with the slash that APPEND_SLASH adds).
    re_path(r"^[\s\S]*/$", NoSuchPath.as_view()),  # any path, a newline in it too
]
