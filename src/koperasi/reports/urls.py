"""The reports under /k/<code>/laporan/."""

from django.urls import path

from koperasi.reports import health_views, portfolio_views, savings_views, statement_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("pemetaan-akun/", statement_views.account_lines, name="account_lines"),
    path("kesehatan/", health_views.assessment, name="health"),
    path("kesehatan.pdf", health_views.assessment_pdf, name="health_pdf"),
    path("kesehatan.xlsx", health_views.assessment_xlsx, name="health_xlsx"),
    path("kesehatan/kuesioner/", health_views.questionnaire, name="health_questionnaire"),
    path("kesehatan/bobot/", health_views.health_weights, name="health_weights"),
    path(
        "pemetaan-akun/<str:account_code>/",
        statement_views.set_account_line,
        name="set_account_line",
    ),
    path("ods/", views.ods, name="ods"),
    path("ods/ods.xlsx", views.ods_xlsx, name="ods_xlsx"),
    path("ods/ods.csv", views.ods_csv, name="ods_csv"),
    path("simpanan/produk/", savings_views.products, name="savings_products"),
    path("simpanan/anggota/", savings_views.members, name="savings_members"),
    path("simpanan/mutasi/", savings_views.movements, name="savings_movements"),
    path("simpanan/tunggakan-wajib/", savings_views.wajib_arrears, name="wajib_arrears"),
    path("simpanan/bunga-pajak/", savings_views.interest, name="savings_interest"),
]
for _kind, _slug in statement_views.SLUGS.items():
    urlpatterns += [
        path(f"{_slug}/", statement_views.view(_kind, "html"), name=_kind),
        path(f"{_slug}.pdf", statement_views.view(_kind, "pdf"), name=f"{_kind}_pdf"),
        path(f"{_slug}.xlsx", statement_views.view(_kind, "xlsx"), name=f"{_kind}_xlsx"),
    ]

# The loan portfolio: each report on screen, as XLSX and as PDF.
for _slug, _name, _views in (
    ("kualitas", "portfolio_quality", portfolio_views.quality_views),
    ("tunggakan", "portfolio_arrears", portfolio_views.arrears_views),
    ("pencairan-angsuran", "portfolio_flows", portfolio_views.flows_views),
    ("petugas", "portfolio_officers", portfolio_views.officers_views),
    ("jatuh-tempo", "portfolio_maturity", portfolio_views.maturity_views),
):
    urlpatterns += [
        path(f"portofolio/{_slug}/", _views[0], name=_name),
        path(f"portofolio/{_slug}.xlsx", _views[1], name=f"{_name}_xlsx"),
        path(f"portofolio/{_slug}.pdf", _views[2], name=f"{_name}_pdf"),
    ]
