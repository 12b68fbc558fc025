"""The member portal's loans, under /saya/pinjaman/: only the logged-in member's own."""

from django.urls import path

from koperasi.loans import portal_views

app_name = "myloans"

urlpatterns = [
    path("", portal_views.loan_list, name="list"),
    path("<int:loan_id>/", portal_views.loan_detail, name="detail"),
    path("ajukan/", portal_views.apply, name="apply"),
    path("pengajuan/<int:application_id>/", portal_views.application_detail, name="application"),
]
