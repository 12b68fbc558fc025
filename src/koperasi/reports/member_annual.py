"""A member's annual statement (for their tax return): per savings account the opening and
closing balance, deposits, withdrawals, interest credited and tax withheld in the year; per
loan the principal at the start and end, and the principal, interest and penalties paid.

A handful of aggregate queries per member, whatever the number of accounts and movements.
A reversal counts with the movement it reverses (a reversed deposit is no deposit).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import QuerySet, Sum

from koperasi.domain.money import ZERO
from koperasi.ledger.selectors import cents, grouped_sums
from koperasi.loans.models import Loan, LoanTransaction
from koperasi.members.models import Member
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from koperasi.tenancy.models import Cooperative

S = SavingsTransaction.Kind
L = LoanTransaction.Kind
MONEY_IN = {S.DEPOSIT, S.TRANSFER_IN, S.LOAN_CREDIT}
MONEY_OUT = {S.WITHDRAWAL, S.TRANSFER_OUT, S.LOAN_DEBIT, S.REFUND}
PAYMENTS = {L.REPAYMENT, L.PAYOFF, L.RECOVERY}


@dataclass(frozen=True)
class SavingsYear:
    account: SavingsAccount
    opening: Decimal
    deposits: Decimal
    withdrawals: Decimal
    interest: Decimal
    tax: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.deposits - self.withdrawals + self.interest - self.tax


@dataclass(frozen=True)
class LoanYear:
    loan: Loan
    principal_start: Decimal
    disbursed: Decimal
    principal_paid: Decimal
    interest_paid: Decimal
    penalty_paid: Decimal
    written_off: Decimal
    principal_end: Decimal  # the start and every change of the year, whatever its kind


def _total(rows: Iterable[Any], name: str) -> Decimal:
    return sum((getattr(row, name) for row in rows), ZERO)


@dataclass(frozen=True)
class AnnualStatement:
    member: Member
    year: int
    start: dt.date
    end: dt.date
    savings: list[SavingsYear] = field(default_factory=list)
    loans: list[LoanYear] = field(default_factory=list)

    def savings_total(self) -> dict[str, Decimal]:
        names = ("opening", "deposits", "withdrawals", "interest", "tax", "closing")
        return {name: _total(self.savings, name) for name in names}

    def loans_total(self) -> dict[str, Decimal]:
        names = ("principal_start", "disbursed", "principal_paid", "interest_paid")
        names += ("penalty_paid", "written_off", "principal_end")
        return {name: _total(self.loans, name) for name in names}


def _sums_by(
    qs: QuerySet[Any], keys: Sequence[str], fields: Sequence[str]
) -> dict[tuple[Any, ...], tuple[Decimal, ...]]:
    """Σ of decimal fields per tuple of keys, exact on every database (as `grouped_sums`)."""
    totals: dict[tuple[Any, ...], list[Decimal]] = {}
    if connections[qs.db].vendor == "sqlite":
        for row in qs.order_by().values_list(*keys, *fields).iterator():
            acc = totals.setdefault(tuple(row[: len(keys)]), [ZERO] * len(fields))
            for i, value in enumerate(row[len(keys) :]):
                acc[i] += value or ZERO
        return {key: tuple(map(cents, acc)) for key, acc in totals.items()}
    sums = {f"s{i}": Sum(name) for i, name in enumerate(fields)}
    rows = qs.order_by().values(*keys).annotate(**sums).values_list(*keys, *sums)
    return {tuple(row[: len(keys)]): tuple(v or ZERO for v in row[len(keys) :]) for row in rows}


def annual_statement(*, cooperative: Cooperative, member: Member, year: int) -> AnnualStatement:
    if member.cooperative_id != cooperative.pk:
        raise ValueError("member of another cooperative")
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return AnnualStatement(
        member=member,
        year=year,
        start=start,
        end=end,
        savings=_savings(cooperative, member, start, end),
        loans=_loans(cooperative, member, start, end),
    )


def _savings(
    cooperative: Cooperative, member: Member, start: dt.date, end: dt.date
) -> list[SavingsYear]:
    accounts = list(
        SavingsAccount.objects.filter(cooperative=cooperative, member=member)
        .select_related("product")
        .order_by("product__kind", "id")
    )
    movements = SavingsTransaction.objects.filter(
        cooperative=cooperative, account__member=member, business_date__lte=end
    )
    opening = grouped_sums(movements.filter(business_date__lt=start), "account_id", ["amount"])
    in_year = _sums_by(
        movements.filter(business_date__gte=start),
        ["account_id", "kind", "reverses__kind"],
        ["amount"],
    )
    parts: dict[int, dict[str, Decimal]] = {}
    for (account_id, kind, reversed_kind), (amount,) in in_year.items():
        kind = reversed_kind if kind == S.REVERSAL and reversed_kind else kind
        if kind in MONEY_IN:
            part, value = "deposits", amount
        elif kind in MONEY_OUT:
            part, value = "withdrawals", -amount
        elif kind == S.INTEREST:
            part, value = "interest", amount
        else:  # tax (a reversal of a reversal does not exist)
            part, value = "tax", -amount
        totals = parts.setdefault(account_id, {})
        totals[part] = totals.get(part, ZERO) + value
    rows = []
    for account in accounts:
        got = parts.get(account.pk, {})
        start_balance = opening.get(account.pk, (ZERO,))[0]
        if (
            not got
            and not start_balance
            and (account.opened_on > end or (account.closed_on and account.closed_on < start))
        ):
            continue  # not open in the year, nothing in it
        rows.append(
            SavingsYear(
                account=account,
                opening=start_balance,
                deposits=got.get("deposits", ZERO),
                withdrawals=got.get("withdrawals", ZERO),
                interest=got.get("interest", ZERO),
                tax=got.get("tax", ZERO),
            )
        )
    return rows


def _loans(
    cooperative: Cooperative, member: Member, start: dt.date, end: dt.date
) -> list[LoanYear]:
    loans = list(
        Loan.objects.filter(cooperative=cooperative, member=member, disbursed_on__lte=end)
        .select_related("product")
        .order_by("disbursed_on", "id")
    )
    movements = LoanTransaction.objects.filter(
        cooperative=cooperative, loan__member=member, business_date__lte=end
    )
    before = grouped_sums(movements.filter(business_date__lt=start), "loan_id", ["principal"])
    in_year = _sums_by(
        movements.filter(business_date__gte=start),
        ["loan_id", "kind", "reverses__kind"],
        ["principal", "interest", "penalty"],
    )
    parts: dict[int, dict[str, Decimal]] = {}
    for (loan_id, kind, reversed_kind), (principal, interest, penalty) in in_year.items():
        kind = reversed_kind if kind == L.REVERSAL and reversed_kind else kind
        totals = parts.setdefault(loan_id, {})

        def add(part: str, value: Decimal, totals: dict[str, Decimal] = totals) -> None:
            totals[part] = totals.get(part, ZERO) + value

        if kind == L.DISBURSEMENT:
            add("disbursed", principal)
        elif kind in PAYMENTS:
            add("principal_paid", -principal)
            add("interest_paid", interest)
            add("penalty_paid", penalty)
        elif kind == L.WRITE_OFF:
            add("written_off", -principal)
        add("change", principal)
    rows = []
    for loan in loans:
        got = parts.get(loan.pk, {})
        principal_start = before.get(loan.pk, (ZERO,))[0]
        if not got and not principal_start:
            continue  # paid off before the year began
        rows.append(
            LoanYear(
                loan=loan,
                principal_start=principal_start,
                disbursed=got.get("disbursed", ZERO),
                principal_paid=got.get("principal_paid", ZERO),
                interest_paid=got.get("interest_paid", ZERO),
                penalty_paid=got.get("penalty_paid", ZERO),
                written_off=got.get("written_off", ZERO),
                principal_end=principal_start + got.get("change", ZERO),
            )
        )
    return rows
