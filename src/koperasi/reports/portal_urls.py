"""The member's own annual statement, under /saya/laporan-tahunan/."""

from django.urls import path

from koperasi.reports import member_views

urlpatterns = [
    path("", member_views.portal_annual, name="portal_annual"),
    path("laporan.pdf", member_views.portal_annual_pdf, name="portal_annual_pdf"),
]
