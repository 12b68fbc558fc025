"""The SHU pages under /k/<code>/shu/."""

from django.urls import path

from koperasi.shu import payment_views, views

app_name = "shu"

urlpatterns = [
    path("tutup-tahun/", views.year_close, name="year_close"),
    path("aturan/", views.shu_settings, name="settings"),
    path("<int:year>/usulan/", views.proposal, name="proposal"),
    path("<int:year>/bagikan/", views.distribute, name="distribute"),
    path("<int:year>/pembagian/", payment_views.distribution_report, name="distribution"),
    path("<int:year>/pembagian.pdf", payment_views.distribution_pdf, name="distribution_pdf"),
    path("<int:year>/pembagian.xlsx", payment_views.distribution_xlsx, name="distribution_xlsx"),
    path("<int:year>/pembagian/ke-simpanan/", payment_views.pay_into_savings, name="pay_savings"),
    path("<int:year>/pembagian/<int:member_id>/tunai/", payment_views.pay_cash, name="pay_cash"),
    path("kwitansi/<int:share_id>/", payment_views.cash_receipt, name="cash_receipt"),
    path("kwitansi/<int:share_id>.pdf", payment_views.cash_receipt_pdf, name="cash_receipt_pdf"),
]
