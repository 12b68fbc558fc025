"""The SHU pages under /k/<code>/shu/."""

from django.urls import path

from koperasi.shu import views

app_name = "shu"

urlpatterns = [
    path("tutup-tahun/", views.year_close, name="year_close"),
    path("aturan/", views.shu_settings, name="settings"),
    path("<int:year>/usulan/", views.proposal, name="proposal"),
    path("<int:year>/bagikan/", views.distribute, name="distribute"),
]
