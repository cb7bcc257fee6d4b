from django.contrib import admin
from django.urls import include, path

from cooperation import views

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("cooperation.api.urls")),
]
