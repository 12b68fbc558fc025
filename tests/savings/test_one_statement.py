"""The teller's everyday movement in one statement (PostgreSQL's `savings_cash_movement`).

It must write exactly what the ordinary way writes, and leave every unusual case (a refusal, a
retry, a closed day, a kind it does not handle) to the ordinary way, which answers it.
"""

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from koperasi.audit.models import AuditLog
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import BalanceSlot, JournalEntry, Posting
from koperasi.ledger.selectors import ledger_violations
from koperasi.savings import services
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsTransaction
from koperasi.savings.selectors import savings_violations
from koperasi.savings.services import one_statement
from koperasi.sqlrows import DONE, Fallback, fast_path_counts
from tests.conftest import books_snapshot, make_coop, make_member, sukarela_account

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement way exists on PostgreSQL only"
)
D = Decimal


def _move(coop, account, amount, key, **kw):
    call = services.deposit if amount > 0 else services.withdraw
    return call(
        cooperative=coop, actor=None, account_id=account.pk, amount=abs(amount),
        idempotency_key=key, **kw,
    )  # fmt: skip


def _written(txn):
    """Everything a movement wrote, without ids, keys and times."""
    entry = JournalEntry.objects.get(pk=txn.journal_entry_id)
    audit = AuditLog.objects.get(object_type="SavingsTransaction", object_id=str(txn.pk))
    stored = SavingsTransaction.objects.get(pk=txn.pk)
    return {
        "entry": (entry.business_date, entry.source, entry.source_ref, entry.memo,
                  entry.actor_id, entry.reversal_of_id),
        "postings": sorted(
            (p.account.code, p.debit, p.credit, p.business_date, p.cooperative_id)
            for p in Posting.objects.filter(entry=entry).select_related("account")
        ),
        "movement": (stored.account_id, stored.kind, stored.amount, stored.balance_after,
                     stored.business_date, stored.note, stored.channel, stored.actor_id,
                     stored.reverses_id, stored.idempotency_key),
        "returned": (txn.pk, txn.account_id, txn.kind, txn.amount, txn.balance_after,
                     txn.business_date, txn.journal_entry_id),
        "audit": (audit.action, audit.summary, audit.actor_id, audit.cooperative_id,
                  audit.data, audit.ip_address),
        "entry_key": entry.idempotency_key,
    }  # fmt: skip


def _ordinary(coop, account, amount, key, **kw):
    # Inside the caller's own transaction only the ordinary way may run.
    with transaction.atomic():
        return _move(coop, account, amount, key, **kw)


def _ran():
    return fast_path_counts().get((one_statement.PATH, DONE), 0)


def _fell_back(reason):
    return fast_path_counts().get((one_statement.PATH, reason.value), 0)


# What savings_cash_movement does: cash into sukarela or wajib, cash out of sukarela. Every
# other (kind, direction) of the tables is the ordinary way's, logged and counted.
FAST = {(SavingsKind.SUKARELA, 1), (SavingsKind.WAJIB, 1), (SavingsKind.SUKARELA, -1)}
MOVEMENTS = [(kind, sign) for kind in SavingsKind.values for sign in (1, -1)]


def _account_of(coop, member, kind):
    found = SavingsAccount.objects.filter(member=member, product__kind=kind).first()
    return found or services.open_account(
        cooperative=coop, actor=None, member=member, product=coop.savingsproduct_set.get(kind=kind)
    )


