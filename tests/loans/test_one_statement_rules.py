"""`loans_repay` against the ordinary way on every rule of the domain's and the product's
tables: each allocation order, each penalty kind on each accounting basis, each overpayment
mode, each class of both kolektibilitas regimes (KSP: each instalment frequency, Diragukan and
Macet with and without salvageable collateral, Macet after the doubtful period).

The scenarios are generated from the tables, so a rule added there is run here too. Each runs
on twin loans, one repaid through `loans_repay` (asserted to have run: counted, not fallen
back), the other the ordinary way, and every row they wrote is compared; each scenario also
asserts it reached what it was made for (a class), so that it keeps testing that rule.
"""

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import connection

from koperasi.administration import services as administration
from koperasi.domain import loan_quality, repayment
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.loans.models import Loan, LoanProduct
from koperasi.sqlrows import Fallback
from koperasi.tenancy.models import Cooperative
from tests.loans import twins
from tests.loans.conftest import check_books

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the one-statement way exists on PostgreSQL only"
    ),
    pytest.mark.django_db,
]
D = Decimal
When = Callable[[dt.date], dt.date]  # a payment's date from the first instalment's due date


def days(n: int) -> When:
    return lambda due: due + dt.timedelta(days=n)


def months(n: int, plus_days: int = 0) -> When:
    return lambda due: add_months(due, n) + dt.timedelta(days=plus_days)


def _after_doubtful(second: int, loss: int, plus_days: int) -> When:
    """`loss` months after the day a loan first went past its second threshold."""
    doubtful = months(second, 1)
    return lambda due: add_months(doubtful(due), loss) + dt.timedelta(days=plus_days)


@dataclass
class Scenario:
    payments: list[tuple[str, When]]  # (amount, date), one after another
    rules: dict = field(default_factory=dict)  # the product's
    regime: str = "bank"
    principal: str = "1200000"
    term: int = 12
    collateral: Decimal | None = None  # the loans' collateral value, when it matters
    salvageable: bool = True
    klass: int | None = None  # the class the last payment leaves
    refused: tuple[str, Fallback] | None = None  # the last payment's refusal and fallback


PENALTIES = {  # a setting for each penalty kind (a new kind fails here until it has one)
    "none": {},
    "pct_day": {"penalty_rate": D("0.1"), "penalty_grace_days": 3, "penalty_cap_pct": D("10")},
    "pct_month": {"penalty_rate": D("2"), "penalty_grace_days": 7},
    "flat": {"penalty_flat": D("10000")},
}
LATE = {"penalty_kind": "pct_day", **PENALTIES["pct_day"]}
TERMS = {"monthly": 12, "weekly": 26, "daily": 60}  # instalments of each frequency's loan


def _orders() -> dict[str, Scenario]:
    """Each order of the components: a part payment late (vertical), then ahead (by row)."""
    return {
        f"order {','.join(order)}": Scenario(
            rules={**LATE, "allocation_order": ",".join(order)},
            payments=[("60000", days(20)), ("400000", days(25))],
        )
        for order in itertools.permutations(repayment.COMPONENTS)
    }


def _penalties() -> dict[str, Scenario]:
    """Each penalty kind on each accounting basis: two late part payments."""
    return {
        f"penalty {kind}, {basis} basis": Scenario(
            rules={"penalty_kind": kind, **PENALTIES[kind], "accounting": basis},
            payments=[("10000", days(40)), ("150000", days(75))],
        )
        for kind in repayment.PENALTY_KINDS
        for basis in LoanProduct.Accounting.values
    }


def _overpayments() -> dict[str, Scenario]:
    """Each overpayment mode: more than is due, and more than the whole debt."""
    found = {}
    for mode in LoanProduct.Overpayment.values:
        rules = {**LATE, "overpayment": mode}
        found[f"overpayment {mode}, more than due"] = Scenario(
            rules=rules, payments=[("500000", days(0))]
        )
        takes_excess = mode == LoanProduct.Overpayment.SAVINGS
        found[f"overpayment {mode}, more than the debt"] = Scenario(
            rules=rules,
            payments=[("99000000", days(0))],
            refused=None if takes_excess else ("overpayment", Fallback.OVERPAYMENT),
        )
    return found


def _bank_classes() -> dict[str, Scenario]:
    """Each bucket of the bank regime: a small payment that many days late."""
    found, previous = {}, -1
    for klass, most in loan_quality.BANK_BUCKETS:
        last = most if most is not None else previous + 60
        late = (previous + 1 + last) // 2
        found[f"bank class {klass} ({late} days late)"] = Scenario(
            rules=LATE, payments=[("1000", days(late))], klass=klass
        )
        previous = last
    return found


