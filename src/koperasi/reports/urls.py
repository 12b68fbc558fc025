"""The reports under /k/<code>/laporan/."""

from django.urls import path

from koperasi.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
]
