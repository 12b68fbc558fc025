"""The SHU benchmark's cooperative (benchmarks/shu.py): a year Y (last year) of savings and loans
for N members, loaded with COPY, its books posted in aggregate and its months closed.

Reuses the other loaders' helpers: members (`_setup.MemberFactory`), COPY with the secondary
indexes rebuilt afterwards (`_copy.bulk_load`), staff and loan products (`_loans_data`); the
loans are `_shu_loans.py`'s. What is written here:

- N members, each with a pokok (SP), a wajib (SW) and a sukarela (SS) account (the products every
  cooperative starts with), opened on the day the member joined.
- Savings movements (deposits, `balance_after` consistent, `account.balance` = Σ movements):
  pokok once, on the joining day (before or in Y, or after Y for the ~6 % who joined since);
  wajib 3 deposits in Y (from the joining day on), for half of the members who joined before Y
  one deposit before Y too, and for ~15 % one after 31 Dec Y (must not count); sukarela 1-2
  deposits from Y on (also after Y; sukarela does not count by default).
- Loans for about `loan_share` of the members, with their movements and entries (`_shu_loans`).
- Journal entries through `ledger.post_entry`, in aggregate, so each savings control account
  equals its sub-ledger: one per (kind, month) (Dr cash, Cr the kind's control account). For Y
  also non-member income (4301) and expenses (5201, 5202), monthly, sized so the year's SHU is
  positive.
- Every month of Y closed (`ledger.close_month`); the year itself is closed by the benchmark
  (timed).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import _copy as C
import _loans_data as LD
import _setup as S
import _shu_loans as SL
from _workers import log

COOP_CODE = "shubench"
# Share of the members who joined before Y who also paid wajib before Y; of all members with a
# wajib movement after Y.
WAJIB_BEFORE = 0.5
WAJIB_AFTER = 0.15
# Sized from the members' loan interest of Y: the year's other income and costs.
NON_MEMBER_INCOME_SHARE = Decimal("0.08")
SALARIES_SHARE = Decimal("0.55")
OFFICE_SHARE = Decimal("0.25")


@dataclass
class ShuBook:
    cooperative: Any
    manager: Any
    year: int
    stats: dict[str, Any] = field(default_factory=dict)


def _month(ordinal: int, cache: dict[int, tuple[int, int]]) -> tuple[int, int]:
    found = cache.get(ordinal)
    if found is None:
        day = dt.date.fromordinal(ordinal)
        found = cache[ordinal] = (day.year, day.month)
    return found


# ---------------------------------------------------------------------------------------------
# Savings: generated twice from the same seed (pass 1: accounts with their balances and the
# (kind, month) totals for the journal entries; pass 2: the movements pointing at them).

KINDS = ("pokok", "wajib", "sukarela")


def _moves(
    rng: random.Random,
    joined: int,
    y_first: int,
    y_last: int,
    last: int,
    pokok: int,
    wajib: int,
) -> tuple[list[tuple[int, int]], ...]:
    """(day ordinal, rupiah) deposits of one member's pokok, wajib and sukarela, in date order."""
    wajib_moves = []
    if joined <= y_last:
        if joined < y_first and rng.random() < WAJIB_BEFORE:
            wajib_moves.append((rng.randint(joined, y_first - 1), wajib * rng.randint(1, 12)))
        low = max(joined, y_first)
        wajib_moves += [(rng.randint(low, y_last), wajib) for _ in range(3)]
        if rng.random() < WAJIB_AFTER:
            wajib_moves.append((rng.randint(y_last + 1, last), wajib))
    else:
        wajib_moves.append((rng.randint(joined, last), wajib))
    low = max(joined, y_first)
    sukarela = [
        (rng.randint(low, last), rng.randrange(10_000, 5_000_000, 1_000))
        for _ in range(rng.randint(1, 2))
    ]
    wajib_moves.sort()
    sukarela.sort()
    return [(joined, pokok)], wajib_moves, sukarela


def _members(coop: Any) -> tuple[array, list[str], array]:
    from django.db import connection

    ids, numbers, joined = array("q"), [], array("l")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, number, joined_on FROM members_member WHERE cooperative_id = %s "
            "ORDER BY id",
            [coop.pk],
        )
        while chunk := cursor.fetchmany(50_000):
            for pk, number, on in chunk:
                ids.append(pk)
                numbers.append(number)
                joined.append(on.toordinal())
    return ids, numbers, joined


