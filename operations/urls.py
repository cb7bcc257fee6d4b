from django.urls import path

from cooperation.generic_views import RevertView, ReviewView
from operations import views
from operations.models import JointOperation

app_name = "operations"

urlpatterns = [
    path("", views.OperationListView.as_view(), name="list"),
    path("new/", views.OperationEditView.as_view(), name="create"),
    path("<int:pk>/review/", ReviewView.as_view(model=JointOperation), name="review"),
    path(
        "<int:pk>/history/revert/",
        RevertView.as_view(model=JointOperation),
        name="revert",
    ),
    path("<int:pk>/", views.OperationDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.OperationEditView.as_view(), name="edit"),
    path("<int:pk>/journal/new/", views.JournalEntryCreateView.as_view(), name="journal-add"),
    path("<int:pk>/impact/new/", views.ImpactReportCreateView.as_view(), name="impact-add"),
]
