"""The RAT's pure rules: the deadline, the quorum and the outcome of a vote."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain import meeting as rules


def test_the_deadline_is_months_after_the_year_end():
    assert rules.rat_deadline(2025, 6) == dt.date(2026, 6, 30)
    assert rules.rat_deadline(2025, 3) == dt.date(2026, 3, 31)
    assert rules.expected_by(2025) == dt.date(2026, 3, 31)
    with pytest.raises(ValueError):
        rules.rat_deadline(2025, 7)  # the hard limit


def test_the_deadline_check_warns_when_near_or_after():
    check = rules.check_deadline(
        year=2025,
        months=6,
        meeting_day=dt.date(2026, 7, 1),
        today=dt.date(2026, 5, 1),
        warn_days=90,
        held=False,
    )
    assert check.after_deadline and check.after_expected and check.near
    assert check.days_left == 60
    held = rules.check_deadline(
        year=2025,
        months=6,
        meeting_day=dt.date(2026, 3, 20),
        today=dt.date(2026, 5, 1),
        warn_days=90,
        held=True,
    )
    assert not (held.after_deadline or held.after_expected or held.near)


@pytest.mark.parametrize(
    ("eligible", "percent", "required"),
    [(10, "50", 6), (11, "50", 6), (0, "50", 1), (3, "50", 2), (100, "66.67", 67), (7, "0", 1)],
)
def test_quorum_is_more_than_the_percentage(eligible, percent, required):
    assert rules.quorum_required(eligible, Decimal(percent)) == required


@given(st.integers(0, 10**6), st.decimals(0, Decimal("99.99"), places=2))
def test_quorum_is_the_smallest_count_above_the_share(eligible, percent):
    n = rules.quorum_required(eligible, percent)
    assert n * 100 > eligible * percent
    assert (n - 1) * 100 <= eligible * percent


def test_a_motion_needs_a_quorum_and_more_for_than_against():
    assert rules.motion_outcome(agree=3, disagree=2, quorate=True) == rules.APPROVED
    assert rules.motion_outcome(agree=2, disagree=2, quorate=True) == rules.REJECTED
    assert rules.motion_outcome(agree=9, disagree=0, quorate=False) == rules.NO_QUORUM


def test_an_election_fills_the_seats_and_names_a_tie():
    assert rules.election_outcome(votes={1: 5, 2: 3, 3: 1}, seats=2, quorate=True) == (
        rules.ElectionResult(rules.ELECTED, (1, 2), ())
    )
    tie = rules.election_outcome(votes={1: 5, 2: 3, 3: 3}, seats=2, quorate=True)
    assert tie == rules.ElectionResult(rules.TIE, (1,), (2, 3))
    few = rules.election_outcome(votes={1: 2, 2: 0}, seats=2, quorate=True)
    assert few.elected == (1,)


def test_turnout():
    assert rules.turnout_percent(1, 3) == Decimal("33.3")
    assert rules.turnout_percent(0, 0) == Decimal("0.0")
