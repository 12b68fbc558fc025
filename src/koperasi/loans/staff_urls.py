"""Staff lending pages under /k/<code>/pinjaman/ (the loan documents and payroll import are
routed by `document_urls`)."""

from django.urls import path

from koperasi.loans import (
    application_views,
    collection_views,
    export_views,
    loan_views,
    product_views,
    receipt_views,
)

app_name = "lending"

urlpatterns = [
    path("", application_views.portfolio, name="portfolio"),
    path("portofolio.xlsx", export_views.portfolio_xlsx, name="portfolio_xlsx"),
    path("ringkasan/", application_views.portfolio_summary, name="portfolio_summary"),
    path("antrian/", application_views.queue, name="queue"),
    path("pengajuan/baru/", application_views.apply, name="apply"),
    path(
        "pengajuan/<int:application_id>/", application_views.application_detail, name="application"
    ),
    path("pengajuan/<int:application_id>/analisis/", application_views.analyse, name="analyse"),
    path(
        "pengajuan/<int:application_id>/dokumen/", application_views.upload_document, name="upload"
    ),
    path("pengajuan/<int:application_id>/setujui/", application_views.approve, name="approve"),
    path("pengajuan/<int:application_id>/tolak/", application_views.reject, name="reject"),
    path("pengajuan/<int:application_id>/cairkan/", application_views.disburse, name="disburse"),
    path("dokumen/<int:document_id>/", application_views.document, name="document"),
    path("produk/", product_views.products, name="products"),
    path("produk/baru/", product_views.product_new, name="product_new"),
    path("produk/<int:product_id>/", product_views.product_edit, name="product_edit"),
    path("transaksi/<int:txn_id>/batalkan/", loan_views.reverse_repayment, name="reverse"),
    path("transaksi/<int:txn_id>/kwitansi/", receipt_views.receipt, name="receipt"),
    path("transaksi/<int:txn_id>/kwitansi.pdf", receipt_views.receipt_pdf_view, name="receipt_pdf"),
    path("<int:loan_id>/", loan_views.loan_detail, name="loan"),
    path("<int:loan_id>/angsuran/", loan_views.repay, name="repay"),
    path("<int:loan_id>/pelunasan/", loan_views.pay_off, name="payoff"),
    path("<int:loan_id>/penilaian/", loan_views.assess, name="assess"),
    path("<int:loan_id>/penagihan/", collection_views.add_note, name="collection_note"),
    path("<int:loan_id>/pemulihan/", loan_views.recover, name="recover"),
    path("<int:loan_id>/restrukturisasi/", loan_views.propose_restructuring, name="restructure"),
    path(
        "<int:loan_id>/restrukturisasi/<int:restructuring_id>/keputusan/",
        loan_views.decide_restructuring,
        name="restructure_decide",
    ),
    path("<int:loan_id>/hapus-buku/", loan_views.propose_write_off, name="write_off"),
    path(
        "<int:loan_id>/hapus-buku/<int:request_id>/keputusan/",
        loan_views.decide_write_off,
        name="write_off_decide",
    ),
]
