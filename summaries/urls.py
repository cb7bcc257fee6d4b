from django.urls import path

from summaries import views

app_name = "summaries"

urlpatterns = [path("", views.SummaryView.as_view(), name="list")]
