"""A cooperative ready for its day-end and month-end close, loaded with COPY (benchmarks/close.py).

Same approach as the loan book of benchmarks/_loans_data.py (whose helpers it reuses: products
through the services, schedules from the calculator, COPY with the secondary indexes rebuilt
afterwards, aggregate journal entries through `ledger.post_entry`), but the state is the one a
close meets: a cooperative that has closed every day through D0 (the day before the first day
to close) and every month through the end of the month before.

- N members (COPY, `_setup.MemberFactory`), one sukarela account each: 80 % on the default
  product SS (saldo harian, 3 % p.a.), 10 % on ST (saldo terendah, 3 %), 10 % on SR (saldo
  rata-rata, 3 %); about 2 % of the members also hold a 12-month time deposit (SB12, harian 6 %)
  maturing on a day spread over the next year (half roll over, half pay into sukarela).
  Pokok and wajib accounts are NOT created (the close does not read them; the wajib billing
  reads members only).
- Savings movements: an opening deposit the day before the month (balances spread up to
  Rp 1 billion, about 1 % above Rp 100 million so the final-tax cliff is crossed), then 1-3
  deposits or withdrawals per sukarela account on days spread over the whole month (also on the
  days still to close), `balance_after` consistent, `account.balance` = sum of its movements.
  One journal entry per (day, direction) through `post_entry` (Dr cash / Cr savings control
  or the reverse), so the savings control accounts equal the sub-ledger.
- `SavingsDayBalance` rows for every (account, day) with movements from the 1st through D0, as
  the day-end closes of those days would have written them.
- M active loans (no closed ones) of 12 monthly instalments, products PU, PP, PK accrual-basis
  (75 % of the loans) and PD, PS cash-basis; `period_start` = the previous due date (the
  disbursement date for the first row). About 10 % are in arrears (the most recent instalments
  due before D0 unpaid); the others have paid every instalment due through the month's last day
  (the ones due after D0 paid early, `paid_on` <= D0).
- Steady state as of D0 (as if every earlier day had been closed): interest accrued through D0
  on the unpaid rows of accrual-basis loans that are Lancar or DPK (the engine's formula,
  rounded the same way), `interest_accrued` = `interest_paid` on paid rows; penalties assessed
  through D0 on late rows (`domain.repayment.penalty_increment`, `penalty_through` = D0);
  days past due and class as of D0 (`domain.loan_quality.classify`), `assessed_on` = D0.
  `accrued_interest` and `penalty_receivable` per loan = what its rows hold; one opening entry
  each for the loan book, the accrued interest and the booked penalties.
- `books_closed_through` = the month before (through `ledger.close_month`),
  `days_closed_through` = D0, and a finished close run with its day steps for D0 (so the first
  close starts at D0 + 1, as after a real close history).
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

import _loans_data as LD
import _setup as S
from _workers import log

TERM = LD.TERM
# Arrears: how many of the most recent instalments due before D0 are unpaid (weights, %):
# about 10 % of the loans are late; 9 or more: long past maturity (Diragukan, Macet).
MISSED_WEIGHTS = {
    0: 90.0,
    1: 3.5,
    2: 1.8,
    3: 1.2,
    4: 0.8,
    5: 0.6,
    6: 0.5,
    7: 0.4,
    8: 0.3,
    10: 0.5,
    12: 0.4,
}
ACCRUAL_CODES = ("PU", "PP", "PK")  # PP is accrual-basis out of the box; PU and PK are switched
# Extra sukarela products (the default SS is saldo harian 3 %): (code, name, method).
EXTRA_SUKARELA = (
    ("ST", "Sukarela Saldo Terendah", "terendah"),
    ("SR", "Sukarela Saldo Rata-rata", "rata_rata"),
)
SUKARELA_SPLIT = ("SS",) * 8 + ("ST", "SR")  # by member index % 10
BERJANGKA_CODE = "SB12"


@dataclass
class CloseBook:
    cooperative: Any
    month_first: dt.date
    month_last: dt.date
    first_close_day: dt.date  # D1
    stats: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Products


def _loan_products(coop: Any) -> dict[str, Any]:
    from koperasi.loans import services as loans
    from koperasi.loans.models import LoanProduct

    products = LD._products(coop)  # PU, PP, PD (defaults) + PK, PS
    for code in ACCRUAL_CODES:
        if products[code].accounting != "accrual":
            loans.update_product(
                cooperative=coop, actor=None, product_id=products[code].pk, accounting="accrual"
            )
    return {p.code: p for p in LoanProduct.objects.filter(cooperative=coop)}


def _savings_products(coop: Any) -> dict[str, Any]:
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


def _load_savings(
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
    first_id = LD._next_id(SavingsAccount)
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

    LD.copy_rows(
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
    LD._reset_sequence(SavingsAccount)
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
    LD.copy_text(
        SavingsTransaction,
        [
            "cooperative_id",
            "account_id",
            "kind",
            "amount",
            "balance_after",
            "business_date",
            "journal_entry_id",
            "note",
            "idempotency_key",
            "channel",
            "reverses_id",
            "actor_id",
            "created_at",
        ],
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


def _day_balances(coop: Any, month_first: dt.date, last_closed: dt.date) -> int:
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


# ---------------------------------------------------------------------------------------------
# Loans


def _plans(
    n: int,
    first_loan_id: int,
    first_application_id: int,
    member_ids: list[int],
    officer_ids: list[int],
    schedules: LD.Schedules,
    last_closed: dt.date,
    month_last: dt.date,
    rng: random.Random,
) -> list[tuple[LD.Plan, int]]:
    """(plan, missed instalments) per loan; every loan active."""
    codes = [m[0] for m in LD.LOAN_MIX]
    weights = [m[1] for m in LD.LOAN_MIX]
    ranges = {m[0]: m[2:] for m in LD.LOAN_MIX}
    missed_values = list(MISSED_WEIGHTS)
    missed_weights = list(MISSED_WEIGHTS.values())
    borrowers = rng.sample(member_ids, min(len(member_ids), max(1, int(n * 0.9))))
    plans = []
    for k in range(n):
        code = rng.choices(codes, weights)[0]
        low, high, step = ranges[code]
        principal = rng.randrange(low, high + step, step)
        missed = rng.choices(missed_values, missed_weights)[0]
        if missed >= 9:
            disbursed = last_closed - dt.timedelta(days=rng.randint(300, 540))
        else:
            disbursed = last_closed - dt.timedelta(days=rng.randint(1, 360))
        dues = schedules.due_dates(disbursed)
        if missed == 0:
            # Up to date: everything due through the month's end is paid (early if after D0).
            paid = sum(1 for d in dues if d <= month_last)
        else:
            past = sum(1 for d in dues if d < last_closed)
            paid = past - min(past, missed)
        paid = min(paid, TERM - 1)  # always active: at least the last instalment is unpaid
        member = borrowers[k] if k < len(borrowers) else rng.choice(borrowers)
        plans.append(
            (
                LD.Plan(
                    loan_id=first_loan_id + k,
                    application_id=first_application_id + k,
                    seq=k + 1,
                    member_id=member,
                    code=code,
                    principal=principal,
                    officer_id=rng.choice(officer_ids),
                    disbursed=disbursed,
                    paid=paid,
                    closed=False,
                ),
                missed,
            )
        )
    return plans


@dataclass(slots=True)
class LoanState:
    outstanding: Decimal
    dpd: int
    klass: int
    doubtful: dt.date | None
    collateral: Decimal
    accrued_sen: int
    penalty_booked_sen: int
    # Per unpaid row index: (interest accrued in sen, penalty in sen, penalty_through or None).
    rows: dict[int, tuple[int, int, dt.date | None]]


def _sen(value: Decimal) -> int:
    return int(value * 100)


def _loan_state(
    plan: LD.Plan,
    product: Any,
    rule: Any,
    schedules: LD.Schedules,
    regime: str,
    last_closed: dt.date,
) -> LoanState:
    from koperasi.domain.loan_quality import DIRAGUKAN, DPK, classify
    from koperasi.domain.repayment import penalty_increment

    rows = schedules.rows(plan.code, plan.principal)
    dues = schedules.due_dates(plan.disbursed)
    starts = [plan.disbursed, *dues[:-1]]
    outstanding = rows[plan.paid - 1][3] if plan.paid else Decimal(plan.principal)
    first_unpaid = plan.paid
    late = [i for i in range(first_unpaid, TERM) if dues[i] < last_closed]
    dpd = (last_closed - dues[first_unpaid]).days if late else 0
    debt = outstanding + sum((rows[i][1] for i in late), Decimal(0))
    collateral = Decimal(plan.principal) * Decimal("1.2") if plan.code == "PP" else Decimal(0)
    klass = classify(
        regime,
        days_past_due=dpd,
        oldest_unpaid_principal_due=dues[first_unpaid] if late else None,
        as_of=last_closed,
        frequency="monthly",
        collateral_value=collateral,
        debt=debt,
    )
    doubtful = last_closed if klass == DIRAGUKAN else None
    accruing = product.accounting == "accrual" and klass <= DPK
    state_rows: dict[int, tuple[int, int, dt.date | None]] = {}
    accrued_total = penalty_total = 0
    for i in range(first_unpaid, TERM):
        accrued = 0
        if accruing and starts[i] < last_closed:
            interest_sen = _sen(rows[i][1])
            elapsed = min((last_closed - starts[i]).days, (dues[i] - starts[i]).days)
            period = max((dues[i] - starts[i]).days, 1)
            accrued = min(interest_sen, (interest_sen * elapsed * 2 + period) // (2 * period))
        penalty, through = 0, None
        if i in late:
            added = penalty_increment(
                rule,
                overdue=rows[i][0] + rows[i][1],
                payment=rows[i][2],
                due_date=dues[i],
                assessed_through=None,
                as_of=last_closed,
                already=Decimal(0),
            )
            penalty, through = _sen(added), last_closed
        accrued_total += accrued
        if product.accounting == "accrual":
            penalty_total += penalty
        state_rows[i] = (accrued, penalty, through)
    return LoanState(
        outstanding, dpd, klass, doubtful, collateral, accrued_total, penalty_total, state_rows
    )


def _money(sen: int) -> str:
    return f"{sen // 100}.{sen % 100:02d}"


def _instalment_lines(
    coop_id: int,
    plans: list[tuple[LD.Plan, int]],
    states: dict[int, LoanState],
    schedules: LD.Schedules,
    last_closed: dt.date,
) -> Iterator[str]:
    head = f"{coop_id}\t"
    for plan, _missed in plans:
        schedules.rows(plan.code, plan.principal)
        text = schedules.text[(plan.code, plan.principal)]
        amounts_rows = schedules.amounts[(plan.code, plan.principal)]
        dues = schedules.due_dates(plan.disbursed)
        state = states[plan.loan_id]
        prefix = f"{head}{plan.loan_id}\t1\t"
        start = plan.disbursed
        for i in range(TERM):
            due = dues[i]
            amounts, _paid_part = text[i]
            if i < plan.paid:
                paid_on = min(due - dt.timedelta(days=(plan.seq + i) % 4), last_closed)
                interest = f"{amounts_rows[i][1]:.2f}"
                principal = f"{amounts_rows[i][0]:.2f}"
                tail = (
                    f"{interest}\t{principal}\t{interest}\t0.00\t0.00\t0.00\t\\N\t"
                    f"{schedules.isoformat(paid_on)}\n"
                )
            else:
                accrued, penalty, through = state.rows[i]
                tail = (
                    f"{_money(accrued)}\t0.00\t0.00\t0.00\t{_money(penalty)}\t0.00\t"
                    f"{schedules.isoformat(through) if through else chr(92) + 'N'}\t\\N\n"
                )
            yield (
                f"{prefix}{i + 1}\t{schedules.isoformat(due)}\t{schedules.isoformat(start)}\t"
                f"{amounts}\t{tail}"
            )
            start = due


def _loan_rows(
    coop: Any,
    plans: list[tuple[LD.Plan, int]],
    states: dict[int, LoanState],
    schedules: LD.Schedules,
    products: dict[str, Any],
    last_closed: dt.date,
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    for plan, _missed in plans:
        product = products[plan.code]
        dues = schedules.due_dates(plan.disbursed)
        s = states[plan.loan_id]
        yield (
            plan.loan_id,
            coop.pk,
            f"{plan.code}-{plan.seq:06d}",
            plan.member_id,
            product.pk,
            plan.application_id,
            plan.officer_id,
            Decimal(plan.principal),
            product.rate,
            product.rate_period,
            product.method,
            product.frequency,
            product.rounding,
            TERM,
            plan.disbursed,
            dues[-1],
            "cash",
            "active",
            None,
            s.outstanding,
            Decimal(s.accrued_sen) / 100,
            Decimal(s.penalty_booked_sen) / 100,
            s.dpd,
            s.klass,
            s.doubtful,
            s.collateral,
            last_closed,
            now,
        )


LOAN_COLUMNS = [
    "id",
    "cooperative_id",
    "number",
    "member_id",
    "product_id",
    "application_id",
    "officer_id",
    "principal",
    "rate",
    "rate_period",
    "method",
    "frequency",
    "rounding",
    "term",
    "disbursed_on",
    "maturity_date",
    "disbursed_to",
    "status",
    "closed_on",
    "outstanding_principal",
    "accrued_interest",
    "penalty_receivable",
    "days_past_due",
    "collectibility",
    "doubtful_since",
    "collateral_value",
    "assessed_on",
    "created_at",
]
INSTALMENT_COLUMNS = [
    "cooperative_id",
    "loan_id",
    "version",
    "no",
    "due_date",
    "period_start",
    "principal",
    "interest",
    "payment",
    "balance",
    "interest_accrued",
    "principal_paid",
    "interest_paid",
    "interest_waived",
    "penalty",
    "penalty_paid",
    "penalty_through",
    "paid_on",
]


def _close_history(coop: Any, first: dt.date, last: dt.date) -> None:
    """What the day-end closes of the month's first days leave behind: one finished run, and
    for every day its day mark (a CloseBatch, when the engine has one) and its steps done."""
    from koperasi.closing import services as closing
    from koperasi.closing.models import CloseBatch, CloseRun, CloseStep
    from koperasi.closing.steps import DAY_STEPS

    run = CloseRun.objects.create(
        cooperative=coop, kind=CloseRun.Kind.DAY, target=last, status=CloseRun.Status.DONE
    )
    mark = getattr(closing, "DAY_MARK", None)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    if mark:
        CloseBatch.objects.bulk_create(
            CloseBatch(cooperative=coop, business_date=day, step=mark, first_id=0) for day in days
        )
    CloseStep.objects.bulk_create(
        CloseStep(
            cooperative=coop,
            run=run,
            business_date=day,
            step=step.name,
            status=CloseStep.Status.DONE,
        )
        for day in days
        for step in DAY_STEPS
    )


# ---------------------------------------------------------------------------------------------
# The load


def default_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last month that has ended: (first day, last day)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def load(
    members_wanted: int,
    loans_wanted: int,
    *,
    close_days: int = 2,
    berjangka_share: float = 0.02,
    seed: int = 20261123,
) -> CloseBook:
    """Cooperative, staff, products, members, savings, the loan book and the closed-through
    state; VACUUM ANALYZE; the references checked. Returns what the benchmark needs."""
    from django.db import connection

    from koperasi.ledger import services as ledger
    from koperasi.loans.models import (
        Collateral,
        Instalment,
        Loan,
        LoanApplication,
        LoanTransaction,
    )
    from koperasi.members.models import Member
    from koperasi.savings.models import SavingsAccount, SavingsDayBalance, SavingsTransaction
    from koperasi.tenancy.models import Cooperative

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    LD.COPY_SECONDS.clear()
    t_all = t0 = time.monotonic()
    coop = S.create_cooperative()
    manager, _teller, officer_ids = LD._staff(coop)
    loan_products = _loan_products(coop)
    savings_products = _savings_products(coop)
    timings["cooperative_staff_products_s"] = time.monotonic() - t0

    today = ledger.local_today(coop)
    month_first, month_last = default_month(today)
    first_close_day = month_last - dt.timedelta(days=close_days - 1)
    last_closed = first_close_day - dt.timedelta(days=1)  # D0
    if last_closed < month_first:
        raise ValueError("--close-days must leave at least one closed day in the month")

    t0 = time.monotonic()
    factory = S.MemberFactory()
    timings["copy_members_s"] = S.copy_members(factory, coop, 1, members_wanted)
    del factory
    log(f"{members_wanted:,} members in {timings['copy_members_s']:.1f} s")

    regime = str(coop.collectibility_regime)
    schedules = LD.Schedules(loan_products)
    now = dt.datetime.now(dt.UTC)
    stats: dict[str, Any] = {}
    with LD.bulk_load(
        Instalment._meta.db_table,
        LoanTransaction._meta.db_table,
        SavingsAccount._meta.db_table,
        SavingsTransaction._meta.db_table,
    ):
        stats["savings"] = _load_savings(
            coop,
            savings_products,
            month_first,
            month_last,
            first_close_day,
            berjangka_share,
            seed + 1,
            timings,
        )
        log(
            f"{stats['savings']['accounts']:,} savings accounts, "
            f"{stats['savings']['movements']:,} movements"
        )

        t0 = time.monotonic()
        member_ids = list(
            Member.objects.filter(cooperative=coop).order_by("pk").values_list("pk", flat=True)
        )
        plans = _plans(
            loans_wanted,
            LD._next_id(Loan),
            LD._next_id(LoanApplication),
            member_ids,
            officer_ids,
            schedules,
            last_closed,
            month_last,
            rng,
        )
        del member_ids
        from koperasi.loans.services.terms import penalty_rule

        rules = {code: penalty_rule(p) for code, p in loan_products.items()}
        states = {
            plan.loan_id: _loan_state(
                plan, loan_products[plan.code], rules[plan.code], schedules, regime, last_closed
            )
            for plan, _missed in plans
        }
        timings["plan_loans_s"] = time.monotonic() - t0
        outstanding = sum((s.outstanding for s in states.values()), Decimal(0))
        accrued = Decimal(sum(s.accrued_sen for s in states.values())) / 100
        penalties = Decimal(sum(s.penalty_booked_sen for s in states.values())) / 100

        t0 = time.monotonic()
        opening = ledger.post_entry(
            cooperative=coop,
            actor=None,
            lines=[
                ledger.Line(ledger.account_by_role(coop, "loans_receivable"), debit=outstanding),
                ledger.Line(ledger.account_by_role(coop, "cash"), credit=outstanding),
            ],
            memo="Saldo awal pinjaman (beban benchmark)",
            source="loans",
            source_ref="benchmark",
            idempotency_key="bench:opening-loan-book",
            business_date=month_first - dt.timedelta(days=1),
            allow_control=True,
        )
        for role_dr, role_cr, total, key in (
            ("interest_receivable", "loan_interest_income", accrued, "bench:opening-accrued"),
            ("penalty_receivable", "penalty_income", penalties, "bench:opening-penalties"),
        ):
            if total:
                ledger.post_entry(
                    cooperative=coop,
                    actor=None,
                    lines=[
                        ledger.Line(ledger.account_by_role(coop, role_dr), debit=total),
                        ledger.Line(ledger.account_by_role(coop, role_cr), credit=total),
                    ],
                    memo=f"Saldo awal {role_dr} (beban benchmark)",
                    source="loans",
                    source_ref="benchmark",
                    idempotency_key=key,
                    business_date=last_closed,
                    allow_control=True,
                )
        only_plans = [p for p, _m in plans]
        LD.copy_rows(
            LoanApplication,
            [
                "id",
                "cooperative_id",
                "number",
                "member_id",
                "product_id",
                "principal",
                "term",
                "purpose",
                "status",
                "channel",
                "monthly_income",
                "monthly_expenses",
                "other_instalments",
                "recommendation",
                "approval_level",
                "entered_by_id",
                "analysed_by_id",
                "decided_by_id",
                "submitted_on",
                "analysed_at",
                "decided_at",
                "created_at",
            ],
            LD._application_rows(coop, only_plans, schedules, None, manager.pk, rng),  # type: ignore[arg-type]
        )
        LD.copy_rows(
            Loan,
            LOAN_COLUMNS,
            _loan_rows(coop, plans, states, schedules, loan_products, last_closed, now),
        )
        instalments = LD.copy_text(
            Instalment,
            INSTALMENT_COLUMNS,
            _instalment_lines(coop.pk, plans, states, schedules, last_closed),
        )
        LD.copy_rows(
            Collateral,
            ["cooperative_id", "application_id", "kind", "description", "value"],
            (
                (
                    coop.pk,
                    p.application_id,
                    "bpkb" if p.principal < 30_000_000 else "shm",
                    "BPKB kendaraan" if p.principal < 30_000_000 else "SHM tanah dan bangunan",
                    Decimal(p.principal) * Decimal("1.2"),
                )
                for p in only_plans
                if p.code == "PP"
            ),
        )
        LD.copy_rows(
            LoanTransaction,
            [
                "cooperative_id",
                "loan_id",
                "kind",
                "channel",
                "business_date",
                "amount",
                "principal",
                "outstanding_after",
                "journal_entry_id",
                "idempotency_key",
                "note",
                "created_at",
            ],
            (
                (
                    coop.pk,
                    p.loan_id,
                    "disbursement",
                    "teller",
                    p.disbursed,
                    states[p.loan_id].outstanding,
                    states[p.loan_id].outstanding,
                    states[p.loan_id].outstanding,
                    opening.pk,
                    f"bench-opening:{p.loan_id}",
                    "Saldo awal (beban benchmark)",
                    now,
                )
                for p in only_plans
            ),
        )
        for model in (LoanApplication, Loan):
            LD._reset_sequence(model)
        Cooperative.objects.filter(pk=coop.pk).update(
            application_seq=len(plans), loan_seq=len(plans)
        )
        timings["copy_loan_book_s"] = time.monotonic() - t0
    timings["rebuild_indexes_s"] = LD.COPY_SECONDS.get("rebuild_indexes", 0.0)

    t0 = time.monotonic()
    day_balances = _day_balances(coop, month_first, last_closed)
    timings["day_balances_s"] = time.monotonic() - t0

    # Closed through: the month before (a real month close), and the days through D0 with the
    # close history a real run leaves (its day steps done), so the next close starts at D1.
    ledger.close_month(
        cooperative=coop,
        actor=None,
        year=(month_first - dt.timedelta(days=1)).year,
        month=(month_first - dt.timedelta(days=1)).month,
    )
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=last_closed)
    _close_history(coop, month_first, last_closed)

    t0 = time.monotonic()
    S.run_sql("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    dangling = LD.dangling_references(
        [
            LoanApplication,
            Loan,
            Instalment,
            Collateral,
            LoanTransaction,
            SavingsAccount,
            SavingsTransaction,
            SavingsDayBalance,
        ]
    )
    timings["reference_check_s"] = time.monotonic() - t0
    if any(dangling.values()):
        raise RuntimeError(f"the load left dangling references: {dangling}")
    timings["total_s"] = time.monotonic() - t_all

    coop.refresh_from_db()
    classes: dict[int, int] = defaultdict(int)
    arrears = 0
    for s in states.values():
        classes[s.klass] += 1
        arrears += s.dpd > 0
    accrual_loans = sum(1 for p, _m in plans if p.code in ACCRUAL_CODES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c WHERE relname = ANY(%s)",
            [
                [
                    "members_member",
                    "savings_savingsaccount",
                    "savings_savingstransaction",
                    "savings_savingsdaybalance",
                    "loans_loan",
                    "loans_instalment",
                ]
            ],
        )
        sizes = {name: round(size / 1024 / 1024, 1) for name, size in cursor.fetchall()}
    stats.update(
        {
            "members": members_wanted,
            "loans": len(plans),
            "accrual_loans": accrual_loans,
            "cash_loans": len(plans) - accrual_loans,
            "loans_by_product": {
                code: sum(1 for p, _m in plans if p.code == code) for code in loan_products
            },
            "loans_in_arrears": arrears,
            "arrears_share": round(arrears / max(len(plans), 1), 3),
            "loans_by_class": dict(sorted(classes.items())),
            "instalments": instalments,
            "outstanding_total": str(outstanding),
            "accrued_interest_total": str(accrued),
            "penalty_receivable_total": str(penalties),
            "day_balance_rows": day_balances,
            "regime": regime,
            "month": f"{month_first.isoformat()}..{month_last.isoformat()}",
            "days_closed_through": last_closed.isoformat(),
            "books_closed_through": coop.books_closed_through.isoformat()
            if coop.books_closed_through
            else None,
            "table_sizes_mb": sizes,
            "timings_s": {k: round(v, 1) for k, v in timings.items()},
            "copy_s": {k: round(v, 1) for k, v in LD.COPY_SECONDS.items()},
            "dangling_references": sum(dangling.values()),
        }
    )
    return CloseBook(coop, month_first, month_last, first_close_day, stats)
