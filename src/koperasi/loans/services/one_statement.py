"""A cash repayment in one statement (PostgreSQL's `loans_repay`, loans migration 0007).

The function locks the loan, books the day's penalties, splits the payment and writes it, as
the ordinary way (`repayments._repay`) does for a payment at the teller or by API. Anything it
does not answer itself (a retry, a key already used, a refusal, a closed day, an account
missing from the chart) comes back as None, and the ordinary way answers it with its own
message.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from koperasi import sqlrows
from koperasi.audit.services import client_ip
from koperasi.domain import loan_quality
from koperasi.domain.money import format_rupiah
from koperasi.ledger import services as ledger
from koperasi.ledger.models import BalanceSlot
from koperasi.loans.models import LoanTransaction
from koperasi.tenancy.models import Cooperative

Channel = LoanTransaction.Channel

# The kolektibilitas rules' figures, as the function takes them (the rules stay data in the
# domain; the function only follows them).
_BANK = [
    [klass for klass, _most in loan_quality.BANK_BUCKETS],
    [most for _klass, most in loan_quality.BANK_BUCKETS],
]
_COVER = (loan_quality.KSP_COLLATERAL_SALVAGEABLE, loan_quality.KSP_COLLATERAL_NOT_SALVAGEABLE)
_KSP = [
    list(loan_quality.KSP_THRESHOLDS),
    [first for first, _second in loan_quality.KSP_THRESHOLDS.values()],
    [second for _first, second in loan_quality.KSP_THRESHOLDS.values()],
    loan_quality.KSP_DOUBTFUL_TO_LOSS_MONTHS,
    [share.numerator for share in _COVER],  # exact: collateral × den < num × debt
    [share.denominator for share in _COVER],
]
# The parameters' types, in order (a list literal would take a line each).
_TYPES = (  # noqa: SIM905
    "bigint bigint numeric text text integer text text date date text integer[] integer[]"
    " text[] integer[] integer[] integer numeric[] numeric[] inet integer integer timestamptz"
).split()
# Typed, so that the server resolves the function once and keeps the statement prepared.
# The function runs only if savings did not post under the request's key (the ordinary way
# refuses that key); it sees a retry, or the key used for another loan movement, itself.
_REPAY = (
    f"SELECT {sqlrows.columns('t', LoanTransaction)} FROM loans_repay("
    + ", ".join(f"%s::{t}" for t in _TYPES)
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
    if connection.vendor != "postgresql" or not key:
        return None
    if channel not in (Channel.TELLER, Channel.API) or value <= 0:
        return None
    try:
        row = sqlrows.call_alone(
            _REPAY,
            [
                cooperative.pk,
                loan_id,
                value,
                key,
                channel,
                actor.pk if getattr(actor, "pk", None) else None,
                note,
                format_rupiah(value),
                ledger.local_today(cooperative),
                on,
                cooperative.collectibility_regime,
                *_BANK,
                *_KSP,
                client_ip.get(),
                ledger.BOOKS_LOCK,
                BalanceSlot.SLOTS,
                timezone.now(),
                *ledger.key_free_params(cooperative, f"loan:{key}"),
            ],
        )
    except IntegrityError:
        # The excess movement's key (`<key>:excess`) was taken by a savings request sent
        # under it: nothing was written; the ordinary way refuses the key.
        return None
    if row is None:
        return None
    return sqlrows.saved(sqlrows.instance(LoanTransaction, None, row))
