from django.urls import path

from koperasi.membership import export_views, views

app_name = "members"

urlpatterns = [
    path("", views.member_list, name="list"),
    path("anggota.xlsx", export_views.member_list_xlsx, name="list_xlsx"),
    path("baru/", views.member_register, name="register"),
    path("impor/", views.member_import, name="import"),
    path("impor/template.csv", views.import_template, name="import_template"),
    path("<int:member_id>/", views.member_detail, name="detail"),
    path("<int:member_id>/ubah/", views.member_edit, name="edit"),
    path("<int:member_id>/keluar/", views.member_exit, name="exit"),
    path("<int:member_id>/login-portal/", views.portal_login, name="portal_login"),
]
