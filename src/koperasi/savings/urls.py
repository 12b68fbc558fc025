"""Staff savings pages under /k/<code>/simpanan/."""

from django.urls import path

from koperasi.savings import export_views, views

app_name = "savings"

urlpatterns = [
    path("", views.teller, name="teller"),
    path("rekening/", views.account_list, name="accounts"),
    path("rekening.xlsx", export_views.account_list_xlsx, name="accounts_xlsx"),
    path("rekening/<int:account_id>/", views.account_detail, name="account"),
    path("rekening/<int:account_id>/mutasi.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("rekening/<int:account_id>/mutasi.pdf", views.statement_pdf, name="statement_pdf"),
    path("transaksi/<int:txn_id>/kwitansi/", views.receipt, name="receipt"),
    path("transaksi/<int:txn_id>/kwitansi.pdf", views.receipt_pdf_view, name="receipt_pdf"),
    path("transaksi/<int:txn_id>/batalkan/", views.reverse_transaction, name="reverse"),
]
