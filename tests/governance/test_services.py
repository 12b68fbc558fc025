"""The RAT's services: the meeting's life, check-in and quorum, the secret ballot, elections,
decisions applied through the settings' service, the minutes' sign-off, and every refusal
(a clear message, a 4xx, nothing changed)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from koperasi.errors import ServiceError
from koperasi.governance import selectors, services
from koperasi.governance.models import Attendance, Ballot, Meeting, Vote
from koperasi.members import services as members
from koperasi.membership import services as membership
from koperasi.tenancy.models import Cooperative, Role
from tests.conftest import make_member, make_user
from tests.governance.conftest import PORTAL, motion, new_meeting, voting_snapshot


def refused(call, code, status=None):
    with pytest.raises(ServiceError) as caught:
        call()
    assert caught.value.code == code, caught.value.code
    assert str(caught.value.message)
    if status is not None:
        assert caught.value.status == status
    return caught.value


def test_announcing_emails_members_with_an_address(
    coop, manager, teller, django_capture_on_commit_callbacks, settings
):
    with_mail = members.update_contact(
        cooperative=coop,
        actor=None,
        member=make_member(coop, teller),
        phone="081234567890",
        email="ina@example.com",
    )
    make_member(coop, teller)  # no email
    meeting = new_meeting(coop, manager, announce=False)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        services.announce_meeting(
            cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=PORTAL
        )
    assert [m.to for m in mail.outbox] == [[with_mail.email]]
    assert PORTAL in mail.outbox[0].body
    meeting.refresh_from_db()
    assert (meeting.status, meeting.notified) == ("announced", 1)
    assert selectors.banner(coop) == meeting
    refused(
        lambda: services.announce_meeting(
            cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=PORTAL
        ),
        "already_announced",
        409,
    )


def test_a_meeting_needs_its_place_link_and_agenda(coop, manager):
    error = refused(
        lambda: services.create_meeting(
            cooperative=coop,
            actor=manager,
            kind="annual",
            financial_year=2025,
            starts_at=timezone.now() + dt.timedelta(days=3),
            mode="hybrid",
        ),
        "required",
    )
    assert {e.field for e in error.errors} == {"place", "online_link"}
    meeting = services.create_meeting(
        cooperative=coop,
        actor=manager,
        kind="annual",
        financial_year=2025,
        starts_at=timezone.now() + dt.timedelta(days=3),
        mode="online",
        online_link="https://meet.example/x",
    )
    refused(
        lambda: services.announce_meeting(
            cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=PORTAL
        ),
        "no_agenda",
    )
    assert Meeting.objects.get(pk=meeting.pk).status == "draft"


def test_the_deadline_warns_after_six_months_and_when_near(coop, manager):
    year = timezone.localdate().year - 1
    late = new_meeting(
        coop,
        manager,
        year=year,
        starts_at=timezone.make_aware(dt.datetime(year + 1, 7, 2, 9)),
        announce=False,
    )
    check = selectors.deadline(late, dt.date(year + 1, 5, 1))
    assert check.deadline == dt.date(year + 1, 6, 30)
    assert check.after_deadline and check.after_expected and check.near
    services.update_settings(
        cooperative=coop,
        actor=manager,
        deadline_months=3,
        warn_days=30,
        quorum_percent="60",
        vote_weighting="equal",
    )
    check = selectors.deadline(late, dt.date(year + 1, 1, 10))
    assert check.deadline == dt.date(year + 1, 3, 31) and not check.near
    refused(
        lambda: services.update_settings(
            cooperative=coop,
            actor=manager,
            deadline_months=7,
            warn_days=30,
            quorum_percent="100",
            vote_weighting="x",
        ),
        "deadline_out_of_range",
    )


def test_quorum_counts_online_and_venue_against_active_members(coop, manager, teller, session):
    walk_in = make_member(coop, teller)
    services.check_in(
        cooperative=coop, actor=teller, meeting_id=session.pk, member=walk_in, channel="venue"
    )
    seen = selectors.presence(session)
    # Three active members when it opened (the walk-in joined after): more than half is 2.
    assert (seen.online, seen.venue, seen.quorum.eligible, seen.quorum.required) == (3, 1, 3, 2)
    assert seen.quorum.met
    # Checking in twice keeps the first check-in.
    again = services.check_in(
        cooperative=coop, actor=None, meeting_id=session.pk, member=walk_in, channel="online"
    )
    assert again.channel == "venue"
    assert Attendance.objects.filter(meeting=session).count() == 4


def test_a_vote_records_who_voted_but_not_how(coop, manager, session, voters):
    item = motion(session)
    for member, choice in zip(voters, ("agree", "agree", "disagree"), strict=True):
        services.vote(cooperative=coop, member=member, item_id=item.pk, choice=choice)
    assert set(Vote.objects.filter(item=item).values_list("member_id", flat=True)) == {
        m.pk for m in voters
    }
    # The ballots name no member, no time: only the item, the choice and the weight.
    assert {f.name for f in Ballot._meta.get_fields()} == {
        "id",
        "cooperative",
        "item",
        "choice",
        "weight",
        "marks",
    }
    counted = selectors.tally(item)
    assert (counted.voters, counted.ballots, counted.choices) == (
        3,
        3,
        {"agree": 2, "disagree": 1},
    )
    closed = services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    assert closed.outcome == "approved"
    # The decision (wajib 30.000 from today) was applied through the settings' service.
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == Decimal("30000")
    assert closed.decision_applied_at is not None
    found = selectors.result(closed)
    assert (found.turnout, found.shown) == (Decimal("100.0"), True)


def test_refused_votes_change_nothing(coop, manager, teller, other_coop, meeting, voters):
    item = motion(meeting)
    first = voters[0]
    before = voting_snapshot()
    # Before the meeting opens.
    refused(
        lambda: services.vote(cooperative=coop, member=first, item_id=item.pk, choice="agree"),
        "item_not_open",
    )
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    services.check_in(
        cooperative=coop, actor=None, meeting_id=meeting.pk, member=first, channel="online"
    )
    # Before the item opens.
    refused(
        lambda: services.vote(cooperative=coop, member=first, item_id=item.pk, choice="agree"),
        "item_not_open",
    )
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    # Without checking in.
    refused(
        lambda: services.vote(cooperative=coop, member=voters[1], item_id=item.pk, choice="agree"),
        "not_checked_in",
        403,
    )
    # Another cooperative's member, and another cooperative's item.
    stranger = make_member(other_coop, None)
    refused(
        lambda: services.vote(cooperative=coop, member=stranger, item_id=item.pk, choice="agree"),
        "not_found",
        404,
    )
    refused(
        lambda: services.vote(
            cooperative=other_coop, member=stranger, item_id=item.pk, choice="agree"
        ),
        "not_found",
        404,
    )
    # A member who resigned after checking in.
    leaver = voters[2]
    services.check_in(
        cooperative=coop, actor=None, meeting_id=meeting.pk, member=leaver, channel="online"
    )
    membership.exit_member(
        cooperative=coop,
        actor=teller,
        member=leaver,
        status="resigned",
        reason="Pindah",
        idempotency_key="keluar-1",
    )
    refused(
        lambda: services.vote(cooperative=coop, member=leaver, item_id=item.pk, choice="agree"),
        "member_inactive",
        403,
    )
    # A bad choice.
    refused(
        lambda: services.vote(cooperative=coop, member=first, item_id=item.pk, choice="ya"),
        "invalid_choice",
    )
    assert voting_snapshot() == before
    # Twice.
    services.vote(cooperative=coop, member=first, item_id=item.pk, choice="agree")
    after_one = voting_snapshot()
    refused(
        lambda: services.vote(cooperative=coop, member=first, item_id=item.pk, choice="disagree"),
        "already_voted",
        409,
    )
    assert voting_snapshot() == after_one
    # After the item closed.
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    refused(
        lambda: services.close_item(cooperative=coop, actor=manager, item_id=item.pk),
        "item_closed",
        409,
    )
    with_close = voting_snapshot()
    services.check_in(
        cooperative=coop, actor=None, meeting_id=meeting.pk, member=voters[1], channel="online"
    )
    refused(
        lambda: services.vote(cooperative=coop, member=voters[1], item_id=item.pk, choice="agree"),
        "item_closed",
        409,
    )
    assert voting_snapshot() == with_close


def test_an_election_counts_each_candidate_up_to_the_seats(coop, manager, teller, voters):
    meeting = new_meeting(coop, manager)
    candidates = [make_member(coop, teller) for _ in range(3)]
    election = services.add_item(
        cooperative=coop,
        actor=manager,
        meeting_id=meeting.pk,
        title="Pemilihan pengawas",
        kind="election",
        office="pengawas",
        seats=2,
    )
    ids = [
        services.add_candidate(
            cooperative=coop, actor=manager, item_id=election.pk, member_id=m.pk
        ).pk
        for m in candidates
    ]
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    for member in voters + candidates:  # six active members: four make a quorum
        services.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="online"
        )
    services.open_item(cooperative=coop, actor=manager, item_id=election.pk)
    refused(
        lambda: services.vote(
            cooperative=coop, member=voters[0], item_id=election.pk, candidate_ids=ids
        ),
        "too_many_candidates",
    )
    services.vote(cooperative=coop, member=voters[0], item_id=election.pk, candidate_ids=ids[:2])
    services.vote(cooperative=coop, member=voters[1], item_id=election.pk, candidate_ids=[ids[0]])
    services.vote(cooperative=coop, member=voters[2], item_id=election.pk, choice="abstain")
    closed = services.close_item(cooperative=coop, actor=manager, item_id=election.pk)
    assert closed.outcome == "elected"
    found = selectors.result(closed)
    assert [(c.candidate_id, c.votes) for c in found.tally.candidates] == [
        (ids[0], 2),
        (ids[1], 1),
        (ids[2], 0),
    ]
    assert found.elected == (ids[0], ids[1])
    assert found.tally.voters == 3


def test_weighted_votes_for_a_secondary_cooperative(coop, manager, teller, voters):
    services.update_settings(
        cooperative=coop,
        actor=manager,
        deadline_months=6,
        warn_days=60,
        quorum_percent="50",
        vote_weighting="weighted",
    )
    services.set_vote_weight(cooperative=coop, actor=manager, member_id=voters[0].pk, weight=120)
    meeting = new_meeting(coop, manager)
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    for member in voters[:2]:
        services.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="online"
        )
    item = motion(meeting)
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    services.vote(cooperative=coop, member=voters[0], item_id=item.pk, choice="disagree")
    services.vote(cooperative=coop, member=voters[1], item_id=item.pk, choice="agree")
    closed = services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    assert selectors.tally(closed).choices == {"disagree": 120, "agree": 1}
    assert closed.outcome == "rejected"
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == coop.wajib_amount


def test_closing_and_signing_the_minutes(coop, manager, session, voters):
    item = motion(session)
    refused(
        lambda: services.close_meeting(cooperative=coop, actor=manager, meeting_id=session.pk),
        "items_open",
    )
    services.vote(cooperative=coop, member=voters[0], item_id=item.pk, choice="agree")
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    services.close_meeting(cooperative=coop, actor=manager, meeting_id=session.pk)
    refused(
        lambda: services.close_meeting(cooperative=coop, actor=manager, meeting_id=session.pk),
        "already_closed",
        409,
    )
    services.sign_minutes(cooperative=coop, actor=manager, meeting_id=session.pk, as_role="chair")
    refused(
        lambda: services.sign_minutes(
            cooperative=coop, actor=manager, meeting_id=session.pk, as_role="secretary"
        ),
        "same_signer",
    )
    secretary = make_user("notulis", coop, Role.SUPERVISOR)
    signed = services.sign_minutes(
        cooperative=coop, actor=secretary, meeting_id=session.pk, as_role="secretary"
    )
    assert (signed.chair, signed.secretary) == (manager, secretary)
    assert signed.chair_signed_at and signed.secretary_signed_at
    refused(
        lambda: services.sign_minutes(
            cooperative=coop, actor=secretary, meeting_id=session.pk, as_role="chair"
        ),
        "already_signed",
        409,
    )


def test_a_decision_with_a_later_date_waits_for_it(coop, manager, session, voters):
    item = motion(session)
    item.effective_on = timezone.localdate() + dt.timedelta(days=10)
    item.save(update_fields=["effective_on"])
    services.vote(cooperative=coop, member=voters[0], item_id=item.pk, choice="agree")
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == coop.wajib_amount
    later = item.effective_on
    assert services.apply_due_decisions(cooperative=coop, actor=manager, today=later) == 1
    assert services.apply_due_decisions(cooperative=coop, actor=manager, today=later) == 0
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == Decimal("30000")


def test_a_refused_decision_is_kept_with_its_reason(coop, manager, session, voters):
    """Pokok has been paid by members (make_member pays it): its amount is fixed."""
    meeting = new_meeting(coop, manager, announce=False)
    item = services.add_item(
        cooperative=coop,
        actor=manager,
        meeting_id=meeting.pk,
        title="Simpanan pokok",
        kind="motion",
        decision_kind="pokok_amount",
        decision_value="150000",
        effective_on=timezone.localdate(),
    )
    services.announce_meeting(
        cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=PORTAL
    )
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    for member in voters:
        services.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="venue"
        )
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    services.vote(cooperative=coop, member=voters[0], item_id=item.pk, choice="agree")
    closed = services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    assert closed.outcome == "approved" and closed.decision_applied_at is None
    assert "pokok" in closed.decision_error.lower()
    assert Cooperative.objects.get(pk=coop.pk).pokok_amount == coop.pokok_amount


def test_an_agenda_item_refuses_a_bad_decision(coop, manager):
    meeting = new_meeting(coop, manager, announce=False)
    error = refused(
        lambda: services.add_item(
            cooperative=coop,
            actor=manager,
            meeting_id=meeting.pk,
            title="Batas bunga",
            kind="motion",
            decision_kind="loan_rate_cap",
            decision_value="30",
        ),
        "above_regulation",
    )
    assert {e.field for e in error.errors} >= {"effective_on"}


def test_the_notice_mail_is_a_background_task(coop, manager, django_capture_on_commit_callbacks):
    """The announcement enqueues the mail (the worker sends it); the request sends none."""
    from django_tasks_db.models import DBTaskResult

    meeting = new_meeting(coop, manager, announce=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.announce_meeting(
            cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url=PORTAL
        )
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("send_notices") and queued.args_kwargs["args"][0] == meeting.pk
    assert mail.outbox == []
