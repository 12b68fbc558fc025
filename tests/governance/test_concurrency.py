"""One member, one vote under real concurrency (PostgreSQL): two requests for the same member at
the same instant, and a closing racing the votes, never count a vote twice or after the close."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from koperasi.errors import Conflict
from koperasi.governance import selectors, services
from koperasi.governance.models import Ballot, Vote
from koperasi.tenancy.models import Role
from tests.conftest import make_coop, make_member, make_user
from tests.governance.conftest import motion, new_meeting

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent transactions"
    ),
    pytest.mark.django_db(transaction=True),
]


def open_session(members: int):
    coop = make_coop(code="ratconc")
    manager = make_user("manajer-conc", coop, Role.MANAGER)
    voters = [make_member(coop, None) for _ in range(members)]
    meeting = new_meeting(coop, manager)
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    for member in voters:
        services.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="online"
        )
    item = motion(meeting)
    services.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    return coop, manager, voters, item


def run_threads(*targets):
    errors: list[BaseException] = []

    def wrap(target):
        def run():
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 (reported by the test)
                errors.append(exc)
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_two_simultaneous_votes_of_one_member_count_once():
    coop, _manager, voters, item = open_session(1)
    member = voters[0]
    first_voted = threading.Event()
    may_commit = threading.Event()
    outcomes: list[str] = []

    def holds_its_transaction():
        # Votes, then keeps the transaction open while the other request arrives: the other
        # one cannot see this vote yet, so only the unique (item, member) can stop it.
        with transaction.atomic():
            services.vote(cooperative=coop, member=member, item_id=item.pk, choice="agree")
            first_voted.set()
            may_commit.wait(10)
        outcomes.append("counted")

    def arrives_meanwhile():
        first_voted.wait(10)
        try:
            services.vote(cooperative=coop, member=member, item_id=item.pk, choice="disagree")
        except Conflict as exc:
            outcomes.append(exc.code)
        else:
            outcomes.append("counted")

    def releases():
        first_voted.wait(10)
        time.sleep(0.5)  # the second request is now waiting on the unique index
        may_commit.set()

    assert run_threads(holds_its_transaction, arrives_meanwhile, releases) == []
    assert sorted(outcomes) == ["already_voted", "counted"]
    assert Vote.objects.filter(item=item, member=member).count() == 1
    assert list(Ballot.objects.filter(item=item).values_list("choice", flat=True)) == ["agree"]


def test_a_burst_of_votes_and_retries_counts_each_member_once():
    coop, _manager, voters, item = open_session(8)
    barrier = threading.Barrier(16)
    results: list[str] = []

    def voter(member):
        def run():
            barrier.wait()
            try:
                services.vote(cooperative=coop, member=member, item_id=item.pk, choice="agree")
                results.append("counted")
            except Conflict as exc:
                results.append(exc.code)

        return run

    # Each member twice at once.
    assert run_threads(*[voter(m) for m in voters for _ in range(2)]) == []
    assert results.count("counted") == 8 and results.count("already_voted") == 8
    counted = selectors.tally(item)
    assert (counted.voters, counted.ballots, counted.choices) == (8, 8, {"agree": 8})


def test_closing_waits_for_votes_in_flight_and_refuses_later_ones():
    coop, manager, voters, item = open_session(2)
    in_flight = threading.Event()
    may_commit = threading.Event()
    late: list[str] = []

    def slow_vote():
        with transaction.atomic():
            services.vote(cooperative=coop, member=voters[0], item_id=item.pk, choice="agree")
            in_flight.set()
            may_commit.wait(10)

    def closes():
        in_flight.wait(10)
        services.close_item(cooperative=coop, actor=manager, item_id=item.pk)

    def releases_then_votes_late():
        in_flight.wait(10)
        time.sleep(0.5)  # the closing waits on the item row
        may_commit.set()
        time.sleep(0.5)
        try:
            services.vote(cooperative=coop, member=voters[1], item_id=item.pk, choice="agree")
            late.append("counted")
        except Conflict as exc:
            late.append(exc.code)

    assert run_threads(slow_vote, closes, releases_then_votes_late) == []
    item.refresh_from_db()
    # The vote in flight is in the result the closing kept; the late one was refused.
    assert item.outcome == "approved"
    assert late == ["item_closed"]
    assert selectors.tally(item).voters == 1
