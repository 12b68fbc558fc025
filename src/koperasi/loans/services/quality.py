"""Penalties assessed for a date, days past due and the kolektibilitas class."""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.domain.loan_quality import DIRAGUKAN, classify
from koperasi.domain.money import ZERO
from koperasi.domain.repayment import PenaltyRule, penalty_increment
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.services.common import (
    AGAIN_KEY,
    ENTRY_KEY,
    PENALTY_KEY,
    PENALTY_MEMO,
    SOURCE,
    business_date,
    current_rows,
    gl,
    locked_loan,
    record_txn,
    save_rows,
)
from koperasi.loans.services.terms import penalty_rule
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel


# ---------------------------------------------------------------- penalties and quality


def earned_penalty(rule: PenaltyRule, row: Instalment, on: dt.date) -> Decimal:
    """What an instalment's lateness has earned since it was last assessed, up to `on`; zero
    when it is not overdue. The one place the quote, the payroll reconciliation and the
    assessment ask."""
    overdue = row.principal_due + row.interest_due
    if row.due_date >= on or overdue <= 0:
        return ZERO
    return penalty_increment(
        rule,
        overdue=overdue,
        payment=row.payment,
        due_date=row.due_date,
        assessed_through=row.penalty_through,
        as_of=on,
        already=row.penalty,
    )


def book_penalties(
    cooperative: Cooperative, actor: Any, loan: Loan, rows: list[Instalment], on: dt.date
) -> LoanTransaction | None:
    """Add the penalty each overdue instalment has earned up to `on` (idempotent per date).

    Accrual-basis products book it (Dr penalty receivable, Cr penalty income); on a cash-basis
    product it is owed by the member but becomes income only when paid.
    """
    product = loan.product
    if product.penalty_kind == LoanProduct.PenaltyKind.NONE:
        return None
    rule = penalty_rule(product)
    changed: list[Instalment] = []
    total = ZERO
    for row in rows:
        overdue = row.due_date < on and row.principal_due + row.interest_due > 0
        # Never move penalty_through back (an earlier date adds nothing anyway).
        if not overdue or (row.penalty_through is not None and row.penalty_through >= on):
            continue
        added = earned_penalty(rule, row, on)
        row.penalty += added
        row.penalty_through = on
        total += added
        changed.append(row)
    if not changed:
        return None
    save_rows(changed, ("penalty", "penalty_through"))
    if not total:
        return None
    key = PENALTY_KEY % (loan.pk, on.isoformat())
    # A reversal can make an instalment late again on a day already assessed: that day's next
    # assessment gets its own key (counted under the loan's lock).
    earlier = LoanTransaction.objects.filter(loan=loan, kind=Kind.PENALTY, business_date=on).count()
    if earlier:
        key = AGAIN_KEY % (key, earlier + 1)
    entry = None
    if product.accounting == LoanProduct.Accounting.ACCRUAL:
        entry = ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=[
                ledger.Line(gl(cooperative, "penalty_receivable"), debit=total),
                ledger.Line(gl(cooperative, "penalty_income"), credit=total),
            ],
            memo=PENALTY_MEMO % loan.number,
            source=SOURCE,
            source_ref=loan.number,
            idempotency_key=ENTRY_KEY % key,
            business_date=on,
            allow_control=True,
        )
        loan.penalty_receivable += total
        loan.save(update_fields=["penalty_receivable"])
    return record_txn(
        loan=loan,
        kind=Kind.PENALTY,
        channel=Channel.SYSTEM,
        entry=entry,
        key=key,
        actor=actor,
        amount=total,
        penalty=total,
        on=on,
    )


def refresh_quality(
    cooperative: Cooperative, loan: Loan, rows: Iterable[Instalment], on: dt.date
) -> None:
    """Days past due and the kolektibilitas class under the cooperative's regime."""
    unpaid = [r for r in rows if r.due_date < on and r.principal_due + r.interest_due > 0]
    oldest = min((r.due_date for r in unpaid), default=None)
    oldest_principal = min((r.due_date for r in unpaid if r.principal_due > 0), default=None)
    loan.days_past_due = (on - oldest).days if oldest else 0
    debt = loan.outstanding_principal + sum((r.interest_due for r in unpaid), ZERO)
    klass = classify(
        cooperative.collectibility_regime,
        days_past_due=loan.days_past_due,
        oldest_unpaid_principal_due=oldest_principal,
        as_of=on,
        frequency=loan.frequency,
        salvageable=loan.salvageable,
        collateral_value=loan.collateral_value,
        debt=debt,
        doubtful_since=loan.doubtful_since,
    )
    if klass == DIRAGUKAN and loan.doubtful_since is None:
        loan.doubtful_since = on
    elif klass < DIRAGUKAN:
        loan.doubtful_since = None
    loan.collectibility = klass
    loan.assessed_on = on


@transaction.atomic
def assess(
    *, cooperative: Cooperative, actor: Any, loan_id: int, on: dt.date | None = None
) -> Loan:
    """Penalties and quality of one loan as of a date."""
    loan = locked_loan(cooperative, loan_id)
    if loan.status != Loan.Status.ACTIVE:
        return loan
    day = business_date(cooperative, on)
    _check_assessment_date(loan, day)
    rows = current_rows(loan)
    book_penalties(cooperative, actor, loan, rows, day)
    refresh_quality(cooperative, loan, rows, day)
    loan.save(update_fields=["days_past_due", "collectibility", "doubtful_since", "assessed_on"])
    return loan


def _check_assessment_date(loan: Loan, on: dt.date) -> None:
    """A loan is assessed as of a day its last assessment has not passed: an earlier one would
    put back an older, better class (a Macet loan as Lancar). Callers taking a date from a
    person also refuse future dates (the day-end batch assesses its own business date)."""
    if on < loan.disbursed_on:
        raise ServiceError(
            "before_disbursement",
            _("This loan was disbursed on %(date)s; assess as of that day or later.")
            % {"date": loan.disbursed_on.strftime("%d/%m/%Y")},
            "on",
        )
    if loan.assessed_on is not None and on < loan.assessed_on:
        raise ServiceError(
            "before_last_assessment",
            _("This loan was last assessed as of %(date)s; assess as of that day or later.")
            % {"date": loan.assessed_on.strftime("%d/%m/%Y")},
            "on",
        )


def assess_portfolio(*, cooperative: Cooperative, actor: Any, on: dt.date | None = None) -> int:
    """Every active loan of the cooperative, one transaction per loan; returns the count.

    A per-loan loop, fine for the demo and for a small cooperative; the day-end close (issue 4)
    replaces it with set-based SQL over batches.
    """
    day = business_date(cooperative, on)
    ids = list(
        Loan.objects.filter(cooperative=cooperative, status=Loan.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for loan_id in ids:
        assess(cooperative=cooperative, actor=actor, loan_id=loan_id, on=day)
    return len(ids)
