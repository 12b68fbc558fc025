"""A cash repayment in one statement (PostgreSQL's `loans_repay`, loans/sql/repay.sql).

The function locks the loan, books the day's penalties, splits the payment and writes it, as
the ordinary way (`repayments._repay`) does for a payment at the teller or by API. Anything it
does not answer itself (a retry, a refusal, a closed day, an account missing from the chart)
comes back as None, and the ordinary way answers it with its own message; each such fallback
is logged on the "koperasi.loans" logger and counted (`koperasi.sqlrows.fast_path_counts`) with
its reason.

Every rule the function follows comes from here, as parameters: the kolektibilitas tables and
class numbers (`domain.loan_quality`), the allocation components and penalty kinds
(`domain.repayment`), the product's choices, statuses, kinds and channels (the models), the
chart roles, and the texts and keys the ordinary way writes (`services.common`).
"""

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from koperasi import sqlrows
from koperasi.audit.services import client_ip
from koperasi.domain import loan_quality, repayment
from koperasi.domain.money import format_rupiah
from koperasi.ledger import services as ledger
from koperasi.ledger.models import BalanceSlot
from koperasi.loans.models import Loan, LoanProduct, LoanTransaction
from koperasi.loans.services.common import (
    AGAIN_KEY,
    ENTRY_KEY,
    EXCESS_KEY,
    EXCESS_NOTE,
    PAYMENT_SUMMARY,
    PENALTY_KEY,
    PENALTY_MEMO,
    REPAYMENT_MEMO,
    SOURCE,
    SOURCE_ROLE,
    audit_action,
)
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsTransaction
from koperasi.sqlrows import Fallback
from koperasi.tenancy.models import Cooperative

Channel = LoanTransaction.Channel
Kind = LoanTransaction.Kind
PATH = "loans_repay"
logger = logging.getLogger("koperasi.loans")

# The kolektibilitas rules' figures, as the function takes them (the rules stay data in the
# domain; the function only follows them). A cooperative's regime gives one table, the other
# goes as NULLs.
_BANK = {
    "p_bank_classes": [klass for klass, _most in loan_quality.BANK_BUCKETS],
    "p_bank_most_days": [most for _klass, most in loan_quality.BANK_BUCKETS],
}
_COVER = (loan_quality.KSP_COLLATERAL_SALVAGEABLE, loan_quality.KSP_COLLATERAL_NOT_SALVAGEABLE)
_KSP = {
    "p_ksp_frequencies": list(loan_quality.KSP_THRESHOLDS),
    "p_ksp_first": [first for first, _second in loan_quality.KSP_THRESHOLDS.values()],
    "p_ksp_second": [second for _first, second in loan_quality.KSP_THRESHOLDS.values()],
    "p_ksp_loss_months": loan_quality.KSP_DOUBTFUL_TO_LOSS_MONTHS,
    # Exact: collateral × denominator < numerator × debt.
    "p_ksp_cover": [share.numerator for share in _COVER],
    "p_ksp_cover_of": [share.denominator for share in _COVER],
}
_REGIMES = {
    "bank": {**_BANK, **dict.fromkeys(_KSP)},
    "ksp": {**dict.fromkeys(_BANK), **_KSP},
}
_PENALTY, _INTEREST, _PRINCIPAL = repayment.COMPONENTS

# The rules' constants, the same for every call.
_RULES = {
    "p_lancar": loan_quality.LANCAR,
    "p_kurang_lancar": loan_quality.KURANG_LANCAR,
    "p_diragukan": loan_quality.DIRAGUKAN,
    "p_macet": loan_quality.MACET,
    "p_part_penalty": _PENALTY,
    "p_part_interest": _INTEREST,
    "p_part_principal": _PRINCIPAL,
    "p_order_separator": repayment.ORDER_SEPARATOR,
    "p_penalty_none": LoanProduct.PenaltyKind.NONE.value,
    "p_penalty_pct_day": LoanProduct.PenaltyKind.PCT_DAY.value,
    "p_penalty_pct_month": LoanProduct.PenaltyKind.PCT_MONTH.value,
    "p_penalty_flat": LoanProduct.PenaltyKind.FLAT.value,
    "p_prepayment": LoanProduct.Overpayment.PREPAYMENT.value,
    "p_to_savings": LoanProduct.Overpayment.SAVINGS.value,
    "p_accrual": LoanProduct.Accounting.ACCRUAL.value,
    "p_loan_active": Loan.Status.ACTIVE.value,
    "p_loan_closed": Loan.Status.CLOSED.value,
    # The chart roles repayments.post_payment and quality.book_penalties post to.
    "p_role_interest_receivable": "interest_receivable",
    "p_role_interest_income": "loan_interest_income",
    "p_role_penalty_receivable": "penalty_receivable",
    "p_role_penalty_income": "penalty_income",
    "p_sukarela": SavingsKind.SUKARELA.value,
    "p_savings_open": SavingsAccount.Status.OPEN.value,
    "p_savings_kind": SavingsTransaction.Kind.LOAN_CREDIT.value,
    "p_savings_channel": savings.LOAN_CHANNEL,
    "p_kind_repayment": Kind.REPAYMENT.value,
    "p_kind_penalty": Kind.PENALTY.value,
    "p_channel_system": Channel.SYSTEM.value,
    "p_source": SOURCE,
    "p_entry_key": ENTRY_KEY,
    "p_penalty_key": PENALTY_KEY,
    "p_again_key": AGAIN_KEY,
    "p_excess_key": EXCESS_KEY,
    "p_memo": REPAYMENT_MEMO,
    "p_penalty_memo": PENALTY_MEMO,
    "p_excess_note": EXCESS_NOTE,
    "p_summary": PAYMENT_SUMMARY,
    "p_action": audit_action(Kind.REPAYMENT),
    "p_object_type": Loan.__name__,  # what audit.record writes for the loan
    "p_books_lock": ledger.BOOKS_LOCK,
    "p_last_day": dt.date.max,
    "p_slots": BalanceSlot.SLOTS,
}

