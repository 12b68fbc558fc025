"""The member portal's loans, under /saya/pinjaman/: only the logged-in member's own."""

from django.urls import path

from koperasi.loans import portal_views, receipt_views

app_name = "myloans"

urlpatterns = [
    path("", portal_views.loan_list, name="list"),
    path("<int:loan_id>/", portal_views.loan_detail, name="detail"),
    path("ajukan/", portal_views.apply, name="apply"),
    path("kwitansi/<int:txn_id>/", receipt_views.my_receipt, name="receipt"),
    path("kwitansi/<int:txn_id>.pdf", receipt_views.my_receipt_pdf, name="receipt_pdf"),
    path("pengajuan/<int:application_id>/", portal_views.application_detail, name="application"),
]
