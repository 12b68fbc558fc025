"""The member's own SHU, under /saya/shu/."""

from django.urls import path

from koperasi.shu import portal_views

urlpatterns = [
    path("", portal_views.my_shu, name="portal_shu"),
    path("<int:year>/slip.pdf", portal_views.my_shu_pdf, name="portal_shu_pdf"),
]
