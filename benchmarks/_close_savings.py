"""The savings of the close benchmark's cooperative (benchmarks/_close_data.py): sukarela
products on three interest methods, accounts and a few time deposits, the month's movements
with their journal entries, and the end-of-day balances the day-ends before D1 wrote."""

from __future__ import annotations

import datetime as dt
import random
import time
from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import _copy as C

# Extra sukarela products (the default SS is saldo harian 3 %): (code, name, method).
EXTRA_SUKARELA = (
    ("ST", "Sukarela Saldo Terendah", "terendah"),
    ("SR", "Sukarela Saldo Rata-rata", "rata_rata"),
)
SUKARELA_SPLIT = ("SS",) * 8 + ("ST", "SR")  # by member index % 10
BERJANGKA_CODE = "SB12"


def create_savings_products(coop: Any) -> dict[str, Any]:
    from koperasi.savings import services as savings
    from koperasi.savings.models import SavingsProduct

    for code, name, method in EXTRA_SUKARELA:
        savings.create_product(
            cooperative=coop,
            actor=None,
            code=code,
            name=name,
            kind="sukarela",
            annual_rate=Decimal("3"),
            interest_method=method,
        )
    return {p.code: p for p in SavingsProduct.objects.filter(cooperative=coop)}


# ---------------------------------------------------------------------------------------------
# Savings: accounts and movements, generated twice from the same seed (pass 1: accounts and
# the day totals for the journal entries; pass 2: the movements pointing at those entries).


@dataclass(frozen=True, slots=True)
class AccountPlan:
    account_id: int
    member_id: int
    number: str
    code: str
    opened_on: dt.date
    maturity: dt.date | None
    on_maturity: str
    opening: int  # whole rupiah
    moves: tuple[tuple[dt.date, int], ...]  # (day, signed amount) in date order

    @property
    def balance(self) -> int:
        return self.opening + sum(a for _d, a in self.moves)


