"""The close pages under /k/<code>/tutup-buku/."""

from django.urls import path

from koperasi.closing import views

app_name = "closing"

urlpatterns = [
    path("", views.close, name="close"),
    path("hari/", views.close_day, name="close_day"),
    path("bulan/", views.close_month, name="close_month"),
    path("run/<int:run_id>/", views.run_detail, name="run"),
    path("run/<int:run_id>/progress/", views.run_progress, name="run_progress"),
    path("riwayat/", views.history, name="history"),
    path("pajak/<int:year>/<int:month>/", views.withholding, name="withholding"),
]