def _ksp_classes() -> dict[str, Scenario]:
    """Each class of the KSP regime for each instalment frequency a product can have, on both
    sides of each threshold; beyond the second, by the collateral (salvageable or not) and
    after the doubtful period."""
    found = {}
    ample, none = D("1000000000"), D("0")
    for frequency in LoanProduct.Frequency.values:
        first, second = loan_quality.KSP_THRESHOLDS[frequency]
        loan = {"rules": {**LATE, "frequency": frequency}, "regime": "ksp"}
        loan["term"] = TERMS[frequency]
        name = f"ksp {frequency}"
        found[f"{name}: lancar up to {first} months"] = Scenario(
            **loan, payments=[("1000", months(first))], klass=loan_quality.LANCAR
        )
        found[f"{name}: kurang lancar past {first} months"] = Scenario(
            **loan, payments=[("1000", months(first, 1))], klass=loan_quality.KURANG_LANCAR
        )
        found[f"{name}: kurang lancar up to {second} months"] = Scenario(
            **loan, payments=[("1000", months(second))], klass=loan_quality.KURANG_LANCAR
        )
        for salvageable in (True, False):
            for collateral, klass in ((ample, loan_quality.DIRAGUKAN), (none, loan_quality.MACET)):
                found[
                    f"{name}: past {second} months, collateral {collateral},"
                    f" {'' if salvageable else 'not '}salvageable"
                ] = Scenario(
                    **loan,
                    payments=[("1000", months(second, 1))],
                    collateral=collateral,
                    salvageable=salvageable,
                    klass=klass,
                )
        loss = loan_quality.KSP_DOUBTFUL_TO_LOSS_MONTHS
        found[f"{name}: diragukan, then macet after {loss} months"] = Scenario(
            **loan,
            payments=[
                ("1000", months(second, 1)),  # Diragukan from this day
                ("1000", _after_doubtful(second, loss, -1)),  # still Diragukan
                ("1000", _after_doubtful(second, loss, 0)),  # Macet
            ],
            collateral=ample,
            klass=loan_quality.MACET,
        )
    return found


SCENARIOS = {
    **_orders(),
    **_penalties(),
    **_overpayments(),
    **_bank_classes(),
    **_ksp_classes(),
}


def test_every_table_has_its_scenarios():
    """The tables the scenarios come from, each entry covered (a regime or frequency added
    there without a scenario here fails)."""
    assert {s.regime for s in SCENARIOS.values()} == set(loan_quality.REGIMES)
    assert set(LoanProduct.Frequency.values) <= set(loan_quality.KSP_THRESHOLDS)
    for regime in loan_quality.REGIMES:
        reached = {s.klass for s in SCENARIOS.values() if s.regime == regime and s.klass}
        expected = (
            {klass for klass, _most in loan_quality.BANK_BUCKETS}
            if regime == "bank"
            else {loan_quality.LANCAR, loan_quality.KURANG_LANCAR}
            | {loan_quality.DIRAGUKAN, loan_quality.MACET}
        )
        assert reached == expected, regime


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_loans_repay_writes_what_the_ordinary_way_writes(coop, people, name):
    scenario = SCENARIOS[name]
    administration.update_cooperative(
        cooperative=coop, actor=None, collectibility_regime=scenario.regime
    )
    coop = Cooperative.objects.get(pk=coop.pk)
    product = twins.product_with(coop, **scenario.rules)
    fast, slow = twins.twins(coop, people, product, scenario.principal, term=scenario.term)
    if scenario.collateral is not None:
        Loan.objects.filter(pk__in=[fast.pk, slow.pk]).update(
            collateral_value=scenario.collateral, salvageable=scenario.salvageable
        )
    teller, due = people["teller"], twins.first_due(fast)
    for n, (amount, when) in enumerate(scenario.payments):
        day, value = when(due), D(amount)
        if scenario.refused and n == len(scenario.payments) - 1:
            code, reason = scenario.refused
            before = twins.fell_back(reason)
            for loan in (fast, slow):
                pay = twins.repay if loan is fast else twins.ordinary
                with pytest.raises(ServiceError) as refused:
                    pay(coop, teller, loan, value, f"{n}-{loan.pk}", day)
                assert refused.value.code == code
            assert twins.fell_back(reason) == before + 1
            continue
        twins.one_statement_(coop, teller, fast, value, f"fast-{n}", day)
        twins.ordinary(coop, teller, slow, value, f"slow-{n}", day)
    assert twins.written(fast) == twins.written(slow)
    if scenario.klass is not None:
        assert Loan.objects.get(pk=fast.pk).collectibility == scenario.klass
    check_books(coop)
