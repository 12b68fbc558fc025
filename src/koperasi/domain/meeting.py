"""The members' meeting (RAT) rules, pure: the deadline, the quorum and the outcome of a vote.

DOMAIN.md, "RAT": the RAT approving the accounts is held within a configurable number of months
after the financial year ends (hard limit 6; district offices expect primary cooperatives by
March); the quorum is set by the AD (commonly more than half of the members); decisions are by
majority of the votes cast; one member one vote, secondary cooperatives may weight votes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from koperasi.domain.money import round_half_up
from koperasi.domain.periods import add_months

# UU 25/1992 as practised: the accounts are approved within six months of the year end.
HARD_LIMIT_MONTHS = 6
# District offices (Dinas Koperasi) expect primary cooperatives' RAT by the end of March.
EXPECTED_MONTH = 3
HUNDRED = Decimal("100")


def year_end(year: int) -> dt.date:
    """The last day of financial year `year` (the statements use the calendar year)."""
    return dt.date(year, 12, 31)


def rat_deadline(year: int, months: int) -> dt.date:
    """The last day on which the RAT approving year `year` may be held."""
    if not 1 <= months <= HARD_LIMIT_MONTHS:
        raise ValueError("months must be 1..6")
    return add_months(dt.date(year + 1, 1, 1), months) - dt.timedelta(days=1)


def expected_by(year: int) -> dt.date:
    """The end of March after the year: when district offices expect the RAT."""
    return add_months(dt.date(year + 1, 1, 1), EXPECTED_MONTH) - dt.timedelta(days=1)


@dataclass(frozen=True)
class DeadlineCheck:
    deadline: dt.date
    expected_by: dt.date
    after_deadline: bool  # the meeting is planned after the deadline
    after_expected: bool  # planned after the end of March (allowed, but districts ask)
    days_left: int  # from today to the deadline (negative once passed)
    near: bool  # the deadline is within `warn_days` and the meeting is not yet held


def check_deadline(
    *, year: int, months: int, meeting_day: dt.date, today: dt.date, warn_days: int, held: bool
) -> DeadlineCheck:
    deadline = rat_deadline(year, months)
    expected = expected_by(year)
    days_left = (deadline - today).days
    return DeadlineCheck(
        deadline=deadline,
        expected_by=expected,
        after_deadline=meeting_day > deadline,
        after_expected=meeting_day > expected,
        days_left=days_left,
        near=not held and days_left <= warn_days,
    )


def quorum_required(eligible: int, percent: Decimal) -> int:
    """The fewest members present for "more than `percent` % of the eligible members".

    More than half of 10 is 6; of 11, 6; of 0, 1 (a meeting is never quorate with nobody).
    """
    if eligible < 0:
        raise ValueError("eligible must be >= 0")
    if not Decimal(0) <= percent < HUNDRED:
        raise ValueError("percent must be in [0, 100)")
    # n × 100 > eligible × percent; the smallest such whole n.
    exact = Decimal(eligible) * percent / HUNDRED
    return int(exact.to_integral_value(rounding=ROUND_FLOOR)) + 1


@dataclass(frozen=True)
class Quorum:
    eligible: int
    present: int
    required: int

    @property
    def met(self) -> bool:
        return self.present >= self.required

    @property
    def missing(self) -> int:
        return max(0, self.required - self.present)


def quorum(*, eligible: int, present: int, percent: Decimal) -> Quorum:
    return Quorum(eligible=eligible, present=present, required=quorum_required(eligible, percent))


AGREE = "agree"
DISAGREE = "disagree"
ABSTAIN = "abstain"
MOTION_CHOICES = (AGREE, DISAGREE, ABSTAIN)

APPROVED = "approved"
REJECTED = "rejected"
NO_QUORUM = "no_quorum"
ELECTED = "elected"
TIE = "tie"


def motion_outcome(*, agree: int, disagree: int, quorate: bool) -> str:
    """Majority of the votes cast for or against (abstentions count for turnout only)."""
    if not quorate:
        return NO_QUORUM
    return APPROVED if agree > disagree else REJECTED


@dataclass(frozen=True)
class ElectionResult:
    outcome: str  # ELECTED, TIE (the last seat is tied: the meeting decides) or NO_QUORUM
    elected: tuple[int, ...]  # candidate ids, most votes first
    tied: tuple[int, ...]  # the candidates tied for the last seat(s)


def election_outcome(*, votes: dict[int, int], seats: int, quorate: bool) -> ElectionResult:
    """The `seats` candidates with the most votes (more than zero); a tie across the last seat
    elects those above it and names the tied ones."""
    if not quorate:
        return ElectionResult(NO_QUORUM, (), ())
    ranked = sorted(
        ((cid, n) for cid, n in votes.items() if n > 0), key=lambda pair: (-pair[1], pair[0])
    )
    if len(ranked) <= seats:
        return ElectionResult(ELECTED, tuple(cid for cid, _ in ranked), ())
    cut = ranked[seats - 1][1]
    if ranked[seats][1] < cut:
        return ElectionResult(ELECTED, tuple(cid for cid, _ in ranked[:seats]), ())
    above = tuple(cid for cid, n in ranked if n > cut)
    tied = tuple(cid for cid, n in ranked if n == cut)
    return ElectionResult(TIE, above, tied)


def turnout_percent(voted: int, present: int) -> Decimal:
    """Voters as a percentage of those present, to one decimal (0 when nobody is present)."""
    if present <= 0:
        return Decimal("0.0")
    return round_half_up(Decimal(voted) * HUNDRED / Decimal(present), Decimal("0.1"))
