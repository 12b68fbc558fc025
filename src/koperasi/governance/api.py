"""The members' meeting over the API: the meeting, check-in, the vote and the results.

A member's own login reads the published meeting, checks in online and votes; staff read every
meeting, check members in at the venue (`governance.checkin`) and read the results. A vote needs
no Idempotency-Key: a member votes once per item, so a retried vote answers 409 `already_voted`
and changes nothing.
"""

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from koperasi.common.api import ERRORS, Caller, Id, PathId, authorize
from koperasi.errors import NotFound, ServiceError
from koperasi.governance import selectors, services
from koperasi.governance.models import AgendaItem, Attendance, Meeting
from koperasi.members import selectors as member_selectors
from koperasi.tenancy.permissions import CHECK_IN_MEMBERS, VIEW_MEMBERS

router = Router(tags=["governance"])


class RatQuorumOut(Schema):
    eligible: int = Field(description="Active members (fixed when the meeting opens)")
    present: int
    online: int
    venue: int
    required: int = Field(description="Members present needed: more than `percent` % of eligible")
    percent: str
    met: bool


class RatCandidateOut(Schema):
    id: int
    member_number: str
    name: str


class RatDocumentOut(Schema):
    id: int
    title: str
    generated: str = Field(description='"" for an uploaded PDF, else the statement it generates')


class RatItemOut(Schema):
    id: int
    position: int
    title: str
    description: str
    kind: Literal["motion", "election"]
    office: str
    seats: int
    status: Literal["pending", "open", "closed"]
    outcome: str
    decision: str
    effective_on: dt.date | None
    candidates: list[RatCandidateOut]
    documents: list[RatDocumentOut]


class RatMemberStateOut(Schema):
    checked_in: bool
    channel: str
    voted_items: list[int]


class RatMeetingOut(Schema):
    id: int
    kind: Literal["annual", "extraordinary"]
    financial_year: int
    starts_at: dt.datetime
    mode: Literal["offline", "online", "hybrid"]
    place: str
    online_link: str
    status: Literal["draft", "announced", "open", "closed"]
    quorum: RatQuorumOut
    items: list[RatItemOut]
    me: RatMemberStateOut | None = Field(None, description="For a member's own login")


class RatCheckInIn(Schema):
    model_config = ConfigDict(extra="forbid")

    member_id: Id | None = Field(
        None, description="Staff: the member checked in at the venue. A member: leave it out."
    )


class RatCheckInOut(Schema):
    meeting_id: int
    member_id: int
    channel: Literal["online", "venue"]
    checked_in_at: dt.datetime
    quorum: RatQuorumOut


class RatVoteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    choice: Literal["agree", "disagree", "abstain", "vote", ""] = Field(
        "", description='A motion: agree, disagree or abstain. An election: "abstain" or omitted.'
    )
    candidates: Annotated[list[Id], Field(max_length=50)] = Field(
        default_factory=list, description="An election: candidate ids, at most the seats"
    )


class RatVoteOut(Schema):
    item_id: int
    voted: bool


class RatChoiceOut(Schema):
    choice: str
    votes: int


class RatCandidateVotesOut(Schema):
    id: int
    member_number: str
    name: str
    votes: int
    elected: bool


class RatResultOut(Schema):
    item_id: int
    status: Literal["pending", "open", "closed"]
    voters: int
    present: int
    turnout_percent: str
    final: bool = Field(description="The counts are given once voting has closed")
    outcome: str
    choices: list[RatChoiceOut]
    candidates: list[RatCandidateVotesOut]


def _quorum(meeting: Meeting) -> dict[str, Any]:
    seen = selectors.presence(meeting)
    q = seen.quorum
    return {
        "eligible": q.eligible,
        "present": q.present,
        "online": seen.online,
        "venue": seen.venue,
        "required": q.required,
        "percent": f"{seen.percent.normalize():f}",
        "met": q.met,
    }


def _item(item: AgendaItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "position": item.position,
        "title": item.title,
        "description": item.description,
        "kind": item.kind,
        "office": item.office,
        "seats": item.seats,
        "status": item.status,
        "outcome": item.outcome,
        "decision": services.describe(item) if item.decision_kind else "",
        "effective_on": item.effective_on,
        "candidates": [
            {"id": c.pk, "member_number": c.member.number, "name": c.member.name}
            for c in item.candidates.all()
        ],
        "documents": [
            {"id": d.pk, "title": d.title, "generated": d.generated} for d in item.documents.all()
        ],
    }


