"""The loans of the benchmark book (benchmarks/_loans_data.py): their mix and arrears, each
loan's plan, its schedule from the calculator, and its rows as COPY input."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TERM = 12  # instalments per loan: 300,000 loans -> 3.6 million schedule rows
CLOSED_SHARE = 0.08
# Arrears: how many of the most recent past-due instalments are unpaid (weights, %).
# 9 or more: loans past their maturity with most of the schedule unpaid (Diragukan, Macet).
MISSED_WEIGHTS = {
    0: 77.0,
    1: 8.0,
    2: 4.0,
    3: 3.0,
    4: 2.0,
    5: 2.0,
    6: 1.0,
    7: 1.0,
    8: 1.0,
    10: 0.5,
    12: 0.5,
}
PURPOSES = [
    "Modal usaha warung",
    "Biaya sekolah anak",
    "Renovasi rumah",
    "Pembelian motor",
    "Modal tenun ikat",
    "Pupuk dan bibit",
    "Biaya kesehatan",
    "Perahu dan jaring",
]

# (product code, share of loans, smallest, largest, step) of the principal.
LOAN_MIX = (
    ("PU", 40, 1_000_000, 30_000_000, 500_000),
    ("PP", 20, 5_000_000, 100_000_000, 1_000_000),
    ("PD", 10, 500_000, 5_000_000, 250_000),
    ("PK", 15, 2_000_000, 50_000_000, 1_000_000),
    ("PS", 15, 1_000_000, 10_000_000, 500_000),
)

# ---------------------------------------------------------------------------------------------
# Schedules: amounts depend on (product, principal), due dates on the disbursement date only
# (monthly, no holiday skipping), so both are computed once by the calculator and reused.


class Schedules:
    def __init__(self, products: dict[str, Any]) -> None:
        self.products = products
        self.amounts: dict[tuple[str, int], list[tuple[Decimal, ...]]] = {}
        self.text: dict[tuple[str, int], list[tuple[str, str]]] = {}
        self.dates: dict[dt.date, list[dt.date]] = {}
        self.iso: dict[dt.date, str] = {}

    def rows(self, code: str, principal: int) -> list[tuple[Decimal, ...]]:
        """(principal, interest, payment, balance) per instalment."""
        key = (code, principal)
        found = self.amounts.get(key)
        if found is None:
            from koperasi.loans.services.terms import product_schedule

            schedule = product_schedule(
                self.products[code],
                principal=Decimal(principal),
                term=TERM,
                grace_periods=0,
                start=dt.date(2026, 1, 15),
            )
            found = [(r.principal, r.interest, r.payment, r.balance) for r in schedule.instalments]
            self.amounts[key] = found
            # "principal\tinterest\tpayment\tbalance" and "principal\tinterest" (when paid).
            self.text[key] = [
                (f"{p:.2f}\t{i:.2f}\t{pay:.2f}\t{b:.2f}", f"{p:.2f}\t{i:.2f}")
                for p, i, pay, b in found
            ]
        return found

    def due_dates(self, disbursed: dt.date) -> list[dt.date]:
        found = self.dates.get(disbursed)
        if found is None:
            from koperasi.domain.schedule import LoanTerms, build_schedule

            terms = LoanTerms(
                principal=Decimal(1_200_000),
                rate=Decimal(0),
                rate_period="month",
                periods=TERM,
                method="flat",
            )
            found = [r.due_date for r in build_schedule(terms, disbursed_on=disbursed).instalments]
            self.dates[disbursed] = found
        return found

    def isoformat(self, day: dt.date) -> str:
        text = self.iso.get(day)
        if text is None:
            text = self.iso[day] = day.isoformat()
        return text


@dataclass(frozen=True, slots=True)
class Plan:
    """One generated loan, enough to write all its rows."""

    loan_id: int
    application_id: int
    seq: int
    member_id: int
    code: str
    principal: int
    officer_id: int
    disbursed: dt.date
    paid: int  # instalments paid in full (the first `paid` rows)
    closed: bool


def plan_loans(
    n: int,
    first_loan_id: int,
    first_application_id: int,
    member_ids: list[int],
    officer_ids: list[int],
    schedules: Schedules,
    today: dt.date,
    rng: random.Random,
) -> list[Plan]:
    codes = [m[0] for m in LOAN_MIX]
    weights = [m[1] for m in LOAN_MIX]
    ranges = {m[0]: m[2:] for m in LOAN_MIX}
    missed_values = list(MISSED_WEIGHTS)
    missed_weights = list(MISSED_WEIGHTS.values())
    borrowers = rng.sample(member_ids, min(len(member_ids), max(1, int(n * 0.9))))
    plans = []
    for k in range(n):
        code = rng.choices(codes, weights)[0]
        low, high, step = ranges[code]
        principal = rng.randrange(low, high + step, step)
        closed = rng.random() < CLOSED_SHARE
        missed = 0 if closed else rng.choices(missed_values, missed_weights)[0]
        if closed:
            disbursed = today - dt.timedelta(days=rng.randint(380, 730))
        elif missed >= 9:
            disbursed = today - dt.timedelta(days=rng.randint(300, 540))
        else:
            disbursed = today - dt.timedelta(days=rng.randint(1, 360))
        dues = schedules.due_dates(disbursed)
        past = sum(1 for d in dues if d < today)
        paid = TERM if closed else past - min(past, missed)
        # About one member in ten of those with a loan has a second one.
        member = borrowers[k] if k < len(borrowers) else rng.choice(borrowers)
        plans.append(
            Plan(
                loan_id=first_loan_id + k,
                application_id=first_application_id + k,
                seq=k + 1,
                member_id=member,
                code=code,
                principal=principal,
                officer_id=rng.choice(officer_ids),
                disbursed=disbursed,
                paid=paid,
                closed=closed,
            )
        )
    return plans


# The columns `application_rows` fills, in its order.
APPLICATION_COLUMNS = [
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
]


def application_rows(
    coop: Any,
    plans: list[Plan],
    schedules: Schedules,
    manager_id: int,
    rng: random.Random,
) -> Iterator[tuple[Any, ...]]:
    products = schedules.products
    limit = coop.loan_manager_approval_limit
    for p in plans:
        submitted = p.disbursed - dt.timedelta(days=3 + p.seq % 12)
        payment = schedules.rows(p.code, p.principal)[0][2]
        income = (payment * Decimal(3 + p.seq % 4) / 50_000).quantize(Decimal(1)) * 50_000
        at = dt.datetime.combine(submitted, dt.time(2, 30), tzinfo=dt.UTC)
        yield (
            p.application_id,
            coop.pk,
            f"PM-{submitted.year}-{p.seq:06d}",
            p.member_id,
            products[p.code].pk,
            Decimal(p.principal),
            TERM,
            PURPOSES[p.seq % len(PURPOSES)],
            "disbursed",
            "portal" if p.seq % 5 == 0 else "office",
            income,
            (income * Decimal("0.4")).quantize(Decimal(1)),
            Decimal(0),
            "approve",
            "manager" if not limit or p.principal <= limit else "admin",
            p.officer_id,
            p.officer_id,
            manager_id,
            submitted,
            at + dt.timedelta(days=1),
            at + dt.timedelta(days=2),
            at,
        )


def loan_rows(
    coop: Any,
    plans: list[Plan],
    schedules: Schedules,
    products: dict[str, Any],
    outcome: dict[int, tuple[Decimal, int, int, dt.date | None]],
    today: dt.date,
    now: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    for p in plans:
        product = products[p.code]
        dues = schedules.due_dates(p.disbursed)
        outstanding, dpd, klass, doubtful = outcome[p.loan_id]
        yield (
            p.loan_id,
            coop.pk,
            f"{p.code}-{p.seq:06d}",
            p.member_id,
            product.pk,
            p.application_id,
            p.officer_id,
            Decimal(p.principal),
            product.rate,
            product.rate_period,
            product.method,
            product.frequency,
            product.rounding,
            TERM,
            p.disbursed,
            dues[-1],
            "cash",
            "closed" if p.closed else "active",
            dues[-1] if p.closed else None,
            outstanding,
            dpd,
            klass,
            doubtful,
            today,
            now,
        )


def instalment_lines(coop_id: int, plans: list[Plan], schedules: Schedules) -> Iterator[str]:
    """Text COPY lines; paid rows have principal and interest paid and `paid_on` set."""
    head = f"{coop_id}\t"
    unpaid = "0.00\t0.00\t0.00\t0.00\t0.00\t\\N\t\\N"
    for p in plans:
        schedules.rows(p.code, p.principal)
        text = schedules.text[(p.code, p.principal)]
        dues = schedules.due_dates(p.disbursed)
        prefix = f"{head}{p.loan_id}\t1\t"
        for i in range(TERM):
            due = schedules.isoformat(dues[i])
            # The interest period starts at the previous due date (the disbursement for no. 1).
            start = schedules.isoformat(dues[i - 1] if i else p.disbursed)
            amounts, paid_part = text[i]
            if i < p.paid:
                # Paid on the due date or up to three days before it; recognised when paid.
                paid_on = schedules.isoformat(dues[i] - dt.timedelta(days=(p.seq + i) % 4))
                interest_paid = paid_part.split("\t")[1]
                tail = f"{paid_part}\t0.00\t0.00\t0.00\t\\N\t{paid_on}\t{start}\t{interest_paid}\n"
            else:
                tail = f"{unpaid}\t{start}\t0.00\n"
            yield f"{prefix}{i + 1}\t{due}\t{amounts}\t{tail}"
