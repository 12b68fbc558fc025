"""Reads of the members' meeting, always scoped to a cooperative (and in the portal to the
member): meetings, agenda, quorum, results, the deadline and the portal's banner."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from koperasi.domain import meeting as rules
from koperasi.errors import NotFound
from koperasi.governance.models import (
    AgendaDocument,
    AgendaItem,
    Attendance,
    Ballot,
    BallotMark,
    Candidate,
    GovernanceSettings,
    Meeting,
    Vote,
    VoteWeight,
)
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative


def settings_for(cooperative: Cooperative) -> GovernanceSettings:
    """The cooperative's meeting rules (the defaults until someone saves them)."""
    found = GovernanceSettings.objects.filter(cooperative=cooperative).first()
    return found or GovernanceSettings(cooperative=cooperative)


def vote_weights(cooperative: Cooperative) -> QuerySet[VoteWeight]:
    return (
        VoteWeight.objects.filter(cooperative=cooperative)
        .select_related("member")
        .order_by("member_id")
    )


def meetings(cooperative: Cooperative) -> QuerySet[Meeting]:
    return Meeting.objects.filter(cooperative=cooperative).order_by("-starts_at", "-id")


def meeting(*, cooperative: Cooperative, meeting_id: int, published: bool = False) -> Meeting:
    """One meeting of this cooperative (NotFound otherwise); `published`: not a draft (what
    members may see)."""
    qs = Meeting.objects.filter(cooperative=cooperative, pk=meeting_id).select_related(
        "cooperative", "chair", "secretary"
    )
    if published:
        qs = qs.exclude(status=Meeting.Status.DRAFT)
    found = qs.first()
    if found is None:
        raise NotFound()
    return found


def item(*, cooperative: Cooperative, item_id: int, published: bool = False) -> AgendaItem:
    qs = AgendaItem.objects.filter(cooperative=cooperative, pk=item_id).select_related("meeting")
    if published:
        qs = qs.exclude(meeting__status=Meeting.Status.DRAFT)
    found = qs.first()
    if found is None:
        raise NotFound()
    return found


def agenda(found: Meeting) -> list[AgendaItem]:
    """The items in order with their documents and candidates (three queries in all)."""
    return list(
        AgendaItem.objects.filter(meeting=found)
        .prefetch_related(
            Prefetch("documents", queryset=AgendaDocument.objects.order_by("id")),
            Prefetch(
                "candidates", queryset=Candidate.objects.select_related("member").order_by("id")
            ),
        )
        .order_by("position")
    )


def document(*, cooperative: Cooperative, document_id: int, published: bool) -> AgendaDocument:
    qs = AgendaDocument.objects.filter(cooperative=cooperative, pk=document_id).exclude(file="")
    if published:
        qs = qs.exclude(item__meeting__status=Meeting.Status.DRAFT)
    found = qs.first()
    if found is None:
        raise NotFound()
    return found


# --- attendance and quorum --------------------------------------------------------------------


def eligible(found: Meeting) -> int:
    """Active members: fixed when the meeting opened, counted now before that."""
    if found.eligible_members is not None:
        return found.eligible_members
    return Member.objects.filter(
        cooperative_id=found.cooperative_id, status=Member.Status.ACTIVE
    ).count()


@dataclass(frozen=True)
class Presence:
    quorum: rules.Quorum
    online: int
    venue: int
    percent: Decimal  # the rule: more than this % of active members


def presence(found: Meeting) -> Presence:
    rows = dict(
        Attendance.objects.filter(meeting=found)
        .values_list("channel")
        .annotate(n=Count("id"))
        .values_list("channel", "n")
    )
    online = rows.get(Attendance.Channel.ONLINE, 0)
    venue = rows.get(Attendance.Channel.VENUE, 0)
    return Presence(
        quorum=rules.quorum(
            eligible=eligible(found), present=online + venue, percent=found.quorum_percent
        ),
        online=online,
        venue=venue,
        percent=found.quorum_percent,
    )


def attendance(found: Meeting) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(meeting=found)
        .select_related("member", "checked_in_by")
        .order_by("id")
    )


def attendance_of(found: Meeting, member: Member) -> Attendance | None:
    return Attendance.objects.filter(meeting=found, member=member).first()


def voted_items(found: Meeting, member: Member) -> set[int]:
    """The items this member has voted on (never how)."""
    return set(
        Vote.objects.filter(item__meeting=found, member=member).values_list("item_id", flat=True)
    )


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateVotes:
    candidate_id: int
    number: str
    name: str
    votes: int  # weighted


