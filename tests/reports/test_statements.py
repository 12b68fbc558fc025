"""The financial statements against books whose figures are known."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.ledger.services import Line
from koperasi.reports import flows, services
from koperasi.reports.statements import mapping, position

D = Decimal


def entry(coop, key, day, debit, credit, amount, control=False):
    accounts = {a.code: a for a in Account.objects.filter(cooperative=coop)}
    return ledger.post_entry(
        cooperative=coop,
        actor=None,
        lines=[Line(accounts[debit], debit=D(amount)), Line(accounts[credit], credit=D(amount))],
        memo=key,
        source="test",
        idempotency_key=key,
        business_date=day,
        allow_control=control,
    )


@pytest.fixture
def books(coop):
    """2025: members pay in pokok, a loan is made, interest and a bank deposit earn income.
    2026: more of the same, costs, and a non-member loan's interest."""
    entry(coop, "pokok", dt.date(2025, 1, 10), "1101", "3101", "5000000.00", control=True)
    entry(coop, "sukarela", dt.date(2025, 1, 11), "1101", "2101", "20000000.00", control=True)
    entry(coop, "loan", dt.date(2025, 2, 1), "1201", "1101", "12000000.00", control=True)
    entry(coop, "interest25", dt.date(2025, 6, 30), "1101", "4101", "900000.00")
    entry(coop, "salary25", dt.date(2025, 7, 31), "5201", "1101", "300000.00")
    entry(coop, "repaid", dt.date(2026, 2, 1), "1101", "1201", "2000000.00", control=True)
    entry(coop, "interest26", dt.date(2026, 3, 31), "1101", "4101", "600000.00")
    entry(coop, "non-member", dt.date(2026, 4, 30), "1101", "4102", "200000.00")
    entry(coop, "office26", dt.date(2026, 5, 31), "5202", "1101", "100000.00")
    entry(coop, "inventaris", dt.date(2026, 6, 15), "1402", "1101", "1500000.00")
    return coop


def amounts(statement, code):
    return next(row.amounts for row in statement.rows if row.code == code)


def test_position_balances_and_splits_the_surplus_by_year(books):
    statement = position(
        cooperative=books, as_of=dt.date(2026, 6, 30), compare_to=dt.date(2025, 12, 31)
    )
    assert statement.figures["balanced"]
    assert amounts(statement, "cash") == (D("14800000.00"), D("13600000.00"))
    assert amounts(statement, "member_loans") == (D("10000000.00"), D("12000000.00"))
    # 2026: 600,000 + 200,000 − 100,000; 2025's 600,000 is surplus of earlier years.
    assert amounts(statement, "current_surplus") == (D("700000.00"), D("600000.00"))
    assert amounts(statement, "retained_surplus") == (D("600000.00"), D("0.00"))
    assert statement.figures["total_assets"] == (D("26300000.00"), D("25600000.00"))


def test_activity_keeps_non_member_income_apart(books):
    statement = flows.activity(
        cooperative=books,
        period=(dt.date(2026, 1, 1), dt.date(2026, 6, 30)),
        compare=(dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
    )
    assert statement.figures["surplus"] == (D("700000.00"), D("900000.00"))
    assert statement.figures["member_income"] == (D("600000.00"), D("900000.00"))
    assert statement.figures["non_member_income"] == (D("200000.00"), D("0.00"))
    # The costs are shared in proportion to income: 700,000 × 600/800 and × 200/800.
    assert statement.figures["member_surplus"] == (D("525000.00"), D("900000.00"))
    assert statement.figures["non_member_surplus"] == (D("175000.00"), D("0.00"))


def test_cash_flow_ends_at_the_change_in_cash(books):
    statement = flows.cash_flow(
        cooperative=books, period=(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    )
    assert statement.warnings == ()
    assert statement.figures["net_change"] == D("1200000.00") == statement.figures["cash_change"]
    rows = {row.code: row.amounts[0] for row in statement.rows if row.code}
    assert rows["member_loans"] == D("2000000.00")  # repaid: cash in
    assert rows["fixed_assets"] == D("-1500000.00")  # bought: cash out


def test_changes_in_equity_move_last_year_surplus(books):
    statement = flows.equity_changes(
        cooperative=books, period=(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    )
    rows = {row.code: row.amounts for row in statement.rows if row.code}
    # opening, added, taken, surplus of the period, closing
    assert rows["current_surplus"] == (D("600000.00"), 0, 0, D("100000.00"), D("700000.00"))
    assert rows["retained_surplus"] == (D("0.00"), 0, 0, D("600000.00"), D("600000.00"))
    total = statement.rows[-1].amounts
    assert total[-1] == D("6300000.00")  # pokok 5,000,000 + surplus 1,300,000


def test_an_unmapped_account_is_named_and_the_statement_still_balances(books, admin_user):
    new = ledger.create_account(
        cooperative=books, actor=admin_user, code="1105", name="Kas Kecil", parent_code="11"
    )
    entry(books, "petty", dt.date(2026, 6, 1), new.code, "1101", "50000.00")
    statement = position(cooperative=books, as_of=dt.date(2026, 6, 30))
    assert statement.figures["balanced"]
    assert any("1105 Kas Kecil" in w for w in statement.warnings)
    assert any(row.unmapped for row in statement.rows)
    services.set_account_line(cooperative=books, actor=admin_user, account_code="1105", line="cash")
    assert mapping(cooperative=books).unmapped == ()
    statement = position(cooperative=books, as_of=dt.date(2026, 6, 30))
    assert statement.warnings == ()
    assert amounts(statement, "cash") == (D("14800000.00"),)


def test_a_line_of_the_wrong_kind_is_refused(books, admin_user):
    with pytest.raises(ServiceError) as refused:
        services.set_account_line(
            cooperative=books, actor=admin_user, account_code="1101", line="loan_interest"
        )
    assert refused.value.code == "wrong_line"
    assert (
        mapping(cooperative=books).line_of[Account.objects.get(cooperative=books, code="1101").pk]
        == "cash"
    )


@pytest.mark.parametrize(
    ("day", "code"),
    [(dt.date(2099, 1, 1), "date_in_future"), (dt.date(2020, 1, 1), "before_cooperative")],
)
def test_dates_the_books_cannot_speak_for_are_refused(books, day, code):
    with pytest.raises(ServiceError) as refused:
        position(cooperative=books, as_of=day)
    assert refused.value.code == code
    assert refused.value.field == "as_of"


def test_a_closed_period_gives_the_same_figures_after_later_postings(books):
    for month in range(1, 13):
        ledger.close_month(cooperative=books, actor=None, year=2025, month=month)
    before = position(cooperative=books, as_of=dt.date(2025, 12, 31))
    entry(books, "later", dt.date(2026, 7, 1), "1101", "4301", "1000.00")
    assert position(cooperative=books, as_of=dt.date(2025, 12, 31)) == before