def load_savings(coop: Any, year: int, today: dt.date, seed: int, timings: dict) -> dict:
    from koperasi.ledger import services as ledger
    from koperasi.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction

    t0 = time.monotonic()
    ids, numbers, joined = _members(coop)
    products = {p.kind: p for p in SavingsProduct.objects.filter(cooperative=coop)}
    codes = [products[k].code for k in KINDS]
    product_ids = [products[k].pk for k in KINDS]
    y_first, y_last = dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
    last = today.toordinal()
    pokok, wajib = int(coop.pokok_amount), int(coop.wajib_amount)
    first_account = C.next_id(SavingsAccount)
    iso: dict[int, str] = {}

    def day(ordinal: int) -> str:
        text = iso.get(ordinal)
        if text is None:
            text = iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def plans() -> Iterator[tuple[int, int, tuple[list[tuple[int, int]], ...]]]:
        rng = random.Random(seed)
        for k in range(len(ids)):
            yield (
                k,
                first_account + 3 * k,
                _moves(rng, joined[k], y_first, y_last, last, pokok, wajib),
            )

    months: dict[int, tuple[int, int]] = {}
    totals: dict[tuple[str, tuple[int, int]], list[int]] = {}
    counted = {"accounts": 0, "movements": 0, "members_with_wajib_after_y": 0}
    head = f"{coop.pk}\t"

    def account_lines() -> Iterator[str]:
        for k, account, moves in plans():
            number = numbers[k]
            opened = day(joined[k])
            for n, kind in enumerate(KINDS):
                balance = 0
                for on, amount in moves[n]:
                    balance += amount
                    group = totals.setdefault((kind, _month(on, months)), [0, 0])
                    group[0] += amount
                    group[1] = max(group[1], on)
                counted["movements"] += len(moves[n])
                yield (
                    f"{account + n}\t{head}{ids[k]}\t{product_ids[n]}\t{codes[n]}-{number}\topen\t"
                    f"{opened}\t\\N\t\\N\trollover\t{balance}.00\n"
                )
            counted["accounts"] += 3
            counted["members_with_wajib_after_y"] += moves[1][-1][0] > y_last

    C.copy_text(
        SavingsAccount,
        [
            "id",
            "cooperative_id",
            "member_id",
            "product_id",
            "number",
            "status",
            "opened_on",
            "closed_on",
            "maturity_date",
            "on_maturity",
            "balance",
        ],
        account_lines(),
    )
    C.reset_sequence(SavingsAccount)
    timings["savings_accounts_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    cash = ledger.account_by_role(coop, "cash")
    controls = {k: ledger.account_by_role(coop, f"savings_{k}") for k in KINDS}
    entries: dict[tuple[str, tuple[int, int]], int] = {}
    for (kind, (y, m)), (total, latest) in sorted(totals.items()):
        amount = Decimal(total)
        entries[(kind, (y, m))] = ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=[ledger.Line(cash, debit=amount), ledger.Line(controls[kind], credit=amount)],
            memo=f"Setoran simpanan {kind} {m:02d}/{y} (beban benchmark)",
            source="savings",
            source_ref="benchmark",
            idempotency_key=f"bench:savings:{kind}:{y}-{m:02d}",
            business_date=dt.date.fromordinal(latest),
            allow_control=True,
        ).pk
    timings["savings_entries_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    tail = f"\tteller\t\\N\t\\N\t{dt.datetime.now(dt.UTC).isoformat()}\n"

    def movement_lines() -> Iterator[str]:
        for _k, account, moves in plans():
            for n, kind in enumerate(KINDS):
                acc = account + n
                balance = 0
                for no, (on, amount) in enumerate(moves[n]):
                    balance += amount
                    entry = entries[(kind, _month(on, months))]
                    yield (
                        f"{head}{acc}\tdeposit\t{amount}.00\t{balance}.00\t{day(on)}\t{entry}\t"
                        f"\tbench:{acc}:{no}{tail}"
                    )

    C.copy_text(
        SavingsTransaction,
        C.SAVINGS_MOVEMENT_COLUMNS,
        movement_lines(),
    )
    timings["savings_movements_s"] = time.monotonic() - t0
    return {**counted, "journal_entries": len(entries)}


# ---------------------------------------------------------------------------------------------
# The rest of the year's books, and the months closed


def post_year_income(coop: Any, year: int, member_interest: Decimal) -> dict[str, str]:
    """Non-member income and the year's costs, monthly, sized from the members' interest."""
    from koperasi.ledger import services as ledger
    from koperasi.ledger.models import Account

    by_code = {a.code: a for a in Account.objects.filter(cooperative=coop)}
    cash = ledger.account_by_role(coop, "cash")
    parts = (
        ("4301", NON_MEMBER_INCOME_SHARE, True),
        ("5201", SALARIES_SHARE, False),
        ("5202", OFFICE_SHARE, False),
    )
    posted: dict[str, Decimal] = defaultdict(Decimal)
    for month in range(1, 13):
        on = dt.date(year, month, 28)
        for code, share, is_income in parts:
            amount = (member_interest * share / 12).quantize(Decimal(1))
            if not amount:
                continue
            account = by_code[code]
            lines = (
                [ledger.Line(cash, debit=amount), ledger.Line(account, credit=amount)]
                if is_income
                else [ledger.Line(account, debit=amount), ledger.Line(cash, credit=amount)]
            )
            ledger.post_entry(
                cooperative=coop,
                actor=None,
                lines=lines,
                memo=f"{account.name} {month:02d}/{year} (beban benchmark)",
                source="manual",
                source_ref="benchmark",
                idempotency_key=f"bench:year:{code}:{month:02d}",
                business_date=on,
            )
            posted[code] += amount
    return {code: str(v) for code, v in posted.items()}


def close_months(coop: Any, actor: Any, year: int) -> None:
    from koperasi.ledger import services as ledger

    for month in range(1, 13):
        ledger.close_month(cooperative=coop, actor=actor, year=year, month=month)


# ---------------------------------------------------------------------------------------------
# The load


def load(members: int, loan_share: float, seed: int = 20261206) -> ShuBook:
    """Cooperative, staff, products, members, savings, loans, the year's books, the months of Y
    closed; VACUUM ANALYZE; the references checked."""
    from django.db import connection

    from koperasi.ledger import services as ledger
    from koperasi.loans.models import (
        Collateral,
        Instalment,
        Loan,
        LoanApplication,
        LoanTransaction,
    )
    from koperasi.savings.models import SavingsAccount, SavingsTransaction

    timings: dict[str, float] = {}
    C.COPY_SECONDS.clear()
    t_all = t0 = time.monotonic()
    coop = S.create_cooperative(COOP_CODE)
    manager, _teller, officer_ids = LD._staff(coop)
    products = LD._products(coop)
    timings["cooperative_staff_products_s"] = time.monotonic() - t0
    today = ledger.local_today(coop)
    year = today.year - 1
    d0 = min(dt.date(year + 1, 2, 28), today - dt.timedelta(days=1))

    factory = S.MemberFactory()
    timings["copy_members_s"] = S.copy_members(factory, coop, 1, members)
    del factory
    log(f"{members:,} members in {timings['copy_members_s']:.1f} s")

    stats: dict[str, Any] = {"members": members, "year": year}
    with C.bulk_load(
        SavingsAccount._meta.db_table,
        SavingsTransaction._meta.db_table,
        Instalment._meta.db_table,
        LoanTransaction._meta.db_table,
    ):
        stats["savings"] = load_savings(coop, year, today, seed + 1, timings)
        log(
            f"savings: {stats['savings']['accounts']:,} accounts, "
            f"{stats['savings']['movements']:,} movements "
            f"({timings['savings_accounts_s']:.1f} + {timings['savings_movements_s']:.1f} s)"
        )
        n_loans = max(1, round(members * loan_share / 0.9))  # plan_loans: 0.9 borrowers a loan
        stats["loans"] = SL.load_loans(
            coop, manager, officer_ids, products, n_loans, year, d0, seed + 2, timings
        )
        log(
            f"loans: {stats['loans']['loans']:,} loans, {stats['loans']['transactions']} "
            f"({timings['plan_loans_s']:.1f} + {timings['copy_loans_s']:.1f} s)"
        )
    timings["rebuild_indexes_s"] = C.COPY_SECONDS.get("rebuild_indexes", 0.0)
    log(f"indexes rebuilt in {timings['rebuild_indexes_s']:.1f} s")

    t0 = time.monotonic()
    interest_y = stats["loans"].pop("_interest_y")
    stats["year_income_and_costs"] = post_year_income(coop, year, interest_y)
    close_months(coop, manager, year)
    timings["year_books_and_month_closes_s"] = time.monotonic() - t0

    t0 = time.monotonic()
    S.run_sql("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    dangling = C.dangling_references(
        [SavingsAccount, SavingsTransaction, LoanApplication, Loan, Instalment, Collateral]
        + [LoanTransaction]
    )
    timings["reference_check_s"] = time.monotonic() - t0
    if any(dangling.values()):
        raise RuntimeError(f"the load left dangling references: {dangling}")
    timings["total_s"] = time.monotonic() - t_all
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c WHERE relname = ANY(%s)",
            [
                [
                    "members_member",
                    "savings_savingsaccount",
                    "savings_savingstransaction",
                    "loans_loan",
                    "loans_loantransaction",
                    "loans_instalment",
                ]
            ],
        )
        stats["table_sizes_mb"] = {n: round(s / 1024 / 1024, 1) for n, s in cursor.fetchall()}
    stats["timings_s"] = {k: round(v, 1) for k, v in timings.items()}
    stats["copy_s"] = {k: round(v, 1) for k, v in C.COPY_SECONDS.items()}
    coop.refresh_from_db()
    return ShuBook(coop, manager, year, stats)
