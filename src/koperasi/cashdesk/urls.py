"""The tellers' cash pages under /k/<code>/kas/."""

from django.urls import path

from koperasi.cashdesk import views

app_name = "cashdesk"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("hitung/", views.submit, name="submit"),
    path("hitung/<int:count_id>/", views.count_detail, name="count"),
    path("hitung/<int:count_id>/pdf/", views.count_pdf, name="count_pdf"),
    path("hitung/<int:count_id>/setujui/", views.approve, name="approve"),
    path("hitung/<int:count_id>/tolak/", views.reject, name="reject"),
    path("kantor/", views.office, name="office"),
    path("teller/<int:user_id>/", views.teller, name="teller"),
    path("buku-harian/", views.day_book, name="day_book"),
]
