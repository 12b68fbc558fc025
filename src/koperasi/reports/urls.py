"""The reports under /k/<code>/laporan/."""

from django.urls import path

from koperasi.reports import savings_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("simpanan/produk/", savings_views.products, name="savings_products"),
    path("simpanan/anggota/", savings_views.members, name="savings_members"),
    path("simpanan/mutasi/", savings_views.movements, name="savings_movements"),
    path("simpanan/tunggakan-wajib/", savings_views.wajib_arrears, name="wajib_arrears"),
    path("simpanan/bunga-pajak/", savings_views.interest, name="savings_interest"),
]
