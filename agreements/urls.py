from django.urls import path

from agreements import views

app_name = "agreements"
urlpatterns = [
    path("", views.AgreementListView.as_view(), name="list"),
    path("<int:pk>/", views.AgreementDetailView.as_view(), name="detail"),
]
