"""A close whose process died leaves its run and step saying "running". The next close to
start finds the close lock free (a live close would hold it), marks them interrupted, and
carries on to the same books as a close that was never interrupted. A live close is never
marked. (The real kill of a process on PostgreSQL is in test_close_postgres.py.)"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.urls import reverse

from koperasi.closing import services as closing
from koperasi.closing.models import CloseBatch, CloseRun, CloseStep
from koperasi.closing.services import engine
from koperasi.errors import ServiceError
from koperasi.tenancy.models import Role
from tests.closing.conftest import (
    ON,
    books_state,
    close_days,
    make_loan,
    staff,
    start_closing_after,
)
from tests.conftest import make_coop, make_user
from tests.loans.conftest import check_books

CLOSE_TO = dt.date(2026, 1, 20)


class Killed(BaseException):
    """The process dying: no `except Exception` sees it, so nothing records a failure."""


def _book(code):
    coop = make_coop(code=code, name=f"KSP {code}")
    people = staff(coop, suffix=code)
    loans = [make_loan(coop, people) for _ in range(5)]
    start_closing_after(coop, ON)
    return coop, loans


@contextmanager
def another_close_holds_the_lock(coop):
    """A close running elsewhere: another PostgreSQL session, or (SQLite) the lock itself."""
    if connection.vendor == "postgresql":
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [0x6B6F70, coop.pk])
            yield
        finally:
            other.close()
    else:
        with engine.exclusive(coop) as acquired:
            assert acquired
            yield


def test_a_killed_close_is_marked_interrupted_and_the_resumed_books_match(
    db, settings, monkeypatch, client
):
    settings.CLOSE_BATCH_SIZE = 2
    crashed, crashed_loans = _book("crash")
    calm, calm_loans = _book("calm")

    def die_inside_batch_two(step, index):
        if (step, index) == ("loan_accrual", 2):
            raise Killed

    monkeypatch.setattr(engine, "_crash_point", die_inside_batch_two)
    with pytest.raises(Killed):
        close_days(crashed, CLOSE_TO)
    monkeypatch.undo()
    dead_run = CloseRun.objects.get(cooperative=crashed)
    dead_step = CloseStep.objects.get(run=dead_run, step="loan_accrual")
    assert dead_run.status == dead_step.status == "running"  # died without a word
    assert CloseBatch.objects.filter(cooperative=crashed, step="loan_accrual").count() == 1

    resumed = close_days(crashed, CLOSE_TO)
    assert resumed.status == "done"
    dead_run.refresh_from_db()
    dead_step.refresh_from_db()
    assert dead_run.status == dead_step.status == "interrupted"
    assert dead_run.finished_at is None  # when it died is not known
    assert not CloseStep.objects.filter(cooperative=crashed, status="running").exists()
    # The resumed run did the interrupted step, once.
    redone = CloseStep.objects.get(
        cooperative=crashed, business_date=dead_step.business_date, step="loan_accrual", run=resumed
    )
    assert redone.status == "done"

    close_days(calm, CLOSE_TO)
    for coop in (crashed, calm):
        coop.refresh_from_db()
        assert coop.days_closed_through == CLOSE_TO
        check_books(coop)
    assert books_state(crashed, crashed_loans) == books_state(calm, calm_loans)

    # The history and the run page say so, in Indonesian.
    client.force_login(make_user("manajer-lihat", crashed, Role.MANAGER))
    history = client.get(reverse("closing:history", kwargs={"code": crashed.code}))
    assert history.status_code == 200
    assert "Terputus" in history.content.decode()
    page = client.get(
        reverse("closing:run", kwargs={"code": crashed.code, "run_id": dead_run.pk})
    ).content.decode()
    assert 'id="run-interrupted"' in page and page.count("Terputus") == 2  # the run, the step
    assert "Berjalan" not in page


def test_a_live_close_is_never_marked_interrupted(db):
    coop = make_coop(code="hidup")
    start_closing_after(coop, ON)
    live = closing.start_day_close(cooperative=coop, actor=None, to=CLOSE_TO)
    CloseRun.objects.filter(pk=live.pk).update(status="running")
    step = CloseStep.objects.create(
        cooperative=coop, run=live, business_date=ON + dt.timedelta(days=1), step="loan_accrual"
    )
    with another_close_holds_the_lock(coop):
        later = closing.start_day_close(cooperative=coop, actor=None, to=CLOSE_TO)
        with pytest.raises(ServiceError) as refused:
            closing.execute(later, actor=None)
        assert refused.value.code == "close_running"
        live.refresh_from_db()
        step.refresh_from_db()
        assert live.status == step.status == "running"
    # Once its holder is gone, the next start marks it.
    closing.start_day_close(cooperative=coop, actor=None, to=CLOSE_TO)
    live.refresh_from_db()
    step.refresh_from_db()
    assert live.status == step.status == "interrupted"


HOLDER = """
import fcntl, sys, time
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(60)
"""


def test_the_sqlite_close_lock_is_held_by_a_live_process_and_freed_by_its_death(tmp_path):
    # The lock a close takes beside a SQLite database file: another process holding it means
    # a live close; killed, the kernel frees it.
    path = tmp_path / "koperasi.sqlite3-close-1.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with engine._file_lock(path) as acquired:
            assert not acquired
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)
    deadline = time.monotonic() + 5
    while True:
        with engine._file_lock(path) as acquired:
            if acquired or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    assert acquired
    with engine._file_lock(path) as first, engine._file_lock(path) as second:
        assert (first, second) == (True, False)  # two closes in one process exclude too