# The function's parameters, bound by name and typed, so that the server resolves the
# function once and keeps the statement prepared.
_PARAMETERS = (
    ("p_cooperative", "bigint"), ("p_loan", "bigint"), ("p_amount", "numeric"),
    ("p_key", "text"), ("p_channel", "text"), ("p_actor", "integer"), ("p_note", "text"),
    ("p_amount_text", "text"), ("p_today", "date"), ("p_on", "date"),
    ("p_bank_classes", "integer[]"), ("p_bank_most_days", "integer[]"),
    ("p_ksp_frequencies", "text[]"), ("p_ksp_first", "integer[]"),
    ("p_ksp_second", "integer[]"), ("p_ksp_loss_months", "integer"),
    ("p_ksp_cover", "numeric[]"), ("p_ksp_cover_of", "numeric[]"),
    ("p_lancar", "integer"), ("p_kurang_lancar", "integer"), ("p_diragukan", "integer"),
    ("p_macet", "integer"),
    ("p_part_penalty", "text"), ("p_part_interest", "text"), ("p_part_principal", "text"),
    ("p_order_separator", "text"),
    ("p_penalty_none", "text"), ("p_penalty_pct_day", "text"),
    ("p_penalty_pct_month", "text"), ("p_penalty_flat", "text"),
    ("p_prepayment", "text"), ("p_to_savings", "text"), ("p_accrual", "text"),
    ("p_loan_active", "text"), ("p_loan_closed", "text"),
    ("p_role_cash", "text"), ("p_role_interest_receivable", "text"),
    ("p_role_interest_income", "text"), ("p_role_penalty_receivable", "text"),
    ("p_role_penalty_income", "text"),
    ("p_sukarela", "text"), ("p_savings_open", "text"), ("p_savings_kind", "text"),
    ("p_savings_channel", "text"),
    ("p_kind_repayment", "text"), ("p_kind_penalty", "text"), ("p_channel_system", "text"),
    ("p_source", "text"), ("p_entry_key", "text"), ("p_penalty_key", "text"),
    ("p_again_key", "text"), ("p_excess_key", "text"), ("p_memo", "text"),
    ("p_penalty_memo", "text"), ("p_excess_note", "text"), ("p_summary", "text"),
    ("p_action", "text"), ("p_object_type", "text"),
    ("p_ip", "inet"), ("p_books_lock", "integer"), ("p_last_day", "date"),
    ("p_slots", "integer"), ("p_now", "timestamptz"),
)  # fmt: skip
_REPAY = (
    f"SELECT {sqlrows.columns('t', LoanTransaction)} FROM loans_repay("
    + ", ".join(f"{name} => %s::{type_}" for name, type_ in _PARAMETERS)
    + ") t"
    + ledger.WHERE_KEY_FREE
)


def repay(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    value: Decimal,
    key: str,
    channel: str,
    on: dt.date | None,
    note: str,
) -> LoanTransaction | None:
    """The repayment, or None when the ordinary way has to make (or refuse) it."""
    if connection.vendor != "postgresql":
        return None
    if not key:
        return _fell_back(Fallback.REFUSED, "no idempotency key")
    if channel not in (Channel.TELLER, Channel.API):
        return _fell_back(Fallback.UNSUPPORTED, f"channel {channel}")
    if value <= 0:
        return _fell_back(Fallback.REFUSED, "amount not positive")
    regime = _REGIMES.get(cooperative.collectibility_regime)
    if regime is None:
        return _fell_back(Fallback.REGIME, cooperative.collectibility_regime)
    call = {
        **_RULES,
        **regime,
        "p_cooperative": cooperative.pk,
        "p_loan": loan_id,
        "p_amount": value,
        "p_key": key,
        "p_channel": channel,
        "p_actor": actor.pk if getattr(actor, "pk", None) else None,
        "p_note": note,
        "p_amount_text": format_rupiah(value),
        "p_today": ledger.local_today(cooperative),
        "p_on": on,
        "p_role_cash": SOURCE_ROLE[channel],
        "p_ip": client_ip.get(),
        "p_now": timezone.now(),
    }
    params = [call[name] for name, _type in _PARAMETERS]
    try:
        row = sqlrows.call_alone(
            _REPAY, [*params, *ledger.key_free_params(cooperative, ENTRY_KEY % key)]
        )
    except IntegrityError:
        # The excess movement's key (`<key>:excess`) was taken by a savings request sent
        # under it: nothing was written; the ordinary way refuses the key.
        return _fell_back(Fallback.KEY_USED, "excess key taken")
    if row is None:
        # WHERE_KEY_FREE: savings posted under this request's key; the function did not run.
        return _fell_back(Fallback.KEY_USED, "posted by savings")
    if isinstance(row, sqlrows.FellBack):
        return _fell_back(row.reason, row.detail)
    sqlrows.ran(PATH)
    return sqlrows.saved(sqlrows.instance(LoanTransaction, None, row))


def _fell_back(reason: Fallback, detail: str = "") -> None:
    """Log and count why the ordinary way answers (see `sqlrows.fast_path_counts`)."""
    sqlrows.fell_back(logger, PATH, reason, detail)
    return None
