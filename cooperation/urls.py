from django.contrib import admin
from django.urls import include, path

from cooperation import autocomplete, health, import_views, observability, search, views

partner_patterns = (
    [
        path("", views.PartnerListView.as_view(), name="list"),
        path("<int:pk>/", views.PartnerDetailView.as_view(), name="detail"),
    ],
    "partners",
)
geography_patterns = (
    [
        path("countries/", views.CountryListView.as_view(), name="countries"),
        path("countries/<str:pk>/", views.CountryDetailView.as_view(), name="country"),
        path("regions/<str:pk>/", views.RegionDetailView.as_view(), name="region"),
    ],
    "geography",
)
# Suggestions for the autocomplete boxes of the portal's forms.
autocomplete_patterns = (
    [
        path("partners/", autocomplete.PartnerSuggestions.as_view(), name="partners"),
        path("countries/", autocomplete.CountrySuggestions.as_view(), name="countries"),
        path("agreements/", autocomplete.AgreementSuggestions.as_view(), name="agreements"),
    ],
    "autocomplete",
)

import_patterns = (
    [
        path("", import_views.ImportListView.as_view(), name="list"),
        path(
            "templates/<str:kind>.<str:suffix>",
            import_views.ImportTemplateView.as_view(),
            name="template",
        ),
        path("<uuid:uuid>/", import_views.ImportDetailView.as_view(), name="detail"),
        path("<uuid:uuid>/confirm/", import_views.ImportConfirmView.as_view(), name="confirm"),
        path(
            "<uuid:uuid>/problems.csv", import_views.ImportProblemsView.as_view(), name="problems"
        ),
    ],
    "imports",
)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    path("", views.home, name="home"),
    path("agreements/", include("agreements.urls")),
    path("operations/", include("operations.urls")),
    path("partners/", include(partner_patterns)),
    path("", include(geography_patterns)),
    path("search/", search.search, name="search"),
    path("imports/", include(import_patterns)),
    path("summaries/", include("summaries.urls")),
    path("autocomplete/", include(autocomplete_patterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cooperation.api.urls")),
]
