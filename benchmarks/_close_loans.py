"""The loans of the close benchmark's cooperative (benchmarks/_close_data.py): active loans in
the steady state of D0 (interest accrued, penalties assessed, classes set), their rows as
COPY input, and the close history the day-ends before D1 leave."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import _loans_data as LD
import _loans_rows as LR

TERM = LR.TERM
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


def create_loan_products(coop: Any) -> dict[str, Any]:
    from koperasi.loans import services as loans
    from koperasi.loans.models import LoanProduct

    products = LD._products(coop)  # PU, PP, PD (defaults) + PK, PS
    for code in ACCRUAL_CODES:
        if products[code].accounting != "accrual":
            loans.update_product(
                cooperative=coop, actor=None, product_id=products[code].pk, accounting="accrual"
            )
    return {p.code: p for p in LoanProduct.objects.filter(cooperative=coop)}


# ---------------------------------------------------------------------------------------------
# Loans


def plan_loans(
    n: int,
    first_loan_id: int,
    first_application_id: int,
    member_ids: list[int],
    officer_ids: list[int],
    schedules: LR.Schedules,
    last_closed: dt.date,
    month_last: dt.date,
    rng: random.Random,
) -> list[tuple[LR.Plan, int]]:
    """(plan, missed instalments) per loan; every loan active."""
    codes = [m[0] for m in LR.LOAN_MIX]
    weights = [m[1] for m in LR.LOAN_MIX]
    ranges = {m[0]: m[2:] for m in LR.LOAN_MIX}
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
                LR.Plan(
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


def loan_state(
    plan: LR.Plan,
    product: Any,
    rule: Any,
    schedules: LR.Schedules,
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


def instalment_lines(
    coop_id: int,
    plans: list[tuple[LR.Plan, int]],
    states: dict[int, LoanState],
    schedules: LR.Schedules,
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


def loan_rows(
    coop: Any,
    plans: list[tuple[LR.Plan, int]],
    states: dict[int, LoanState],
    schedules: LR.Schedules,
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


def close_history(coop: Any, first: dt.date, last: dt.date) -> None:
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
