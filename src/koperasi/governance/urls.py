"""The RAT's staff pages under /k/<code>/rat/."""

from django.urls import path

from koperasi.governance import agenda_views, views

app_name = "rat"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("baru/", views.meeting_new, name="new"),
    path("pengaturan/", views.settings_page, name="settings"),
    path("<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("<int:meeting_id>/ubah/", views.meeting_edit, name="edit"),
    path("<int:meeting_id>/kuorum/", views.quorum, name="quorum"),
    path("<int:meeting_id>/kehadiran/", views.attendance, name="attendance"),
    path("<int:meeting_id>/umumkan/", views.announce, name="announce"),
    path("<int:meeting_id>/buka/", views.open_meeting, name="open"),
    path("<int:meeting_id>/tutup/", views.close_meeting, name="close"),
    path("<int:meeting_id>/tanda-tangan/", views.sign, name="sign"),
    path("<int:meeting_id>/terapkan/", views.apply_decisions, name="apply"),
    path("<int:meeting_id>/hadir/", views.venue_check_in, name="check_in"),
    path("<int:meeting_id>/agenda/", agenda_views.add_item, name="add_item"),
    path("<int:meeting_id>/berita-acara.pdf", agenda_views.minutes_pdf, name="minutes_pdf"),
    path("agenda/<int:item_id>/dokumen/", agenda_views.add_document, name="add_document"),
    path("agenda/<int:item_id>/laporan/", agenda_views.add_statement, name="add_statement"),
    path("agenda/<int:item_id>/kandidat/", agenda_views.add_candidate, name="add_candidate"),
    path("agenda/<int:item_id>/buka/", agenda_views.open_item, name="open_item"),
    path("agenda/<int:item_id>/tutup/", agenda_views.close_item, name="close_item"),
    path("dokumen/<int:document_id>/", views.document, name="document"),
]
