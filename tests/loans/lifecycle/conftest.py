"""Money on a loan against a real database (disbursement, repayments, reversal, early payoff,
penalties and the quality class): what the tests here share. Every figure is computed by hand
in the tests' comments.

The test loan (fixture `product`): Rp 1.200.000 over 12 months, declining balance 1,5 %/month,
no rounding, fees 1 % provisi + Rp 10.000 administration deducted, penalty 0,1 % of the overdue
instalment per day after 3 grace days, cash basis. Disbursed 15/01/2026, so instalment k is due
on the 15th, k months later, and pays principal 100.000 + interest (1.200.000 − 100.000·(k−1))
× 1,5 %:

    no  due         principal  interest  payment
     1  15/02/2026    100.000    18.000  118.000
     2  15/03/2026    100.000    16.500  116.500
     3  15/04/2026    100.000    15.000  115.000
     4  15/05/2026    100.000    13.500  113.500
    ...
    12  15/01/2027    100.000     1.500  101.500
                              Σ 117.000 (= 1.500 × (12 + 11 + … + 1) = 1.500 × 78)
"""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.ledger.models import Account
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment
from tests.loans.conftest import disbursed_loan

ON = dt.date(2026, 1, 15)
D = Decimal


def lines(entry):
    """The entry as sorted (account code, debit, credit)."""
    return sorted(
        (p.account.code, p.debit, p.credit) for p in entry.postings.select_related("account")
    )


def balance(coop, code):
    return Account.objects.get(cooperative=coop, code=code).balance


def rows(loan, version=1):
    return list(Instalment.objects.filter(loan=loan, version=version).order_by("no"))


def refused(exc_type, call, **kwargs):
    with pytest.raises(exc_type) as info:
        call(**kwargs)
    return info.value


def repay(coop, actor, loan, amount, key, on, **kw):
    return loans.repay(
        cooperative=coop,
        actor=actor,
        loan_id=loan.pk,
        amount=amount,
        idempotency_key=key,
        business_date_=on,
        **kw,
    )


@pytest.fixture
def loan(coop, borrower, product, officer, manager, teller):
    return disbursed_loan(coop, borrower, product, officer, manager, teller, ON)


def make_product(coop, admin_user, code, **changes):
    """The fixture product's terms with some changed."""
    terms = {
        "method": "menurun",
        "rate": D("1.5"),
        "rate_period": "month",
        "min_term": 1,
        "max_term": 24,
        "min_principal": D("100000"),
        "max_principal": D("20000000"),
        "provisi_pct": D("1"),
        "admin_fee": D("10000"),
        "penalty_kind": "pct_day",
        "penalty_rate": D("0.1"),
        "penalty_grace_days": 3,
    }
    return loans.create_product(
        cooperative=coop, actor=admin_user, code=code, name=code, **{**terms, **changes}
    )
