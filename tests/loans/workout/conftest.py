"""Troubled loans against a real database: restructuring (a new schedule version, the old one
kept) and write-off with later recovery, each proposed by one person and approved by another.

Restructuring and write-off take effect on the cooperative's business date (today), so the
loans here are disbursed relative to today. The test loan is the fixture product's: Rp 1.200.000
over 12 months, declining 1,5 %/month: instalment k pays 100.000 + (18.000 − 1.500·(k−1)).
"""

from decimal import Decimal

import pytest

from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment
from tests.loans.conftest import disbursed_loan

D = Decimal
FIELDS = (
    "version",
    "no",
    "due_date",
    "principal",
    "interest",
    "payment",
    "balance",
    "principal_paid",
    "interest_paid",
    "interest_waived",
    "penalty_paid",
    "paid_on",
)


def lines(entry):
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


def snapshot(loan, version):
    return list(
        Instalment.objects.filter(loan=loan, version=version).order_by("no").values_list(*FIELDS)
    )


def refused(exc_type, call, **kwargs):
    with pytest.raises(exc_type) as info:
        call(**kwargs)
    return info.value


@pytest.fixture
def today(coop):
    return ledger.business_today(coop)


@pytest.fixture
def late_loan(coop, borrower, product, officer, manager, teller, today):
    """Disbursed three months ago; instalment 1 paid on time, 2 and 3 due and unpaid."""
    start = add_months(today, -3)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, start)
    loans.repay(
        cooperative=coop,
        actor=teller,
        loan_id=loan.pk,
        amount="118000",
        idempotency_key="r1",
        business_date_=add_months(start, 1),
    )
    loan.refresh_from_db()
    return loan


def propose(coop, actor, loan, **changes):
    terms = {
        "kind": "rescheduling",
        "new_term": 24,
        "new_rate": D("1.5"),
        "new_rate_period": "month",
        "new_method": "menurun",
        "reason": "Usaha sepi setelah banjir",
        **changes,
    }
    return loans.propose_restructuring(cooperative=coop, actor=actor, loan_id=loan.pk, **terms)
