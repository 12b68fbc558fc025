"""The day-end and month-end steps, in the order they run."""

from django.utils.translation import gettext_lazy as _

from koperasi.closing.engine import Step, one_batch
from koperasi.loans.services import close_steps as loans
from koperasi.savings.services import close_steps as savings

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
