"""Staff lending pages under /k/<code>/pinjaman/ (the loan documents and payroll import are
routed by `document_urls`)."""

from django.urls import path

from koperasi.loans import views

app_name = "lending"

urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("ringkasan/", views.portfolio_summary, name="portfolio_summary"),
    path("antrian/", views.queue, name="queue"),
    path("pengajuan/baru/", views.apply, name="apply"),
    path("pengajuan/<int:application_id>/", views.application_detail, name="application"),
    path("pengajuan/<int:application_id>/analisis/", views.analyse, name="analyse"),
    path("pengajuan/<int:application_id>/dokumen/", views.upload_document, name="upload"),
    path("pengajuan/<int:application_id>/setujui/", views.approve, name="approve"),
    path("pengajuan/<int:application_id>/tolak/", views.reject, name="reject"),
    path("pengajuan/<int:application_id>/cairkan/", views.disburse, name="disburse"),
    path("dokumen/<int:document_id>/", views.document, name="document"),
    path("produk/", views.products, name="products"),
    path("produk/baru/", views.product_new, name="product_new"),
    path("produk/<int:product_id>/", views.product_edit, name="product_edit"),
    path("transaksi/<int:txn_id>/batalkan/", views.reverse_repayment, name="reverse"),
    path("<int:loan_id>/", views.loan_detail, name="loan"),
    path("<int:loan_id>/angsuran/", views.repay, name="repay"),
    path("<int:loan_id>/pelunasan/", views.pay_off, name="payoff"),
    path("<int:loan_id>/penilaian/", views.assess, name="assess"),
    path("<int:loan_id>/pemulihan/", views.recover, name="recover"),
    path("<int:loan_id>/restrukturisasi/", views.propose_restructuring, name="restructure"),
    path(
        "<int:loan_id>/restrukturisasi/<int:restructuring_id>/keputusan/",
        views.decide_restructuring,
        name="restructure_decide",
    ),
    path("<int:loan_id>/hapus-buku/", views.propose_write_off, name="write_off"),
    path(
        "<int:loan_id>/hapus-buku/<int:request_id>/keputusan/",
        views.decide_write_off,
        name="write_off_decide",
    ),
]
