from django.urls import path

from agreements import views
from agreements.models import Agreement
from cooperation.generic_views import RevertView, ReviewView

app_name = "agreements"

urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path("<int:pk>/review/", ReviewView.as_view(model=Agreement), name="review"),
    path(
        "<int:pk>/history/revert/",
        RevertView.as_view(model=Agreement),
        name="revert",
    ),
    path("<int:pk>/", views.AgreementDetailView.as_view(), name="detail"),
]
