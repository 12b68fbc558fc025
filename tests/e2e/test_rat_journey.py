"""The RAT online: the manager opens the meeting and the voting → three members check in and vote
on their phones (390 px) → the manager closes the item → the minutes PDF shows the result.
Real Chromium, real server, screenshots in test-artifacts/."""

import datetime as dt

import pytest
from django.utils import timezone

from koperasi.governance import services
from koperasi.members import services as members
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_coop, make_member, make_user
from tests.e2e.conftest import VIEWPORTS, BrowserProblems, scroll_width, shot
from tests.e2e.test_teller_journey import login
from tests.governance.test_pages import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)
MEMBER_PASSWORD = "tenun-ikat-sikka-88"


def test_manager_opens_the_rat_members_vote_on_phones_minutes_show_the_result(
    live_server, browser, settings
):
    settings.AXES_ENABLED = False
    coop = make_coop(code="flores", name="KSP Kopdit Flores")
    manager = make_user("manajer", coop, Role.MANAGER)
    people = [make_member(coop, None, name=n) for n in ("Maria Lewa", "Yosef Mbete", "Ina Wara")]
    for person in people:
        members.create_portal_login(
            cooperative=coop,
            actor=None,
            member=person,
            password=MEMBER_PASSWORD,
            username=person.number.lower(),
        )
    meeting = services.create_meeting(
        cooperative=coop,
        actor=manager,
        kind="annual",
        financial_year=timezone.localdate().year - 1,
        starts_at=timezone.now() + dt.timedelta(minutes=30),
        mode="hybrid",
        place="Aula Koperasi, Maumere",
        online_link="https://meet.example/rat-flores",
    )
    item = services.add_item(
        cooperative=coop,
        actor=manager,
        meeting_id=meeting.pk,
        title="Pengesahan laporan pertanggungjawaban pengurus",
        kind="motion",
    )
    services.add_statement(cooperative=coop, actor=manager, item_id=item.pk, statement="position")
    services.announce_meeting(
        cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=live_server.url
    )
    base = live_server.url
    meeting_url = f"{base}/k/flores/rat/{meeting.pk}/"

    desk = browser.new_context(locale="id-ID", viewport=VIEWPORTS["desktop"])
    chair = desk.new_page()
    chair.set_default_timeout(15_000)
    chair.on("dialog", lambda dialog: dialog.accept())
    chair_problems = BrowserProblems(chair)
    login(chair, base, "manajer", PASSWORD)
    chair.wait_for_url(f"{base}/k/flores/")
    chair.click("nav >> text=RAT")
    chair.click(f"a[href='/k/flores/rat/{meeting.pk}/']")
    chair.click("button[data-action=open-meeting]")
    chair.wait_for_selector("[data-status=open]")
    chair.click("button[data-action=open-item]")
    chair.wait_for_selector("[data-item-status=open]")
    shot(chair, "rat-01-manager-opens")

    for person, choice in zip(people, ("Setuju", "Setuju", "Tidak setuju"), strict=True):
        phone = browser.new_context(locale="id-ID", viewport=VIEWPORTS["phone"])
        page = phone.new_page()
        page.set_default_timeout(15_000)
        problems = BrowserProblems(page)
        login(page, base, person.number.lower(), MEMBER_PASSWORD)
        page.wait_for_load_state()
        assert "Agenda, daftar hadir dan pemungutan suara" in page.content()  # the banner
        page.click("text=Agenda, daftar hadir dan pemungutan suara")
        page.click("button[data-action=check-in]")
        page.wait_for_selector("[data-checked-in]")
        page.get_by_label(choice, exact=True).check()
        page.click("button[data-action=vote]")
        page.wait_for_selector("[data-voted]")
        assert scroll_width(page) <= VIEWPORTS["phone"]["width"]
        shot(page, f"rat-02-member-{person.number}-voted")
        phone.close()
        assert problems.seen == []

    chair.goto(meeting_url)
    assert "3 / 2" in chair.inner_text("#quorum")  # three present, two make the quorum
    chair.click("button[data-action=close-item]")
    chair.wait_for_selector("[data-item-status=closed]")
    result = chair.inner_text(f"[data-item-result='{item.pk}']")
    assert "Setuju\t2" in result or "Setuju 2" in " ".join(result.split())
    shot(chair, "rat-03-result")
    chair.click("form[action$='/tutup/'][data-confirm] button")
    chair.wait_for_selector("[data-status=closed]")
    minutes = chair.request.get(f"{meeting_url}berita-acara.pdf")
    assert minutes.status == 200 and minutes.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(minutes.body()).split())
    assert "Pengesahan laporan pertanggungjawaban pengurus" in text
    assert "Setuju 2, Tidak setuju 1," in text and "Disetujui" in text
    assert "3 dari 3 anggota aktif hadir (3 daring, 0 di tempat)" in text
    desk.close()
    assert chair_problems.seen == []