def _opening_balance(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.70:
        return rng.randrange(50_000, 5_000_000, 1_000)
    if r < 0.95:
        return rng.randrange(5_000_000, 50_000_000, 10_000)
    if r < 0.99:
        return rng.randrange(50_000_000, 150_000_000, 100_000)
    return rng.randrange(150_000_000, 1_000_000_000, 1_000_000)


def _account_plans(
    seed: int,
    member_ids: array,
    member_numbers: list[str],
    first_account_id: int,
    month_first: dt.date,
    month_last: dt.date,
    first_close_day: dt.date,
    berjangka_share: float,
) -> Iterator[AccountPlan]:
    rng = random.Random(seed)
    opening_day = month_first - dt.timedelta(days=1)
    days = (month_last - month_first).days + 1
    next_id = first_account_id
    for index, member_id in enumerate(member_ids):
        number = member_numbers[index]
        code = SUKARELA_SPLIT[index % 10]
        opening = _opening_balance(rng)
        opened = opening_day - dt.timedelta(days=rng.randint(0, 3000))
        moves = []
        balance = opening
        count = rng.choices((1, 2, 3), (40, 35, 25))[0]
        for day_no in sorted(rng.randint(1, days) for _ in range(count)):
            on = month_first + dt.timedelta(days=day_no - 1)
            if rng.random() < 0.4 and opening >= 30_000:
                # Withdrawals never exceed a third of the opening balance each: never overdrawn.
                amount = -rng.randrange(1_000, opening // 3 + 1, 1_000)
            else:
                amount = rng.randrange(10_000, 2_000_000, 1_000)
            balance += amount
            moves.append((on, amount))
        yield AccountPlan(
            next_id,
            member_id,
            f"{code}-{number}",
            code,
            opened,
            None,
            "rollover",
            opening,
            tuple(moves),
        )
        next_id += 1
        if rng.random() < berjangka_share:
            # Maturing on a day spread over the next year (from the first day to close on).
            maturity = first_close_day + dt.timedelta(days=rng.randint(0, 364))
            yield AccountPlan(
                next_id,
                member_id,
                f"{BERJANGKA_CODE}-{number}",
                BERJANGKA_CODE,
                _months_before(maturity, 12),
                maturity,
                "rollover" if rng.random() < 0.5 else "sukarela",
                rng.randrange(5_000_000, 100_000_000, 500_000),
                (),
            )
            next_id += 1


def _months_before(day: dt.date, months: int) -> dt.date:
    from koperasi.domain.periods import add_months

    return add_months(day, -months)


def load_savings(
    coop: Any,
    products: dict[str, Any],
    month_first: dt.date,
    month_last: dt.date,
    first_close_day: dt.date,
    berjangka_share: float,
    seed: int,
    timings: dict[str, float],
) -> dict[str, Any]:
    from django.db import connection

    from koperasi.ledger import services as ledger
    from koperasi.savings.models import SavingsAccount, SavingsTransaction

    t0 = time.monotonic()
    member_ids = array("q")
    member_numbers: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, number FROM members_member WHERE cooperative_id = %s ORDER BY id",
            [coop.pk],
        )
        while True:
            chunk = cursor.fetchmany(50_000)
            if not chunk:
                break
            for pk, number in chunk:
                member_ids.append(pk)
                member_numbers.append(number)
    first_id = C.next_id(SavingsAccount)
    args = (
        member_ids,
        member_numbers,
        first_id,
        month_first,
        month_last,
        first_close_day,
        berjangka_share,
    )
    opening_day = month_first - dt.timedelta(days=1)

    # Pass 1: the accounts (COPY) and the day totals.
    totals: dict[tuple[dt.date, str], int] = defaultdict(int)
    opening_by_kind: dict[str, int] = defaultdict(int)
    counts = {"accounts": 0, "berjangka": 0, "movements": 0, "by_product": defaultdict(int)}
    big = 0

    def account_rows() -> Iterator[tuple[Any, ...]]:
        nonlocal big
        for plan in _account_plans(seed, *args):
            product = products[plan.code]
            counts["accounts"] += 1
            counts["by_product"][plan.code] += 1
            counts["movements"] += 1 + len(plan.moves)
            kind = "berjangka" if plan.code == BERJANGKA_CODE else "sukarela"
            opening_by_kind[kind] += plan.opening
            if kind == "berjangka":
                counts["berjangka"] += 1
            for on, amount in plan.moves:
                totals[(on, "deposit" if amount > 0 else "withdrawal")] += abs(amount)
            balance = plan.balance
            big += balance >= 100_000_000
            yield (
                plan.account_id,
                coop.pk,
                plan.member_id,
                product.pk,
                plan.number,
                "open",
                plan.opened_on,
                plan.maturity,
                plan.on_maturity,
                Decimal(balance),
            )

    C.copy_rows(
        SavingsAccount,
        [
            "id",
            "cooperative_id",
            "member_id",
            "product_id",
            "number",
            "status",
            "opened_on",
            "maturity_date",
            "on_maturity",
            "balance",
        ],
        account_rows(),
    )
    C.reset_sequence(SavingsAccount)
    timings["savings_accounts_s"] = time.monotonic() - t0

    # The journal entries: the opening balances, then one per (day, direction).
    t0 = time.monotonic()
    cash = ledger.account_by_role(coop, "cash")
    gl_sukarela = ledger.account_by_role(coop, "savings_sukarela")
    gl_berjangka = ledger.account_by_role(coop, "savings_berjangka")
    entries: dict[tuple[dt.date, str], int] = {}
    opening_lines = [
        ledger.Line(cash, debit=Decimal(sum(opening_by_kind.values()))),
        ledger.Line(gl_sukarela, credit=Decimal(opening_by_kind["sukarela"])),
    ]
    if opening_by_kind["berjangka"]:
        opening_lines.append(
            ledger.Line(gl_berjangka, credit=Decimal(opening_by_kind["berjangka"]))
        )
    entries[(opening_day, "opening")] = ledger.post_entry(
        cooperative=coop,
        actor=None,
        lines=opening_lines,
        memo="Saldo awal simpanan (beban benchmark)",
        source="savings",
        source_ref="benchmark",
        idempotency_key="bench:savings:opening",
        business_date=opening_day,
        allow_control=True,
    ).pk
    for (on, kind), total in sorted(totals.items()):
        amount = Decimal(total)
        lines = (
            [ledger.Line(cash, debit=amount), ledger.Line(gl_sukarela, credit=amount)]
            if kind == "deposit"
            else [ledger.Line(gl_sukarela, debit=amount), ledger.Line(cash, credit=amount)]
        )
        entries[(on, kind)] = ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=lines,
            memo=f"Setoran/penarikan simpanan {on.isoformat()} (beban benchmark)",
            source="savings",
            source_ref="benchmark",
            idempotency_key=f"bench:savings:{on.isoformat()}:{kind}",
            business_date=on,
            allow_control=True,
        ).pk
    timings["savings_entries_s"] = time.monotonic() - t0

    # Pass 2: the movements.
    now = dt.datetime.now(dt.UTC).isoformat()
    head = f"{coop.pk}\t"
    opening_entry = entries[(opening_day, "opening")]
    opening_iso = opening_day.isoformat()
    tail = f"\t\\N\t\\N\t{now}\n"

    def movement_lines() -> Iterator[str]:
        for plan in _account_plans(seed, *args):
            acc = plan.account_id
            yield (
                f"{head}{acc}\tdeposit\t{plan.opening}.00\t{plan.opening}.00\t{opening_iso}\t"
                f"{opening_entry}\tSaldo awal\tbench:{acc}:0\tteller{tail}"
            )
            balance = plan.opening
            for n, (on, amount) in enumerate(plan.moves, start=1):
                balance += amount
                kind = "deposit" if amount > 0 else "withdrawal"
                yield (
                    f"{head}{acc}\t{kind}\t{amount}.00\t{balance}.00\t{on.isoformat()}\t"
                    f"{entries[(on, kind)]}\t\tbench:{acc}:{n}\tteller{tail}"
                )

    t0 = time.monotonic()
    C.copy_text(
        SavingsTransaction,
        C.SAVINGS_MOVEMENT_COLUMNS,
        movement_lines(),
    )
    timings["savings_movements_s"] = time.monotonic() - t0
    del member_numbers
    return {
        "accounts": counts["accounts"],
        "sukarela_accounts": counts["accounts"] - counts["berjangka"],
        "berjangka_accounts": counts["berjangka"],
        "accounts_by_product": dict(counts["by_product"]),
        "movements": counts["movements"],
        "accounts_at_or_above_100m": big,
        "journal_entries": len(entries),
    }


def day_balances(coop: Any, month_first: dt.date, last_closed: dt.date) -> int:
    """What the day-end closes from the 1st through D0 wrote: each account's balance at the end
    of every day it moved (the last movement of the day)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO savings_savingsdaybalance
                (cooperative_id, account_id, business_date, balance)
            SELECT DISTINCT ON (t.account_id, t.business_date)
                   t.cooperative_id, t.account_id, t.business_date, t.balance_after
            FROM savings_savingstransaction t
            JOIN savings_savingsaccount a ON a.id = t.account_id
            JOIN savings_savingsproduct p ON p.id = a.product_id
            WHERE t.cooperative_id = %s AND t.business_date BETWEEN %s AND %s
              AND p.interest_method <> 'none'
            ORDER BY t.account_id, t.business_date, t.id DESC
            """,
            [coop.pk, month_first, last_closed],
        )
        return cursor.rowcount
