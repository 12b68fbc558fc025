"""Page routes. Staff pages live under /k/<code>/ (the cooperative), the member portal under
/anggota/. Each app owns its own urls module."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from koperasi.web import account_views, audit_views, portal_views, views

staff_patterns = [
    path("", views.dashboard, name="dashboard"),
    path("anggota/<int:member_id>/laporan-tahunan/", include("koperasi.reports.member_urls")),
    path("anggota/", include("koperasi.membership.urls")),
    path("simpanan/", include("koperasi.savings.urls")),
    path("buku-besar/", include("koperasi.ledger.urls")),
    path("pinjaman/", include("koperasi.loans.staff_urls")),
    path("pinjaman/", include("koperasi.loans.document_urls")),
    path("laporan/", include("koperasi.reports.urls")),
    path("shu/", include("koperasi.shu.urls")),
    path("kas/", include("koperasi.cashdesk.urls")),
    path("rat/", include("koperasi.governance.urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit.xlsx", audit_views.audit_log_xlsx, name="audit_log_xlsx"),
    path("pengaturan/", include("koperasi.administration.urls")),
]

portal_patterns = [
    path("", portal_views.portal_home, name="portal_home"),
    path("rekening/<int:account_id>/", portal_views.portal_statement, name="portal_statement"),
    path(
        "rekening/<int:account_id>/mutasi.pdf",
        portal_views.portal_statement_pdf,
        name="portal_statement_pdf",
    ),
    path("laporan-tahunan/", include("koperasi.reports.portal_urls")),
    path("shu/", include("koperasi.shu.portal_urls")),
    path("profil/", portal_views.portal_profile, name="portal_profile"),
    path("simulasi-pinjaman/", include("koperasi.loans.simulator_urls")),
    path(
        "profil/token-api/<int:token_id>/cabut/",
        portal_views.portal_token_revoke,
        name="portal_token_revoke",
    ),
    path(
        "simulasi-jasa-simpanan/",
        portal_views.portal_interest_simulation,
        name="portal_interest_simulation",
    ),
    path("pinjaman/", include("koperasi.loans.portal_urls")),
    path("rat/", include("koperasi.governance.portal_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("akun/kata-sandi/", account_views.password_change, name="password_change"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("k/<slug:code>/", include(staff_patterns)),
    path("saya/", include(portal_patterns)),
    path("koperasi/<slug:code>/", include("koperasi.loans.urls")),
]
