"""The day-end and month-end steps, in the order they run (`closing.services.engine` runs them)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from koperasi.bulk import Batch
from koperasi.loans.services import close_steps as loans
from koperasi.savings.services import close_steps as savings
from koperasi.tenancy.models import Cooperative


@dataclass(frozen=True)
class Step:
    name: str
    label: str | Promise
    # The batches of this step for a day: (first_id, last_id) ranges, [(0, 0)] for one batch.
    ranges: Callable[[Cooperative, dt.date], list[tuple[int, int]]]
    # Does one batch inside a transaction; returns the rows it touched.
    run_batch: Callable[[Batch], int]


def one_batch(_cooperative: Cooperative, _day: dt.date) -> list[tuple[int, int]]:
    return [(0, 0)]


DAY_STEPS = (
    # Maturities first: a deposit paid into sukarela today belongs in today's balances.
    Step("savings_maturities", _("Time deposits at maturity"), one_batch, savings.pay_maturities),
    Step(
        "savings_day_balances",
        _("End-of-day savings balances"),
        one_batch,
        savings.record_day_balances,
    ),
    Step("loan_accrual", _("Loan interest accrual"), loans.accrual_ranges, loans.accrue_interest),
    Step(
        "loan_arrears",
        _("Arrears, penalties and loan quality"),
        loans.arrears_ranges,
        loans.assess_arrears,
    ),
    Step("loan_allowance", _("Loan-loss allowance (CKPN)"), one_batch, loans.adjust_allowance),
)

MONTH_STEPS = (
    Step(
        "savings_interest",
        _("Savings interest and final tax"),
        savings.month_ranges,
        savings.credit_interest,
    ),
    Step("wajib_billing", _("Simpanan wajib bills for next month"), one_batch, savings.bill_wajib),
)

LABELS = {step.name: step.label for step in (*DAY_STEPS, *MONTH_STEPS)}