def _caller(request: HttpRequest) -> Caller:
    return authorize(request, VIEW_MEMBERS, member_ok=True)


@router.get("/meetings/{meeting_id}", response={200: RatMeetingOut, **ERRORS})
def meeting_detail(request: HttpRequest, meeting_id: PathId) -> dict[str, Any]:
    caller = _caller(request)
    member = caller.member
    meeting = selectors.meeting(
        cooperative=caller.cooperative, meeting_id=meeting_id, published=member is not None
    )
    me = None
    if member is not None:
        attendance = selectors.attendance_of(meeting, member)
        me = {
            "checked_in": attendance is not None,
            "channel": attendance.channel if attendance else "",
            "voted_items": sorted(selectors.voted_items(meeting, member)),
        }
    return {
        "id": meeting.pk,
        "kind": meeting.kind,
        "financial_year": meeting.financial_year,
        "starts_at": meeting.starts_at,
        "mode": meeting.mode,
        "place": meeting.place,
        "online_link": meeting.online_link,
        "status": meeting.status,
        "quorum": _quorum(meeting),
        "items": [_item(item) for item in selectors.agenda(meeting)],
        "me": me,
    }


@router.post("/meetings/{meeting_id}/check-in", response={200: RatCheckInOut, **ERRORS})
def check_in(request: HttpRequest, meeting_id: PathId, payload: RatCheckInIn) -> dict[str, Any]:
    """A member's own login checks in online; staff check a member in at the venue."""
    caller = _caller(request)
    coop = caller.cooperative
    if caller.member is not None:
        if payload.member_id not in (None, caller.member.pk):
            raise NotFound()
        member, channel = caller.member, Attendance.Channel.ONLINE
        meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id, published=True)
    else:
        caller = authorize(request, CHECK_IN_MEMBERS)
        if payload.member_id is None:
            raise ServiceError("required", _("Which member is checking in?"), "member_id")
        member = member_selectors.member(cooperative=coop, member_id=payload.member_id)
        channel = Attendance.Channel.VENUE
        meeting = selectors.meeting(cooperative=coop, meeting_id=meeting_id)
    attendance = services.check_in(
        cooperative=coop, actor=caller.user, meeting_id=meeting.pk, member=member, channel=channel
    )
    return {
        "meeting_id": meeting.pk,
        "member_id": member.pk,
        "channel": attendance.channel,
        "checked_in_at": attendance.checked_in_at or timezone.now(),
        "quorum": _quorum(meeting),
    }


@router.post("/items/{item_id}/votes", response={201: RatVoteOut, **ERRORS})
def vote(request: HttpRequest, item_id: PathId, payload: RatVoteIn) -> Status:
    """The member's own vote (their own login): who voted is recorded, never how."""
    caller = _caller(request)
    if caller.member is None:
        raise ServiceError(
            "members_only", _("Only members vote, each with their own login."), status=403
        )
    services.vote(
        cooperative=caller.cooperative,
        member=caller.member,
        item_id=item_id,
        choice=payload.choice,
        candidate_ids=payload.candidates,
    )
    return Status(201, {"item_id": item_id, "voted": True})


@router.get("/items/{item_id}/results", response={200: RatResultOut, **ERRORS})
def results(request: HttpRequest, item_id: PathId) -> dict[str, Any]:
    """Turnout at any time; the counts once voting on the item has closed."""
    caller = _caller(request)
    item = selectors.item(
        cooperative=caller.cooperative, item_id=item_id, published=caller.member is not None
    )
    found = selectors.result(item)
    final = found.shown
    return {
        "item_id": item.pk,
        "status": item.status,
        "voters": found.tally.voters,
        "present": found.present,
        "turnout_percent": f"{found.turnout:f}",
        "final": final,
        "outcome": item.outcome,
        "choices": [
            {"choice": choice, "votes": votes}
            for choice, votes in sorted(found.tally.choices.items())
        ]
        if final
        else [],
        "candidates": [
            {
                "id": c.candidate_id,
                "member_number": c.number,
                "name": c.name,
                "votes": c.votes,
                "elected": c.candidate_id in found.elected,
            }
            for c in found.tally.candidates
        ]
        if final
        else [],
    }
