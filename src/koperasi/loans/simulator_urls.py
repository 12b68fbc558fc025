"""The member portal's loan simulator, under /saya/simulasi-pinjaman/."""

from django.urls import path

from koperasi.loans import views

urlpatterns = [
    path("", views.portal_simulator, name="portal_loan_simulator"),
]
