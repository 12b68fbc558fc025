"""The reports under /k/<code>/laporan/."""

from django.urls import path

from koperasi.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("ods/", views.ods, name="ods"),
    path("ods/ods.xlsx", views.ods_xlsx, name="ods_xlsx"),
    path("ods/ods.csv", views.ods_csv, name="ods_csv"),
]
