"""Early payoff: the settlement quote of a day, and settling the whole loan for exactly it.

Lock order as for a repayment (`repayments.py`): the loan row, then the member's savings
account when one is involved, then the general-ledger rows inside `post_entry`.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.domain.money import ZERO, format_rupiah, round_half_up
from koperasi.domain.repayment import Applied
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans.models import Instalment, Loan, LoanProduct, LoanTransaction
from koperasi.loans.services.common import amount as parse_money
from koperasi.loans.services.common import business_date, current_rows
from koperasi.loans.services.quality import book_penalties, earned_penalty
from koperasi.loans.services.repayments import Split, check_active, post_payment, prepare_payment
from koperasi.loans.services.terms import penalty_rule
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel
RUPIAH = Decimal("1")


@dataclass(frozen=True)
class SettlementQuote:
    loan_number: str
    as_of: dt.date
    valid_until: dt.date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    interest_waived: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fee


def _quote(
    loan: Loan, rows: list[Instalment], on: dt.date
) -> tuple[SettlementQuote, dict[int, Decimal]]:
    """The payoff figures for `on` and, per row, the interest the payoff forgives."""
    product = loan.product
    rule = penalty_rule(product)
    penalty = ZERO
    for row in rows:
        penalty += row.penalty_due + earned_penalty(rule, row, on)
    due = [r for r in rows if r.due_date <= on]
    future = [r for r in rows if r.due_date > on and r.amount_due > 0]
    interest = sum((r.interest_due for r in due), ZERO)
    waived: dict[int, Decimal] = {}
    for index, row in enumerate(future):
        keep = product.early_payoff == LoanProduct.EarlyPayoff.FULL_INTEREST or index == 0
        if keep:
            interest += row.interest_due
        elif row.interest_due:
            waived[row.pk] = row.interest_due
    early_principal = sum((r.principal_due for r in future), ZERO)
    fee = round_half_up(early_principal * product.early_payoff_fee_pct / 100, RUPIAH)
    valid_until = future[0].due_date - dt.timedelta(days=1) if future else on
    if product.penalty_kind == LoanProduct.PenaltyKind.PCT_DAY and any(
        r.due_date < on and r.principal_due + r.interest_due > 0 for r in rows
    ):
        valid_until = on  # the penalty grows every day
    quote = SettlementQuote(
        loan_number=loan.number,
        as_of=on,
        valid_until=max(valid_until, on),
        principal=loan.outstanding_principal,
        interest=interest,
        penalty=penalty,
        fee=fee,
        interest_waived=sum(waived.values(), ZERO),
    )
    return quote, waived


# A quote is for a day the loan could be paid off on: not before it was disbursed, and at most
# a year after the business date (a quote further out is a guess, not a figure to pay).
QUOTE_HORIZON = dt.timedelta(days=366)


def settlement_quote(
    *, cooperative: Cooperative, loan_id: int, on: dt.date | None = None
) -> SettlementQuote:
    """What pays the loan off on `on` (default: the business date), valid to `valid_until`;
    reads only. `on` runs from the disbursement to QUOTE_HORIZON after the business date."""
    loan = (
        Loan.objects.filter(cooperative=cooperative, pk=loan_id).select_related("product").first()
    )
    if loan is None:
        raise NotFound(_("Loan not found."))
    check_active(loan)
    today = business_date(cooperative, None)
    day = on or today
    last = today + QUOTE_HORIZON
    if not loan.disbursed_on <= day <= last:
        raise ServiceError(
            "quote_date_out_of_range",
            _("A settlement quote is for a day from %(first)s (the disbursement) to %(last)s.")
            % {"first": loan.disbursed_on.isoformat(), "last": last.isoformat()},
            "on",
        )
    return _quote(loan, current_rows(loan), day)[0]


@transaction.atomic
def pay_off(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    amount: Any,
    idempotency_key: str,
    channel: str = Channel.TELLER,
    savings_account_id: int | None = None,
    business_date_: dt.date | None = None,
    note: str = "",
) -> LoanTransaction:
    """Settle the whole loan early for exactly the settlement quote of the day."""
    value = parse_money(amount)
    day = business_date(cooperative, business_date_)
    prepared = prepare_payment(
        cooperative,
        loan_id,
        idempotency_key,
        Kind.PAYOFF,
        channel,
        savings_account_id,
        value,
        day,
        note,
    )
    if isinstance(prepared, LoanTransaction):
        return prepared
    loan, source = prepared
    rows = current_rows(loan)
    quote, waived = _quote(loan, rows, day)
    if value != quote.total:
        raise ServiceError(
            "payoff_amount",
            _("The settlement amount today is %(total)s.") % {"total": format_rupiah(quote.total)},
            "amount",
        )
    with ledger.balances_at_end():
        return _settle(
            cooperative,
            actor,
            loan,
            rows,
            quote,
            waived,
            value,
            source,
            channel,
            idempotency_key,
            day,
            note,
        )


def _settle(
    cooperative: Cooperative,
    actor: Any,
    loan: Loan,
    rows: list[Instalment],
    quote: "SettlementQuote",
    waived: dict[int, Decimal],
    value: Decimal,
    source: SavingsAccount | None,
    channel: str,
    key: str,
    day: dt.date,
    note: str,
) -> LoanTransaction:
    """The payoff itself: today's penalties, then every instalment paid or its interest waived."""
    book_penalties(cooperative, actor, loan, rows, day)
    applied: list[tuple[Instalment, Applied]] = []
    for row in rows:
        interest = row.interest_due - waived.get(row.pk, ZERO)
        part = Applied(
            no=row.no, penalty=row.penalty_due, interest=interest, principal=row.principal_due
        )
        if part.total or row.pk in waived:  # a row whose interest is waived changes too
            applied.append((row, part))
    split = Split(applied=applied, waived=waived)
    return post_payment(
        cooperative=cooperative,
        actor=actor,
        loan=loan,
        rows=rows,
        split=split,
        value=value,
        fee=quote.fee,
        excess=ZERO,
        excess_account=None,
        source=source,
        channel=channel,
        key=key,
        kind=Kind.PAYOFF,
        on=day,
        note=note,
    )
