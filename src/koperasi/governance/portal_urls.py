"""The RAT in the member portal, under /saya/rat/."""

from django.urls import path

from koperasi.governance import portal_views

app_name = "myrat"

urlpatterns = [
    path("", portal_views.index, name="index"),
    path("<int:meeting_id>/", portal_views.meeting_detail, name="meeting"),
    path("<int:meeting_id>/kuorum/", portal_views.quorum, name="quorum"),
    path("<int:meeting_id>/hadir/", portal_views.check_in, name="check_in"),
    path("<int:meeting_id>/berita-acara.pdf", portal_views.minutes_pdf, name="minutes_pdf"),
    path("agenda/<int:item_id>/pilih/", portal_views.vote, name="vote"),
    path("dokumen/<int:document_id>/", portal_views.document, name="document"),
]