def _answer(call):
    try:
        return call()
    except ServiceError as refused:
        return refused.code


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "sign"), MOVEMENTS)
def test_it_writes_what_the_ordinary_way_writes(kind, sign):
    coop = make_coop(code="parity")
    fast_account = _account_of(coop, make_member(coop), kind)
    slow_account = _account_of(coop, make_member(coop), kind)
    amount = D("250000.50") if sign > 0 else D("-40000.00")
    if (kind, sign) not in FAST:
        before = _fell_back(Fallback.UNSUPPORTED)
        fast = _answer(lambda: _move(coop, fast_account, amount, "k-fast"))
        slow = _answer(lambda: _ordinary(coop, slow_account, amount, "k-slow"))
        assert _fell_back(Fallback.UNSUPPORTED) == before + 1
        assert isinstance(fast, str) == isinstance(slow, str)
        if isinstance(fast, str):
            assert fast == slow
        return
    for account in (fast_account, slow_account):
        _ordinary(coop, account, D("100000"), f"fund-{account.pk}")
    done = _ran()
    fast = _move(coop, fast_account, amount, "k-fast", note="setoran uji")
    assert _ran() == done + 1
    slow = _ordinary(coop, slow_account, amount, "k-slow", note="setoran uji")
    assert _ran() == done + 1

    fast_rows, slow_rows = _written(fast), _written(slow)
    # The same rows, but for the account they are about and the keys given.
    assert fast_rows["postings"] == slow_rows["postings"]
    assert fast_rows["entry"][:2] == slow_rows["entry"][:2]
    assert (
        fast_rows["entry"][3].replace(fast_account.number, "#").rsplit(" ", 1)[0]
        == (slow_rows["entry"][3].replace(slow_account.number, "#").rsplit(" ", 1)[0])
    )
    assert fast_rows["movement"][1:9] == slow_rows["movement"][1:9]
    assert fast_rows["movement"][9] == "k-fast" and fast_rows["entry_key"] == "savings:k-fast"
    assert fast_rows["audit"][0] == slow_rows["audit"][0] == f"savings.{fast.kind}"
    assert fast_rows["audit"][2:] == slow_rows["audit"][2:]
    assert fast_rows["audit"][1] == f"{fast_account.number} {amount:+}"
    assert fast_rows["returned"][0] == fast.pk and fast.receipt_number.startswith("KW-")
    assert fast.account.balance == fast.balance_after == D("100000") + amount
    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []


def _falls_back(caplog, reason, call):
    """Run `call`; assert that savings_cash_movement left it to the ordinary way for `reason`,
    logged on the savings logger and counted; return the ordinary way's answer."""
    done, before = _ran(), _fell_back(reason)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="koperasi.savings"):
        answer = _answer(call)
    assert (_ran(), _fell_back(reason)) == (done, before + 1)
    logged = [r for r in caplog.records if r.name == "koperasi.savings"]
    assert [(r.fast_path, r.fallback) for r in logged] == [(one_statement.PATH, reason.value)]
    return answer


@pytest.mark.django_db(transaction=True)
def test_a_plain_deposit_is_one_round_trip_after_the_read():
    coop = make_coop(code="onecall")
    account = sukarela_account(coop, make_member(coop))
    services.deposit(
        cooperative=coop, actor=None, account_id=account.pk, amount="1000", idempotency_key="w"
    )
    with CaptureQueriesContext(connection) as queries:
        txn = services.deposit(
            cooperative=coop, actor=None, account_id=account.pk, amount="5000",
            idempotency_key="k1",
        )  # fmt: skip
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2 and "savings_cash_movement" in sql[1], sql
    assert txn.balance_after == D("6000.00")
    # Slots, not a single balance row, carry the general-ledger balances.
    assert BalanceSlot.objects.filter(account__cooperative=coop, account__code="1101").exists()


