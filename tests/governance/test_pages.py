"""The RAT's pages: the manager plans, announces and runs the meeting; members check in and vote
in the portal; refusals show their message with a 4xx; another cooperative's staff get 404;
the minutes PDF carries the attendance, the result and the signatures."""

import datetime as dt
import shutil
import subprocess
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from koperasi.governance import services
from koperasi.governance.models import AgendaDocument, Meeting
from koperasi.members import services as members
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user
from tests.governance.conftest import motion, voting_snapshot


def pdf_text(content: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def portal_client(coop, member) -> Client:
    user = members.create_portal_login(
        cooperative=coop,
        actor=None,
        member=member,
        password="sandi-anggota-yang-panjang-1",
        username=f"m{member.pk}",
    )
    return logged_in(user)


def url(name, coop=None, **kwargs):
    if coop is not None:
        kwargs["code"] = coop.code
    return reverse(name, kwargs=kwargs)


def test_the_manager_plans_and_announces_a_meeting(coop, manager, teller, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client = logged_in(manager)
    day = timezone.localdate() + dt.timedelta(days=20)
    response = client.post(
        url("rat:new", coop),
        {
            "kind": "annual",
            "financial_year": day.year - 1,
            "day": day.isoformat(),
            "time": "09:00",
            "mode": "hybrid",
            "place": "Aula Koperasi",
            "online_link": "https://meet.example/rat",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(cooperative=coop)
    page = url("rat:meeting", coop, meeting_id=meeting.pk)
    response = client.post(
        url("rat:add_item", coop, meeting_id=meeting.pk),
        {
            "item-title": "Simpanan wajib",
            "item-kind": "motion",
            "item-seats": "1",
            "item-decision_kind": "wajib_amount",
            "item-decision_value": "35.000",
            "item-effective_on": day.isoformat(),
        },
    )
    assert response.status_code == 302
    item = motion(meeting)
    client.post(url("rat:add_statement", coop, item_id=item.pk), {"stmt-statement": "activity"})
    pdf = SimpleUploadedFile("lpj.pdf", b"%PDF-1.4 laporan", content_type="application/pdf")
    client.post(
        url("rat:add_document", coop, item_id=item.pk), {"doc-title": "LPJ", "doc-file": pdf}
    )
    fake = SimpleUploadedFile("x.pdf", b"MZ not a pdf", content_type="application/pdf")
    refused = client.post(
        url("rat:add_document", coop, item_id=item.pk), {"doc-title": "X", "doc-file": fake}
    )
    assert refused.status_code == 400 and "Unggah berkas PDF." in refused.content.decode()
    assert AgendaDocument.objects.filter(item=item).count() == 2
    html = client.get(page).content.decode()
    assert f"?date_from={day.year - 1}-01-01&amp;date_to={day.year - 1}-12-31" in html
    assert "Besar simpanan wajib → Rp 35.000" in html
    assert client.post(url("rat:announce", coop, meeting_id=meeting.pk)).status_code == 302
    html = client.get(page).content.decode()
    link = html.split('href="https://wa.me/?text=')[1].split('"')[0]
    assert "Undangan: Rapat Anggota Tahunan (RAT)" in unquote(link)
    # Announced twice: refused on the page.
    again = client.post(url("rat:announce", coop, meeting_id=meeting.pk))
    assert again.status_code == 409 and "Rapat ini sudah diumumkan." in again.content.decode()
    # The portal shows the banner on every page.
    member = portal_client(coop, make_member(coop, teller))
    assert (
        "Agenda, daftar hadir dan pemungutan suara"
        in member.get(url("portal_home")).content.decode()
    )


def test_members_check_in_and_vote_in_the_portal(coop, manager, teller, meeting, voters):
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    item = motion(meeting)
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    phone = portal_client(coop, voters[0])
    page = url("myrat:meeting", meeting_id=meeting.pk)
    # Voting before checking in is refused.
    response = phone.post(url("myrat:vote", item_id=item.pk), {"choice": "agree"})
    assert response.status_code == 403
    assert "Isi daftar hadir rapat sebelum memberi suara." in response.content.decode()
    assert phone.post(url("myrat:check_in", meeting_id=meeting.pk)).status_code == 302
    assert phone.post(url("myrat:vote", item_id=item.pk), {"choice": "agree"}).status_code == 302
    html = phone.get(page).content.decode()
    assert "Anda sudah memberi suara untuk mata acara ini. Pilihan Anda rahasia." in html
    before = voting_snapshot()
    twice = phone.post(url("myrat:vote", item_id=item.pk), {"choice": "disagree"})
    assert twice.status_code == 409
    assert "Anda sudah memberi suara untuk mata acara ini." in twice.content.decode()
    assert voting_snapshot() == before
    # The staff's live counter.
    counter = logged_in(manager).get(url("rat:quorum", coop, meeting_id=meeting.pk))
    assert 'hx-trigger="every 5s"' in counter.content.decode()
    assert "1 / 2" in counter.content.decode()


def test_another_cooperatives_staff_and_members_get_404(coop, other_coop, manager, meeting):
    stranger = logged_in(make_user("orang-lain", other_coop, Role.MANAGER))
    assert stranger.get(url("rat:meeting", coop, meeting_id=meeting.pk)).status_code == 404
    assert stranger.get(url("rat:meeting", other_coop, meeting_id=meeting.pk)).status_code == 404
    outsider = portal_client(other_coop, make_member(other_coop, None))
    assert outsider.get(url("myrat:meeting", meeting_id=meeting.pk)).status_code == 404
    # A teller checks in but does not run the meeting.
    teller = logged_in(make_user("kasir-2", coop, Role.TELLER))
    assert teller.post(url("rat:open", coop, meeting_id=meeting.pk)).status_code == 403
    assert Meeting.objects.get(pk=meeting.pk).status == "announced"


def test_the_minutes_pdf_shows_attendance_results_and_signatures(coop, manager, session, voters):
    item = motion(session)
    for member, choice in zip(voters, ("agree", "agree", "abstain"), strict=True):
        services.vote(cooperative=coop, member=member, item_id=item.pk, choice=choice)
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    services.close_meeting(cooperative=coop, actor=manager, meeting_id=session.pk)
    client = logged_in(manager)
    assert (
        client.post(url("rat:sign", coop, meeting_id=session.pk), {"as_role": "chair"}).status_code
        == 302
    )
    same = client.post(url("rat:sign", coop, meeting_id=session.pk), {"as_role": "secretary"})
    assert same.status_code == 400
    assert "Pimpinan rapat dan notulis harus dua orang yang berbeda." in same.content.decode()
    pdf = client.get(url("rat:minutes_pdf", coop, meeting_id=session.pk))
    assert pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    assert "BERITA ACARA RAPAT" in text
    assert "3 dari 3 anggota aktif hadir (3 daring, 0 di tempat)" in text
    assert "Setuju 2, Tidak setuju 0," in text and "Abstain 1" in text
    assert "3 / 3 (100,0 %)" in text
    assert "Disetujui" in text
    assert voters[0].name in text
    assert "Ditandatangani di sistem" in text
