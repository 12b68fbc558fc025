"""The reports under /k/<code>/laporan/."""

from django.urls import path

from koperasi.reports import portfolio_views, views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
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
