from django.urls import path

from operations import views

app_name = "operations"
urlpatterns = [
    path("", views.OperationListView.as_view(), name="list"),
    path("<int:pk>/", views.OperationDetailView.as_view(), name="detail"),
]
