import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import selectors, services
from koperasi.ledger.models import Account, BalanceSlot, JournalEntry, Posting
from koperasi.ledger.services import Line
from tests.conftest import books_snapshot

D = Decimal


def acc(coop, code):
    return Account.objects.get(cooperative=coop, code=code)


def post(coop, key="k1", amount="1000.00", debit="1101", credit="4301", **kw):
    return services.post_entry(
        cooperative=coop,
        actor=None,
        lines=[Line(acc(coop, debit), debit=D(amount)), Line(acc(coop, credit), credit=D(amount))],
        memo="Pendapatan lain",
        source="test",
        idempotency_key=key,
        **kw,
    )


def test_balanced_entry_updates_maintained_balances(coop):
    entry = post(coop, amount="1250000.00")
    assert entry.postings.count() == 2
    assert acc(coop, "1101").balance == D("1250000.00")
    assert acc(coop, "4301").balance == D("-1250000.00")
    assert acc(coop, "4301").normal_balance == D("1250000.00")
    assert selectors.ledger_violations(cooperative=coop) == []


def test_same_key_returns_first_entry_and_posts_nothing(coop):
    first = post(coop, key="same")
    again = post(coop, key="same", amount="999.00")
    assert again.pk == first.pk
    assert JournalEntry.objects.count() == 1
    assert acc(coop, "1101").balance == D("1000.00")


@pytest.mark.parametrize(
    "lines,code",
    [
        ([("1101", "100.00", "0"), ("4301", "0", "99.99")], "unbalanced"),
        ([("1101", "100.00", "0")], "entry_too_short"),
        ([("1101", "100.00", "100.00"), ("4301", "0", "0")], "one_side"),
        ([("1101", "100.001", "0"), ("4301", "0", "100.001")], "invalid_amount"),
        ([("1101", "-5.00", "0"), ("4301", "0", "-5.00")], "invalid_amount"),
        ([("1", "100.00", "0"), ("4301", "0", "100.00")], "account_not_postable"),
        ([("1101", "100.00", "0"), ("2101", "0", "100.00")], "control_account"),
    ],
)
def test_bad_entries_are_refused_and_books_unchanged(coop, lines, code):
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        services.post_entry(
            cooperative=coop,
            actor=None,
            lines=[Line(acc(coop, c), debit=D(d), credit=D(k)) for c, d, k in lines],
            memo="x",
            source="test",
            idempotency_key="bad",
        )
    assert err.value.code == code
    assert books_snapshot(coop) == before


def test_other_cooperatives_account_is_not_found(coop, other_coop):
    before = books_snapshot()
    with pytest.raises(NotFound):
        services.post_entry(
            cooperative=coop,
            actor=None,
            lines=[Line(acc(other_coop, "1101"), debit=D(1)), Line(acc(coop, "4301"), credit=D(1))],
            memo="x",
            source="test",
            idempotency_key="cross",
        )
    assert books_snapshot() == before


def test_closed_month_refuses_postings_dated_in_it(coop):
    post(coop, key="jan", business_date=dt.date(2025, 1, 20))
    services.close_month(cooperative=coop, actor=None, year=2025, month=1)
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        post(coop, key="late", business_date=dt.date(2025, 1, 31))
    assert err.value.code == "period_closed"
    assert books_snapshot(coop) == before
    post(coop, key="feb", business_date=dt.date(2025, 2, 1))


def test_months_close_in_order_and_only_once(coop):
    services.close_month(cooperative=coop, actor=None, year=2025, month=1)
    with pytest.raises(ServiceError) as err:
        services.close_month(cooperative=coop, actor=None, year=2025, month=3)
    assert err.value.code == "close_in_order"
    with pytest.raises(ServiceError) as err:
        services.close_month(cooperative=coop, actor=None, year=2025, month=1)
    assert err.value.code == "already_closed"
    today = services.business_today(coop)
    with pytest.raises(ServiceError) as err:
        services.close_month(cooperative=coop, actor=None, year=today.year, month=today.month)
    assert err.value.code in ("month_not_over", "close_in_order")


def test_reversal_mirrors_the_entry_and_restores_balances(coop):
    entry = post(coop, amount="500.00")
    reversal = services.reverse_entry(
        cooperative=coop, actor=None, entry=entry, reason="salah input", idempotency_key="rev"
    )
    assert reversal.reversal_of_id == entry.pk
    assert acc(coop, "1101").balance == D("0")
    assert Posting.objects.filter(entry=entry).count() == 2  # the original stays
    with pytest.raises(ServiceError) as err:
        services.reverse_entry(
            cooperative=coop, actor=None, entry=entry, reason="lagi", idempotency_key="rev2"
        )
    assert err.value.code == "already_reversed"
    assert selectors.ledger_violations(cooperative=coop) == []


def test_posted_rows_cannot_be_updated_in_the_database(coop):
    post(coop)
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.update(debit=D("5.00"))
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalEntry.objects.update(memo="diubah")


def test_check_reports_a_tampered_balance(coop):
    post(coop)
    BalanceSlot.objects.filter(account__cooperative=coop, account__code="1101").update(
        amount=D("1.00")
    )
    problems = selectors.ledger_violations(cooperative=coop)
    assert any("1101" in p for p in problems)


def test_trial_balance_balances_and_can_be_dated(coop):
    post(coop, key="a", amount="100.00", business_date=dt.date(2025, 1, 5))
    post(coop, key="b", amount="50.00", business_date=dt.date(2025, 2, 5))
    rows, debit, credit = selectors.trial_balance(cooperative=coop)
    assert debit == credit == D("150.00")
    rows, debit, credit = selectors.trial_balance(cooperative=coop, as_of=dt.date(2025, 1, 31))
    assert debit == credit == D("100.00")


def test_account_ledger_running_balance(coop):
    post(coop, key="a", amount="100.00", business_date=dt.date(2025, 1, 5))
    post(coop, key="b", amount="50.00", business_date=dt.date(2025, 2, 5))
    opening, lines = selectors.account_ledger(
        cooperative=coop, account=acc(coop, "1101"), date_from=dt.date(2025, 2, 1)
    )
    assert opening == D("100.00")
    assert [line.running_balance for line in lines] == [D("150.00")]


def test_manual_entry_by_code(coop, accountant):
    entry = services.post_manual_entry(
        cooperative=coop,
        actor=accountant,
        lines=[("5202", D("75000"), D("0")), ("1101", D("0"), D("75000"))],
        memo="Beli ATK",
        idempotency_key="atk",
    )
    assert entry.source == "manual"
    with pytest.raises(NotFound):
        services.post_manual_entry(
            cooperative=coop,
            actor=accountant,
            lines=[("9999", D("1"), D("0")), ("1101", D("0"), D("1"))],
            memo="x",
            idempotency_key="y",
        )


def test_sqlite_refuses_balances_beyond_its_exact_range(coop):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL numerics are exact at any size")
    post(coop, key="big", amount="9999999999999.99")
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as err:
        post(coop, key="bigger", amount="0.01")
    assert err.value.code == "too_large_for_sqlite"
    assert books_snapshot(coop) == before
