"""The demo cooperative's year end, health questionnaire and annual members' meeting (RAT),
seeded through the services after its history (see `koperasi.demo`)."""

import contextlib
import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from koperasi.domain.health import QUESTIONS as HEALTH_QUESTIONS
from koperasi.errors import ServiceError
from koperasi.governance import services as rat
from koperasi.ledger import services as ledger
from koperasi.ledger.selectors import first_entry_date
from koperasi.members.models import Member
from koperasi.reports import services as reports
from koperasi.tenancy.models import Cooperative


def seed_governance(coop: Cooperative, today: dt.date) -> None:
    """Last year's December closed (so the year can be closed from the page "Tutup tahun dan
    SHU", then its SHU simulated and distributed), the board's answers to the health
    questionnaire (two "no"s), and the RAT."""
    first = first_entry_date(cooperative=coop)
    if first is not None and first.year < today.year:
        ledger.close_month(
            cooperative=coop, actor=None, year=today.year - 1, month=12, by_close=True
        )
    admin = get_user_model().objects.get(username="admin")
    answers = {q: True for qs in HEALTH_QUESTIONS.values() for q in qs}
    answers.update(staff_trained=False, books_audited=False)
    reports.save_health_answers(cooperative=coop, actor=admin, year=today.year, answers=answers)
    _seed_rat(coop, today)


def _seed_rat(coop: Cooperative, today: dt.date) -> None:
    """The RAT for last year's accounts, announced for later today (hybrid), with the year's
    statements, a change of the wajib amount, an election of supervisors and a few check-ins."""
    manager = get_user_model().objects.get(username="manajer")
    starts = timezone.now() + dt.timedelta(minutes=45)
    meeting = rat.create_meeting(
        cooperative=coop, actor=manager, kind="annual", financial_year=today.year - 1,
        starts_at=starts, mode="hybrid", place="Aula Kopdit, Jl. Ahmad Yani 17, Maumere",
        online_link="https://meet.jit.si/kopdit-demo-rat",
    )  # fmt: skip
    lpj = rat.add_item(cooperative=coop, actor=manager, meeting_id=meeting.pk,
                       title="Laporan pertanggungjawaban pengurus dan laporan keuangan",
                       kind="motion")  # fmt: skip
    for statement in ("position", "activity"):
        rat.add_statement(cooperative=coop, actor=manager, item_id=lpj.pk, statement=statement)
    rat.add_item(cooperative=coop, actor=manager, meeting_id=meeting.pk,
                 title="Simpanan wajib menjadi Rp 30.000 per bulan", kind="motion",
                 decision_kind="wajib_amount", decision_value="30.000",
                 effective_on=dt.date(today.year + 1, 1, 1))  # fmt: skip
    election = rat.add_item(cooperative=coop, actor=manager, meeting_id=meeting.pk,
                            title="Pemilihan pengawas", kind="election", office="pengawas",
                            seats=2)  # fmt: skip
    active = list(Member.objects.filter(cooperative=coop, status="active").order_by("id")[:15])
    for member in active[5:8]:
        rat.add_candidate(cooperative=coop, actor=manager, item_id=election.pk, member_id=member.pk)
    rat.announce_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk,
                         portal_url="http://127.0.0.1:8000/saya/rat/")  # fmt: skip
    with contextlib.suppress(ServiceError):  # seeded just before midnight: the meeting is tomorrow
        for n, member in enumerate(active[1:13]):
            rat.check_in(cooperative=coop, actor=manager, meeting_id=meeting.pk, member=member,
                         channel="online" if n % 3 else "venue")  # fmt: skip
