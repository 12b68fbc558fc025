"""Check-in, opening and closing an item's voting, and the vote itself.

A vote is taken only while its item is open, from a checked-in active member of this
cooperative, once: `Vote` (who) has a unique (item, member), so two requests for one member at
the same instant cannot both count; the `Ballot` (how) carries no member and is written in the
same transaction. The item row is read under a key-share lock by each vote and under an update
lock by its closing, so the closing waits for the votes in flight and no vote lands after it.
"""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain import meeting as rules
from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.governance import selectors
from koperasi.governance.models import (
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
from koperasi.governance.services.decisions import apply_due_decisions
from koperasi.governance.services.meetings import lock_meeting
from koperasi.ledger import services as ledger
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


class NotAllowed(ServiceError):
    status = 403


def _voter(cooperative: Cooperative, member: Member | None) -> Member:
    """The member, re-read: of this cooperative (else 404) and active (else 403)."""
    if member is None or member.cooperative_id != cooperative.pk:
        raise NotFound(_("Only members of this cooperative take part."), "member")
    fresh = Member.objects.filter(cooperative=cooperative, pk=member.pk).first()
    if fresh is None:
        raise NotFound(_("Only members of this cooperative take part."), "member")
    if fresh.status != Member.Status.ACTIVE:
        raise NotAllowed(
            "member_inactive",
            _("Only active members take part: this membership is %(status)s.")
            % {"status": fresh.get_status_display().lower()},
            "member",
        )
    return fresh


# --- check-in ---------------------------------------------------------------------------------


def check_in(
    *, cooperative: Cooperative, actor: Any, meeting_id: int, member: Member | None, channel: str
) -> Attendance:
    """A member checks in online (the portal or the API), or staff check them in at the venue.

    Allowed once the meeting is announced, from its day, and while it is open; online only for
    an online or hybrid meeting, at the venue only for an offline or hybrid one."""
    if channel not in Attendance.Channel.values:
        raise ServiceError("invalid_choice", _("Choose one of the listed values."), "channel")
    voter = _voter(cooperative, member)
    with transaction.atomic():
        meeting = Meeting.objects.filter(cooperative=cooperative, pk=meeting_id).first()
        if meeting is None:
            raise NotFound()
        today = ledger.local_today(cooperative)
        if meeting.status == Meeting.Status.CLOSED:
            raise Conflict("meeting_closed", _("The meeting is over."))
        if meeting.status == Meeting.Status.DRAFT or (
            meeting.status == Meeting.Status.ANNOUNCED
            and timezone.localtime(meeting.starts_at).date() > today
        ):
            raise ServiceError("check_in_not_open", _("Check-in opens on the day of the meeting."))
        if channel == Attendance.Channel.ONLINE and meeting.mode == Meeting.Mode.OFFLINE:
            raise ServiceError(
                "offline_meeting", _("This meeting is held at the venue only: check in there.")
            )
        if channel == Attendance.Channel.VENUE and meeting.mode == Meeting.Mode.ONLINE:
            raise ServiceError("online_meeting", _("This meeting is held online only."))
        existing = Attendance.objects.filter(meeting=meeting, member=voter).first()
        if existing is not None:
            return existing  # checking in twice is harmless: the first check-in stands
        try:
            with transaction.atomic():
                attendance = Attendance.objects.create(
                    cooperative=cooperative,
                    meeting=meeting,
                    member=voter,
                    channel=channel,
                    weight=_weight(cooperative, voter),
                    checked_in_by=_who(actor) if channel == Attendance.Channel.VENUE else None,
                )
        except IntegrityError:  # a concurrent check-in of the same member won
            return Attendance.objects.get(meeting=meeting, member=voter)
    return attendance


def _weight(cooperative: Cooperative, member: Member) -> int:
    rule = GovernanceSettings.objects.filter(cooperative=cooperative).first()
    if rule is None or rule.vote_weighting != GovernanceSettings.Weighting.WEIGHTED:
        return 1
    stored = VoteWeight.objects.filter(cooperative=cooperative, member=member).first()
    return stored.weight if stored else 1


# --- items ------------------------------------------------------------------------------------


def _lock_item(cooperative: Cooperative, item_id: int) -> AgendaItem:
    """The item, locked for opening or closing its voting (votes hold a key-share lock)."""
    found = (
        AgendaItem.objects.select_for_update(of=("self",))
        .filter(cooperative=cooperative, pk=item_id)
        .select_related("meeting")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def open_item(*, cooperative: Cooperative, actor: Any, item_id: int) -> AgendaItem:
    with transaction.atomic():
        item = _lock_item(cooperative, item_id)
        if item.meeting.status != Meeting.Status.OPEN:
            raise ServiceError("meeting_not_open", _("Open the meeting first."))
        if item.status == AgendaItem.Status.OPEN:
            raise Conflict("already_open", _("Voting on this item is already open."))
        if item.status == AgendaItem.Status.CLOSED:
            raise Conflict("item_closed", _("Voting on this item has closed."))
        if (
            item.kind == AgendaItem.Kind.ELECTION
            and not Candidate.objects.filter(item=item).exists()
        ):
            raise ServiceError("no_candidates", _("Add the candidates before the vote."))
        item.status = AgendaItem.Status.OPEN
        item.opened_at = timezone.now()
        item.save(update_fields=["status", "opened_at"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.item_open",
            obj=item,
            summary=item.title,
        )
    return item


def close_item(*, cooperative: Cooperative, actor: Any, item_id: int) -> AgendaItem:
    """Voting ends: the outcome is read from the ballots and kept; an approved decision whose
    date has come is applied at once."""
    with transaction.atomic():
        item = _lock_item(cooperative, item_id)
        if item.status == AgendaItem.Status.CLOSED:
            raise Conflict("item_closed", _("Voting on this item has already closed."))
        if item.status != AgendaItem.Status.OPEN:
            raise ServiceError("item_not_open", _("Voting on this item has not opened yet."))
        meeting = lock_meeting(cooperative, item.meeting_id)
        present = Attendance.objects.filter(meeting=meeting).count()
        quorate = rules.quorum(
            eligible=meeting.eligible_members or 0,
            present=present,
            percent=meeting.quorum_percent,
        ).met
        result = selectors.tally(item)
        if item.kind == AgendaItem.Kind.MOTION:
            outcome = rules.motion_outcome(
                agree=result.choices.get(rules.AGREE, 0),
                disagree=result.choices.get(rules.DISAGREE, 0),
                quorate=quorate,
            )
        else:
            outcome = rules.election_outcome(
                votes={c.candidate_id: c.votes for c in result.candidates},
                seats=item.seats,
                quorate=quorate,
            ).outcome
        item.status = AgendaItem.Status.CLOSED
        item.closed_at = timezone.now()
        item.outcome = outcome
        item.present_at_close = present
        item.save(update_fields=["status", "closed_at", "outcome", "present_at_close"])
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="governance.item_close",
            obj=item,
            summary=f"{item.title}: {outcome} ({result.voters}/{present})",
        )
    if item.decision_kind and outcome == rules.APPROVED:
        apply_due_decisions(
            cooperative=cooperative, actor=actor, today=ledger.local_today(cooperative)
        )
        item.refresh_from_db()
    return item


# --- the vote ---------------------------------------------------------------------------------


def vote(
    *,
    cooperative: Cooperative,
    member: Member | None,
    item_id: int,
    choice: str = "",
    candidate_ids: Iterable[int] = (),
) -> None:
    """One member's vote on one item. Returns nothing: the ballot is not the member's to see
    again, nor anyone's.

    Four statements: the member re-read; the item, its meeting and the member's attendance in
    one read that key-share locks the item (so its closing waits for this vote, and a vote
    after the closing sees it closed); the `Vote` row inserted unless one exists (the unique
    (item, member) decides between simultaneous requests); the `Ballot`."""
    voter = _voter(cooperative, member)
    chosen = sorted(set(candidate_ids))
    with transaction.atomic():
        with connection.cursor() as cursor:
            lock = " FOR KEY SHARE OF i" if connection.vendor == "postgresql" else ""
            cursor.execute(_VOTE_CONTEXT + lock, [voter.pk, item_id, cooperative.pk])
            row = cursor.fetchone()
        if row is None or row[3] == Meeting.Status.DRAFT:
            raise NotFound()
        item_status, kind, seats, meeting_status, weight = row
        if meeting_status != Meeting.Status.OPEN or item_status == AgendaItem.Status.PENDING:
            raise ServiceError("item_not_open", _("Voting on this item has not opened yet."))
        if item_status == AgendaItem.Status.CLOSED:
            raise Conflict("item_closed", _("Voting on this item has closed."))
        if weight is None:
            raise NotAllowed("not_checked_in", _("Check in to the meeting before voting."))
        ballot_choice = _ballot_choice(item_id, kind, seats, choice, chosen)
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_VOTE, [cooperative.pk, item_id, voter.pk])
            if cursor.fetchone() is None:  # voted before, or a simultaneous request won
                raise already_voted()
        ballot = Ballot.objects.create(
            cooperative=cooperative, item_id=item_id, choice=ballot_choice, weight=weight
        )
        if chosen:
            BallotMark.objects.bulk_create(
                [BallotMark(ballot=ballot, candidate_id=cid) for cid in chosen]
            )


_VOTE_CONTEXT = (
    f"SELECT i.status, i.kind, i.seats, m.status, a.weight FROM {AgendaItem._meta.db_table} i "
    f"JOIN {Meeting._meta.db_table} m ON m.id = i.meeting_id "
    f"LEFT JOIN {Attendance._meta.db_table} a ON a.meeting_id = i.meeting_id AND a.member_id = %s "
    "WHERE i.id = %s AND i.cooperative_id = %s"
)
_INSERT_VOTE = (
    f"INSERT INTO {Vote._meta.db_table} (cooperative_id, item_id, member_id) VALUES (%s, %s, %s) "
    "ON CONFLICT (item_id, member_id) DO NOTHING RETURNING id"
)


def already_voted() -> Conflict:
    return Conflict("already_voted", _("You have already voted on this item."))


ELECTION_VOTE = "vote"


def _ballot_choice(item_id: int, kind: str, seats: int, choice: str, chosen: list[int]) -> str:
    if kind == AgendaItem.Kind.MOTION:
        if chosen:
            raise ServiceError(
                "not_election",
                _("This item is a motion: choose agree, disagree or abstain."),
                "candidates",
            )
        if choice not in rules.MOTION_CHOICES:
            raise ServiceError("invalid_choice", _("Choose agree, disagree or abstain."), "choice")
        return choice
    if choice == rules.ABSTAIN and not chosen:
        return rules.ABSTAIN
    if choice not in ("", ELECTION_VOTE, rules.ABSTAIN) or (choice == rules.ABSTAIN and chosen):
        raise ServiceError("invalid_choice", _("Choose candidates, or abstain."), "choice")
    if not chosen:
        raise ServiceError(
            "required", _("Choose at least one candidate, or abstain."), "candidates"
        )
    if len(chosen) > seats:
        raise ServiceError(
            "too_many_candidates",
            _("Choose at most %(n)s candidates.") % {"n": seats},
            "candidates",
        )
    known = set(
        Candidate.objects.filter(item_id=item_id, pk__in=chosen).values_list("pk", flat=True)
    )
    if known != set(chosen):
        raise ServiceError(
            "unknown_candidate", _("Choose among this election's candidates."), "candidates"
        )
    return ELECTION_VOTE
