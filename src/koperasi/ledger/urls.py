"""The books' pages under /k/<code>/buku-besar/."""

from django.urls import path

from koperasi.ledger import export_views, views

app_name = "ledger"

urlpatterns = [
    path("akun/", views.chart, name="accounts"),
    path("akun/<str:account_code>/", views.account_ledger, name="account"),
    path("neraca-saldo/", views.trial_balance, name="trial_balance"),
    path("neraca-saldo.xlsx", views.trial_balance_xlsx, name="trial_balance_xlsx"),
    path("jurnal/", views.journal, name="journal"),
    path("jurnal.xlsx", export_views.journal_xlsx, name="journal_xlsx"),
    path("jurnal/baru/", views.new_entry, name="new_entry"),
    path("jurnal/<int:entry_id>/", views.entry_detail, name="entry"),
    path("jurnal/<int:entry_id>/balik/", views.reverse_entry, name="reverse_entry"),
    path("tutup-buku/", views.close, name="close"),
]