@pytest.mark.django_db(transaction=True)
def test_unusual_cases_get_the_ordinary_answer_and_change_nothing(caplog):
    coop = make_coop(code="unusual")
    member = make_member(coop)
    account = sukarela_account(coop, member)
    first = _move(coop, account, D("50000"), "pay-1")

    # A retry with the same key returns the first movement and posts nothing.
    before = books_snapshot(coop)
    again = _falls_back(caplog, Fallback.RETRY, lambda: _move(coop, account, D("50000"), "pay-1"))
    assert again.pk == first.pk
    assert books_snapshot(coop) == before

    # Overdraw, a locked kind, a wrong cooperative: the ordinary refusals, nothing written.
    wajib = SavingsAccount.objects.get(member=member, product__kind="wajib")
    other = make_coop(code="lainnya")
    for call, reason, code in (
        (lambda: _move(coop, account, D("-50000.01"), "over"), Fallback.REFUSED,
         "insufficient_balance"),
        (lambda: _move(coop, wajib, D("-1"), "locked"), Fallback.UNSUPPORTED, "savings_locked"),
        (lambda: _move(coop, account, D("0"), "zero"), None, "not_positive"),
    ):  # fmt: skip
        answer = _falls_back(caplog, reason, call) if reason else _answer(call)
        assert answer == code
    with pytest.raises(NotFound):
        _move(other, account, D("1000"), "elsewhere")
    assert books_snapshot(coop) == before

    # A date in a closed month: the function finds the day closed, the ordinary way refuses.
    coop.refresh_from_db()
    coop.books_closed_through = dt.date(2026, 1, 31)
    coop.save(update_fields=["books_closed_through"])
    refused = _falls_back(
        caplog,
        Fallback.CLOSED_DAY,
        lambda: _move(coop, account, D("1000"), "closed", business_date=dt.date(2026, 1, 15)),
    )
    assert refused == "period_closed"
    assert books_snapshot(coop) == before
    assert ledger_violations(cooperative=coop) == []


@pytest.mark.django_db(transaction=True)
def test_work_after_the_day_end_is_dated_the_next_day():
    coop = make_coop(code="nextday")
    account = sukarela_account(coop, make_member(coop))
    coop.refresh_from_db()
    today = ledger.local_today(coop)
    coop.days_closed_through = today
    coop.save(update_fields=["days_closed_through"])
    txn = _move(coop, account, D("1000"), "late")
    assert txn.business_date == today + dt.timedelta(days=1)
    assert JournalEntry.objects.get(pk=txn.journal_entry_id).business_date == txn.business_date


@pytest.mark.django_db(transaction=True)
def test_a_state_change_under_the_lock_sends_it_the_ordinary_way(caplog, monkeypatch):
    """What Python read may be stale by the time the function locks the row: it then refuses
    (KD409) and the ordinary way answers from the locked row."""
    coop = make_coop(code="stale")
    account = sukarela_account(coop, make_member(coop))
    _move(coop, account, D("30000"), "fund")
    read = one_statement._account_as_read

    def read_then_spend(cooperative, account_id):
        seen = read(cooperative, account_id)
        # Another teller pays out meanwhile (the ordinary way, its own transaction).
        with transaction.atomic():
            _move(coop, account, D("-20000"), "meanwhile")
        return seen

    monkeypatch.setattr(one_statement, "_account_as_read", read_then_spend)
    refused = _falls_back(
        caplog, Fallback.CHANGED, lambda: _move(coop, account, D("-20000"), "now")
    )
    assert refused == "insufficient_balance"
    account.refresh_from_db()
    assert account.balance == D("10000.00")
    assert savings_violations(cooperative=coop) == []


@pytest.mark.django_db(transaction=True)
def test_a_request_without_an_address_is_audited_without_one():
    """Behind a unix socket REMOTE_ADDR is empty: stored as NULL, as Django stores it."""
    from django.http import HttpResponse
    from django.test import RequestFactory

    from koperasi.audit.middleware import RequestContextMiddleware

    coop = make_coop(code="noip")
    account = sukarela_account(coop, make_member(coop))
    moved = []

    def view(request):
        moved.append(_move(coop, account, D("5000"), "no-ip"))
        return HttpResponse()

    with CaptureQueriesContext(connection) as queries:
        RequestContextMiddleware(view)(RequestFactory().post("/", REMOTE_ADDR=""))
    txn = moved[0]
    assert "savings_cash_movement" in queries.captured_queries[-1]["sql"]
    assert _written(txn)["audit"][-1] is None