@dataclass(frozen=True)
class Tally:
    voters: int  # members who voted (the `Vote` rows)
    ballots: int  # ballots counted
    weight: int  # Σ ballot weights
    choices: dict[str, int]  # weighted, by choice
    candidates: tuple[CandidateVotes, ...]  # most votes first


def tally(found: AgendaItem) -> Tally:
    """The item's counts: four aggregate queries, whatever the number of votes."""
    voters = Vote.objects.filter(item=found).count()
    by_choice = (
        Ballot.objects.filter(item=found)
        .values("choice")
        .annotate(w=Sum("weight"), n=Count("id"))
        .order_by()
    )
    choices: dict[str, int] = {}
    ballots = weight = 0
    for row in by_choice:
        choices[row["choice"]] = int(row["w"] or 0)
        ballots += row["n"]
        weight += int(row["w"] or 0)
    candidates: tuple[CandidateVotes, ...] = ()
    if found.kind == AgendaItem.Kind.ELECTION:
        marks = dict(
            BallotMark.objects.filter(ballot__item=found)
            .values("candidate_id")
            .annotate(w=Sum("ballot__weight"))
            .values_list("candidate_id", "w")
        )
        rows = Candidate.objects.filter(item=found).select_related("member").order_by("id")
        candidates = tuple(
            sorted(
                (
                    CandidateVotes(c.pk, c.member.number, c.member.name, int(marks.get(c.pk) or 0))
                    for c in rows
                ),
                key=lambda cv: (-cv.votes, cv.candidate_id),
            )
        )
    return Tally(voters, ballots, weight, choices, candidates)


@dataclass(frozen=True)
class Result:
    item: AgendaItem
    tally: Tally
    present: int
    turnout: Decimal  # voters ÷ present, %
    shown: bool  # the figures are shown once voting has closed; turnout always
    elected: tuple[int, ...]
    tied: tuple[int, ...]


def result(found: AgendaItem, present: int | None = None) -> Result:
    if present is None:
        present = (
            found.present_at_close
            if found.present_at_close is not None
            else Attendance.objects.filter(meeting_id=found.meeting_id).count()
        )
    counted = tally(found)
    elected: tuple[int, ...] = ()
    tied: tuple[int, ...] = ()
    closed = found.status == AgendaItem.Status.CLOSED
    if closed and found.kind == AgendaItem.Kind.ELECTION:
        outcome = rules.election_outcome(
            votes={c.candidate_id: c.votes for c in counted.candidates},
            seats=found.seats,
            quorate=found.outcome != rules.NO_QUORUM,
        )
        elected, tied = outcome.elected, outcome.tied
    return Result(
        item=found,
        tally=counted,
        present=present,
        turnout=rules.turnout_percent(counted.voters, present),
        shown=closed,
        elected=elected,
        tied=tied,
    )


# --- the deadline and the portal's banner -----------------------------------------------------


def deadline(found: Meeting, today: dt.date) -> rules.DeadlineCheck:
    rule = settings_for(found.cooperative)
    return rules.check_deadline(
        year=found.financial_year,
        months=rule.deadline_months,
        meeting_day=timezone.localtime(found.starts_at).date(),
        today=today,
        warn_days=rule.warn_days,
        held=found.status == Meeting.Status.CLOSED,
    )


def year_deadline(cooperative: Cooperative, today: dt.date) -> rules.DeadlineCheck | None:
    """The last finished year's RAT deadline while no annual meeting for it is planned, when
    it is near or passed (the list page warns)."""
    year = today.year - 1
    planned = Meeting.objects.filter(
        cooperative=cooperative, kind=Meeting.Kind.ANNUAL, financial_year=year
    ).exists()
    if planned:
        return None
    rule = settings_for(cooperative)
    check = rules.check_deadline(
        year=year,
        months=rule.deadline_months,
        meeting_day=today,
        today=today,
        warn_days=rule.warn_days,
        held=False,
    )
    return check if check.near else None


def banner(cooperative: Cooperative) -> Meeting | None:
    """The announced or open meeting the portal shows on every page."""
    return (
        Meeting.objects.filter(
            cooperative=cooperative,
            status__in=(Meeting.Status.ANNOUNCED, Meeting.Status.OPEN),
        )
        .order_by("starts_at")
        .first()
    )
