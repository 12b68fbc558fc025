"""Reversal of a wrongly entered repayment, by a reversal entry only."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO
from koperasi.errors import KeyReused, NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanTransaction,
)
from koperasi.loans.services.common import (
    LOAN_BALANCES,
    PAID_FIELDS,
    business_date,
    current_rows,
    existing_txn,
    locked_loan,
    record_txn,
    save_rows,
)
from koperasi.loans.services.quality import (
    refresh_quality,
)
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel


# ---------------------------------------------------------------- reversal


@transaction.atomic
def reverse_repayment(
    *,
    cooperative: Cooperative,
    actor: Any,
    transaction_id: int,
    reason: str,
    idempotency_key: str,
) -> LoanTransaction:
    """Undo a wrongly entered repayment with a reversal entry; the original stays."""
    original = (
        LoanTransaction.objects.filter(cooperative=cooperative, pk=transaction_id)
        .select_related("journal_entry", "loan")
        .first()
    )
    if original is None:
        raise NotFound(_("Transaction not found."))
    entry = original.journal_entry
    # Repayments always have an entry; only cash-basis penalties do not.
    if original.kind not in (Kind.REPAYMENT, Kind.PAYOFF) or entry is None:
        raise ServiceError("not_reversible", _("Only repayments can be reversed here."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for the reversal."), "reason")
    loan = locked_loan(cooperative, original.loan_id)
    # Under the loan's lock: a retry, a second reversal or a new repayment may have committed
    # while this one waited for it.
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        # A retry's answer: the reversal of the same movement for the same reason.
        if (done.kind, done.reverses_id, done.note) != (Kind.REVERSAL, original.pk, reason[:255]):
            raise KeyReused()
        return done
    _check_reversible(original, loan.schedule_version)
    legs = [
        (savings.locked_account_for_loan(cooperative, leg.account_id), leg)
        for leg in savings.loan_movements(entry)
    ]
    for account, leg in legs:
        if account.balance - leg.amount < 0:
            raise ServiceError(
                "insufficient_balance",
                _("The savings balance is too low to take back the excess paid into it."),
            )
    reversal_entry = ledger.reverse_entry(
        cooperative=cooperative,
        actor=actor,
        entry=entry,
        reason=reason,
        idempotency_key=ledger.request_entry_key(idempotency_key),
        allow_control=True,
        replay=False,
    )
    for account, leg in legs:
        savings.record_loan_movement(
            account=account,
            amount=-leg.amount,
            entry=reversal_entry,
            actor=actor,
            key=idempotency_key if leg.amount < 0 else f"{idempotency_key}:excess",
            note=reason,
            reverses=leg,
        )
    rows = {r.pk: r for r in Instalment.objects.filter(loan=loan)}
    changed = []
    for item in original.allocation:
        row = rows[item["id"]]
        row.principal_paid -= Decimal(item["principal"])
        row.interest_paid -= Decimal(item["interest"])
        row.penalty_paid -= Decimal(item["penalty"])
        row.interest_waived -= Decimal(item.get("waived", "0"))
        row.interest_accrued -= Decimal(item.get("recognised", "0"))
        if row.amount_due > 0:
            row.paid_on = None
        changed.append(row)
    save_rows(changed, PAID_FIELDS)
    receivable_credits = credits_by_role(entry)
    loan.outstanding_principal -= original.principal  # principal is negative on a repayment
    loan.accrued_interest += receivable_credits.get("interest_receivable", ZERO)
    loan.penalty_receivable += receivable_credits.get("penalty_receivable", ZERO)
    loan.status = Loan.Status.ACTIVE
    loan.closed_on = None
    day = business_date(cooperative, None)
    refresh_quality(cooperative, loan, current_rows(loan), day)
    loan.save(update_fields=LOAN_BALANCES)
    reversal = record_txn(
        loan=loan,
        kind=Kind.REVERSAL,
        channel=original.channel,
        entry=reversal_entry,
        key=idempotency_key,
        actor=actor,
        amount=-original.amount,
        principal=-original.principal,
        interest=-original.interest,
        penalty=-original.penalty,
        fee=-original.fee,
        excess=-original.excess,
        allocation=original.allocation,
        note=reason,
        on=reversal_entry.business_date,
        reverses=original,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.reverse",
        obj=loan,
        summary=f"{loan.number}: {original.receipt_number} reversed: {reason}",
        data={"number": loan.number, "receipt": original.receipt_number, "reason": reason.strip()},
    )
    return reversal


def _check_reversible(original: LoanTransaction, schedule_version: int) -> None:
    if LoanTransaction.objects.filter(reverses=original).exists():
        raise ServiceError("already_reversed", _("This repayment has already been reversed."))
    later = LoanTransaction.objects.filter(
        loan_id=original.loan_id,
        pk__gt=original.pk,
        kind__in=(Kind.REPAYMENT, Kind.PAYOFF, Kind.WRITE_OFF),
        reversed_by__isnull=True,
    ).exists()
    if later or schedule_version != _version_of(original):
        raise ServiceError("later_movements", _("Reverse the later repayments on this loan first."))


def _version_of(txn: LoanTransaction) -> int:
    versions = {item.get("version", 1) for item in txn.allocation}
    return max(versions) if versions else txn.loan.schedule_version


def credits_by_role(entry: JournalEntry) -> dict[str, Decimal]:
    """Net credit per system role in an entry (what it took off each receivable)."""
    out: dict[str, Decimal] = {}
    for posting in entry.postings.select_related("account"):
        role = posting.account.system_role
        out[role] = out.get(role, ZERO) + posting.credit - posting.debit
    return out
