"""The SHU's inputs from the books of a closed year and the simulation over them.

Each member's savings (the kinds that count: their balance at the year end, or the average of
the twelve month-end balances) and transactions
(loan interest paid in the year, and principal borrowed, each with its weight) are read with
one grouped query each, never per member; the calculator (`domain.shu`) shares the pools.
A distributed year keeps the rules it was distributed by (`ShuDistribution.rules`), so its
figures and every member's working stay as the RAT approved them.
The allocation applies to the members' part of the SHU; the non-members' part is not
distributed to members (UU 25/1992 Pasal 45) and goes whole to the reserve.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, QuerySet, Value, When
from django.db.models.functions import ExtractMonth
from django.utils.translation import gettext as _

from koperasi.domain import shu as calculator
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger.selectors import grouped_sums
from koperasi.loans.models import LoanTransaction
from koperasi.members.models import Member
from koperasi.savings.models import SavingsKind, SavingsTransaction
from koperasi.shu.models import ShuDistribution, ShuSettings, ShuShare, ShuYear, default_allocation
from koperasi.tenancy.models import Cooperative

DEFAULT_KINDS = (SavingsKind.POKOK, SavingsKind.WAJIB)
PAID = (LoanTransaction.Kind.REPAYMENT, LoanTransaction.Kind.PAYOFF)
WEIGHTED = DecimalField(max_digits=24, decimal_places=2)
# Where the non-members' part and the rounding remainders go.
RESERVE_FUND = "cadangan"


@dataclass(frozen=True)
class Simulation:
    year: ShuYear
    allocation: calculator.Allocation
    result: calculator.ShuResult

    def numbers(self, shares: list[calculator.MemberShare]) -> dict[str, str]:
        """member id → member number of the shares a page shows (only those: a million
        numbers would cost more than the computation)."""
        rows = Member.objects.filter(
            cooperative_id=self.year.cooperative_id, pk__in=[int(s.id) for s in shares]
        ).order_by()
        return {str(pk): number for pk, number in rows.values_list("pk", "number")}


def settings_of(cooperative: Cooperative) -> ShuSettings:
    found = ShuSettings.objects.filter(cooperative=cooperative).first()
    return found or ShuSettings(cooperative=cooperative)


RULE_FIELDS = ("allocation", "savings_kinds", "savings_basis", "transaction_weights", "rounding")


def rules_as_data(settings: ShuSettings) -> dict[str, Any]:
    """The rules a distribution keeps (JSON)."""
    return {name: getattr(settings, name) for name in RULE_FIELDS}


def rules_of(cooperative: Cooperative, shu_year: ShuYear) -> ShuSettings:
    """The rules of a year: those it was distributed by, else the cooperative's current ones."""
    distribution = ShuDistribution.objects.filter(shu_year=shu_year).only("rules").first()
    if distribution is not None and distribution.rules:
        kept = {k: v for k, v in distribution.rules.items() if k in RULE_FIELDS}
        return ShuSettings(cooperative=cooperative, **kept)
    return settings_of(cooperative)


def closed_year(cooperative: Cooperative, year: int) -> ShuYear:
    found = ShuYear.objects.filter(cooperative=cooperative, year=year).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class _Sources:
    """The rows the figures are summed from: savings that count up to the year end, loan
    interest paid and principal borrowed in the year."""

    savings: QuerySet[SavingsTransaction]
    interest: QuerySet[LoanTransaction]
    borrowed: QuerySet[LoanTransaction]
    weights: dict[str, Decimal]
    average: bool  # savings as the average of the month-end balances

    @property
    def savings_field(self) -> str:
        return "month_weighted" if self.average else "amount"

    # On the average basis a member's figure is the sum of their twelve month-end balances
    # (Σ amount × the month ends it was held at): twelve times the average, so every share
    # (my figure ÷ all figures × pool) is the average's, and exact (no division by 12).

    def transactions(self, interest: Decimal, borrowed: Decimal) -> Decimal:
        return (
            self.weights.get("loan_interest", ZERO) * interest
            + self.weights.get("loan_principal", ZERO) * borrowed
        )


def _sources(cooperative: Cooperative, year: int, settings: ShuSettings) -> _Sources:
    year_end = dt.date(year, 12, 31)
    kinds = settings.savings_kinds or list(DEFAULT_KINDS)
    in_year = LoanTransaction.objects.filter(
        cooperative=cooperative, business_date__range=(dt.date(year, 1, 1), year_end)
    )
    savings = SavingsTransaction.objects.filter(
        cooperative=cooperative, business_date__lte=year_end, account__product__kind__in=kinds
    )
    average = settings.savings_basis == ShuSettings.SavingsBasis.AVERAGE
    if average:
        # A movement before the year is in all twelve month-end balances; one in month m is in
        # the balances of months m..12, 13 − m of them.
        held = Case(
            When(business_date__lt=dt.date(year, 1, 1), then=Value(12)),
            default=13 - ExtractMonth("business_date"),
        )
        savings = savings.annotate(
            month_weighted=ExpressionWrapper(F("amount") * held, output_field=WEIGHTED)
        )
    return _Sources(
        savings,
        in_year.filter(
            Q(kind__in=PAID) | Q(kind=LoanTransaction.Kind.REVERSAL, reverses__kind__in=PAID)
        ),
        in_year.filter(kind=LoanTransaction.Kind.DISBURSEMENT),
        {k: Decimal(v) for k, v in settings.transaction_weights.items()},
        average,
    )


