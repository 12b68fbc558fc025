"""A cooperative's RAT: a hybrid meeting with a motion and an election, members to vote."""

import datetime as dt

import pytest
from django.utils import timezone

from koperasi.governance import services
from koperasi.governance.models import Ballot, BallotMark, Vote
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user

PORTAL = "https://koperasi.example/saya/rat/"


@pytest.fixture
def manager(coop):
    return make_user("manajer", coop, Role.MANAGER)


def new_meeting(coop, actor, *, year=None, starts_at=None, mode="hybrid", announce=True):
    year = year or timezone.localdate().year - 1
    meeting = services.create_meeting(
        cooperative=coop,
        actor=actor,
        kind="annual",
        financial_year=year,
        starts_at=starts_at or timezone.now() + dt.timedelta(hours=1),
        mode=mode,
        place="Aula Koperasi, Maumere",
        online_link="https://meet.example/rat" if mode != "offline" else "",
    )
    services.add_item(
        cooperative=coop,
        actor=actor,
        meeting_id=meeting.pk,
        title="Pengesahan laporan keuangan",
        kind="motion",
        decision_kind="wajib_amount",
        decision_value="30.000",
        effective_on=timezone.localdate(),
    )
    if announce:
        services.announce_meeting(
            cooperative=coop, actor=actor, meeting_id=meeting.pk, portal_url=PORTAL
        )
    meeting.refresh_from_db()
    return meeting


def motion(meeting):
    return meeting.items.get(kind="motion")


@pytest.fixture
def meeting(coop, manager):
    return new_meeting(coop, manager)


@pytest.fixture
def voters(coop, teller):
    return [make_member(coop, teller) for _ in range(3)]


@pytest.fixture
def session(coop, manager, meeting, voters):
    """The meeting open, three members checked in online, the motion open."""
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    for member in voters:
        services.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="online"
        )
    item = motion(meeting)
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    meeting.refresh_from_db()
    return meeting


def voting_snapshot():
    return {
        "votes": sorted(Vote.objects.values_list("item_id", "member_id")),
        "ballots": sorted(Ballot.objects.values_list("item_id", "choice", "weight")),
        "marks": BallotMark.objects.count(),
    }
