"""A member's annual statement for staff, under /k/<code>/anggota/<member_id>/laporan-tahunan/."""

from django.urls import path

from koperasi.reports import member_views

urlpatterns = [
    path("", member_views.member_annual, name="member_annual"),
    path("laporan.pdf", member_views.member_annual_pdf, name="member_annual_pdf"),
]