def member_figures(
    cooperative: Cooperative, year: int, settings: ShuSettings
) -> list[calculator.MemberFigures]:
    """Every member with savings or transactions that count, in member order: one grouped
    query per source, never a query per member."""
    src = _sources(cooperative, year, settings)
    savings = grouped_sums(src.savings, "account__member_id", [src.savings_field])
    interest = grouped_sums(src.interest, "loan__member_id", ["interest"])
    borrowed = grouped_sums(src.borrowed, "loan__member_id", ["principal"])
    figures = []
    for member_id in sorted(set(savings) | set(interest) | set(borrowed)):
        transactions = src.transactions(
            interest.get(member_id, (ZERO,))[0], borrowed.get(member_id, (ZERO,))[0]
        )
        figures.append(
            calculator.MemberFigures(
                str(member_id),
                max(savings.get(member_id, (ZERO,))[0], ZERO),
                transactions,
            )
        )
    return figures


def _one(src: _Sources, member: Member | None) -> tuple[Decimal, Decimal]:
    """(savings, transactions) of one member, or of everyone: aggregates, no rows."""
    savings, interest, borrowed = src.savings, src.interest, src.borrowed
    if member is not None:
        savings = savings.filter(account__member=member)
        interest = interest.filter(loan__member=member)
        borrowed = borrowed.filter(loan__member=member)
    total = grouped_sums(savings, None, [src.savings_field]).get(None, (ZERO,))[0]
    paid = grouped_sums(interest, None, ["interest"]).get(None, (ZERO,))[0]
    lent = grouped_sums(borrowed, None, ["principal"]).get(None, (ZERO,))[0]
    return max(total, ZERO), src.transactions(paid, lent)


def allocation_of(percents: dict[str, str]) -> calculator.Allocation:
    try:
        parsed = {k: Decimal(str(v).strip().replace(",", ".")) for k, v in percents.items()}
    except ArithmeticError as error:
        message = _("Each percentage is a number such as 40 or 2.5.")
        raise ServiceError("shu_percent", message, "allocation") from error
    try:
        return calculator.Allocation.of(parsed)
    except DomainError as error:
        raise ServiceError.from_domain(error, "allocation") from error


def simulate(
    *, cooperative: Cooperative, year: int, allocation: dict[str, str] | None = None
) -> Simulation:
    """The SHU of a closed year shared by the cooperative's settings, or by another
    allocation (a scenario): nothing is written."""
    shu_year = closed_year(cooperative, year)
    settings = rules_of(cooperative, shu_year)
    chosen = allocation_of(allocation or settings.allocation or default_allocation())
    figures = member_figures(cooperative, year, settings)
    pool = max(shu_year.member_part, ZERO)
    try:
        result = calculator.compute_shu(
            shu=pool, allocation=chosen, members=figures, rounding=Decimal(settings.rounding)
        )
    except DomainError as error:
        raise ServiceError.from_domain(error) from error
    return Simulation(shu_year, chosen, result)


@dataclass(frozen=True)
class MyShu:
    """One member's SHU of a closed year with the working of each part."""

    year: ShuYear
    average: bool  # savings figures are the sums of the twelve month-end balances
    share: ShuShare | None  # once distributed: the share and its payment
    jasa_modal: calculator.ShareWorking
    jasa_usaha: calculator.ShareWorking

    @property
    def total(self) -> Decimal:
        return self.jasa_modal.share + self.jasa_usaha.share


def my_shu(*, cooperative: Cooperative, member: Member) -> list[MyShu]:
    """The member's SHU for every closed year (newest first): their figures against the
    totals of all members, read with aggregates, not by computing everyone's share. (The
    totals count every member's savings as they stand, which `member_figures` floors at 0
    per member; savings balances cannot be negative, so the two agree.)"""
    out = []
    for shu_year in ShuYear.objects.filter(cooperative=cooperative).order_by("-year"):
        settings = rules_of(cooperative, shu_year)
        allocation = allocation_of(settings.allocation or default_allocation())
        unit = Decimal(settings.rounding)
        src = _sources(cooperative, shu_year.year, settings)
        savings, transactions = _one(src, member)
        total_savings, total_transactions = _one(src, None)
        pools = calculator.compute_shu(
            shu=max(shu_year.member_part, ZERO), allocation=allocation, members=[], rounding=unit
        )
        out.append(
            MyShu(
                shu_year,
                src.average,
                ShuShare.objects.filter(distribution__shu_year=shu_year, member=member).first(),
                calculator.share_working(
                    savings, total_savings, pools.pool(calculator.JASA_MODAL), unit
                ),
                calculator.share_working(
                    transactions, total_transactions, pools.pool(calculator.JASA_USAHA), unit
                ),
            )
        )
    return out
