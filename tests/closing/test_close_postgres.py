"""The close on PostgreSQL: a process killed mid-step resumes to the same books, and teller
work during a close is either in the closed day or dated the next one."""

import datetime as dt
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection, connections, transaction

from koperasi.closing.models import CloseBatch, CloseRun, CloseStep
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsDayBalance
from tests.closing.conftest import (
    ON,
    books_state,
    close_days,
    make_loan,
    staff,
    start_closing_after,
    today_is,
)
from tests.conftest import make_coop, make_member, sukarela_account
from tests.loans.conftest import check_books

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (processes and row locks)"
    ),
    pytest.mark.django_db(transaction=True),
]

CLOSE_TO = dt.date(2026, 1, 20)


def _book(code):
    coop = make_coop(code=code, name=f"KSP {code}")
    people = staff(coop, suffix=code)
    loans = [make_loan(coop, people) for _ in range(5)]
    start_closing_after(coop, ON)
    return coop, loans


def _close_in_a_process(code, crash_at=None):
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        KOPERASI_CLOSE_BATCH_SIZE="2",
    )
    env.pop("KOPERASI_CLOSE_CRASH_AT", None)
    if crash_at:
        env["KOPERASI_CLOSE_CRASH_AT"] = crash_at
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "koperasi.cli",
            "close-day",
            "--coop",
            code,
            "--to",
            CLOSE_TO.isoformat(),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_close_killed_mid_step_resumes_to_the_same_books():
    crashed, crashed_loans = _book("crash")
    calm, calm_loans = _book("calm")
    # Five loans in batches of two ids: the accrual step of the first day has several batches.
    killed = _close_in_a_process("crash", crash_at="loan_accrual:2")
    assert killed.returncode == 9, killed.stderr
    # Killed inside batch 2: batch 1 is in the books, batch 2 is not, and the books balance.
    committed = CloseBatch.objects.filter(cooperative=crashed, step="loan_accrual")
    assert committed.count() == 1
    check_books(crashed)
    run = CloseRun.objects.get(cooperative=crashed)
    assert run.status == CloseRun.Status.RUNNING  # the process died without a word
    dead_step = CloseStep.objects.get(run=run, status=CloseStep.Status.RUNNING)
    assert dead_step.step == "loan_accrual"
    resumed = _close_in_a_process("crash")
    assert resumed.returncode == 0, resumed.stderr
    # The resumed close found the lock free: what still said "running" had died.
    run.refresh_from_db()
    dead_step.refresh_from_db()
    assert run.status == dead_step.status == "interrupted"
    assert not CloseStep.objects.filter(cooperative=crashed, status="running").exists()
    assert CloseRun.objects.filter(cooperative=crashed).exclude(pk=run.pk).get().status == "done"
    assert _close_in_a_process("calm").returncode == 0
    for coop in (crashed, calm):
        coop.refresh_from_db()
        assert coop.days_closed_through == CLOSE_TO
        check_books(coop)
    assert books_state(crashed, crashed_loans) == books_state(calm, calm_loans)


def test_teller_work_during_the_close_is_in_the_day_or_the_next():
    day = dt.date(2026, 6, 30)
    coop = make_coop(code="siang")
    people = staff(coop, suffix="s")
    member = make_member(coop, people["teller"])
    account = sukarela_account(coop, member)
    start_closing_after(coop, day - dt.timedelta(days=1))
    deposited = {}

    def teller():
        try:
            with today_is(day), transaction.atomic():
                deposited["txn"] = savings.deposit(
                    cooperative=coop,
                    actor=people["teller"],
                    account_id=account.pk,
                    amount="250000",
                    idempotency_key="during-close",
                )
                time.sleep(1.0)  # still open when the close starts
        finally:
            connections.close_all()

    thread = threading.Thread(target=teller)
    thread.start()
    time.sleep(0.3)
    with today_is(day):
        close_days(coop, day)  # waits for the teller's transaction, then includes it
    thread.join()
    txn = deposited["txn"]
    assert txn.business_date == day
    balance = SavingsDayBalance.objects.get(account=account, business_date=day).balance
    account.refresh_from_db()
    assert balance == account.balance
    with today_is(day):
        later = savings.deposit(
            cooperative=coop,
            actor=people["teller"],
            account_id=account.pk,
            amount="1000",
            idempotency_key="after-close",
        )
    assert later.business_date == day + dt.timedelta(days=1)
    check_books(coop)


def test_a_run_that_finds_another_close_running_is_refused_and_not_left_waiting():
    from koperasi.closing import services as closing
    from koperasi.errors import ServiceError

    coop = make_coop(code="sibuk")
    start_closing_after(coop, ON)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:  # another process's close holds the lock
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [0x6B6F70, coop.pk])
        run = closing.start_day_close(cooperative=coop, actor=None, to=CLOSE_TO)
        with pytest.raises(ServiceError) as caught:
            closing.execute(run, actor=None)
        assert (caught.value.code, caught.value.status) == ("close_running", 409)
        run.refresh_from_db()
        assert run.status == CloseRun.Status.FAILED
        # Nothing waits, so the next start is accepted.
        closing.start_day_close(cooperative=coop, actor=None, to=CLOSE_TO)
    finally:
        other.close()
    coop.refresh_from_db()
    assert coop.days_closed_through == ON
