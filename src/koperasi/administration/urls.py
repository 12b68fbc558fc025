"""Settings pages: cooperative AD/ART settings, staff, savings products, chart of accounts."""

from django.urls import path

from koperasi.administration import token_views, views

app_name = "settings"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("staf/", views.staff, name="staff"),
    path("staf/<int:membership_id>/peran/", views.staff_role, name="staff_role"),
    path("staf/<int:membership_id>/aktif/", views.staff_active, name="staff_active"),
    path("staf/<int:membership_id>/kata-sandi/", views.staff_password, name="staff_password"),
    path("token-api/", token_views.tokens, name="tokens"),
    path("token-api/<int:token_id>/cabut/", token_views.token_revoke, name="token_revoke"),
    path("produk-simpanan/", views.products, name="products"),
    path("produk-simpanan/<int:product_id>/ubah/", views.product_edit, name="product_edit"),
    path("akun/<str:account_code>/ubah/", views.account_edit, name="account_edit"),
]
