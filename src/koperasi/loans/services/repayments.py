"""Repayments at the teller, from savings, by API and by payroll (early payoff: `payoff.py`,
through the same `prepare_payment` and `post_payment`).

Lock order, everywhere: the loan row (its schedule rows are written only under it), then the
member's savings account when one is involved, then the general-ledger rows inside `post_entry`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.domain.repayment import Applied, Due, allocate, parse_order
from koperasi.errors import KeyReused, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.services import one_statement
from koperasi.loans.services.common import (
    ENTRY_KEY,
    EXCESS_KEY,
    EXCESS_NOTE,
    LOAN_BALANCES,
    PAID_FIELDS,
    PAYMENT_SUMMARY,
    PAYOFF_MEMO,
    REPAYMENT_MEMO,
    SOURCE,
    SOURCE_ROLE,
    audit_action,
    business_date,
    current_rows,
    existing_txn,
    gl,
    locked_loan,
    members_sukarela,
    new_txn,
    save_rows,
    sukarela_id,
)
from koperasi.loans.services.common import (
    amount as parse_money,
)
from koperasi.loans.services.quality import book_penalties, refresh_quality
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel


@dataclass
class Split:
    """A payment's allocation over rows and its totals."""

    applied: list[tuple[Instalment, Applied]]
    waived: dict[int, Decimal]
    # Per row: interest recognised as income by this payment (negative: taken back), so a
    # reversal can undo exactly that.
    recognised: dict[int, Decimal] = field(default_factory=dict)

    @property
    def principal(self) -> Decimal:
        return sum((a.principal for _r, a in self.applied), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((a.interest for _r, a in self.applied), ZERO)

    @property
    def penalty(self) -> Decimal:
        return sum((a.penalty for _r, a in self.applied), ZERO)

    def rows_json(self) -> list[dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        for row, part in self.applied:
            item = out.setdefault(row.pk, _row_item(row))
            item["principal"] = str(Decimal(item["principal"]) + part.principal)
            item["interest"] = str(Decimal(item["interest"]) + part.interest)
            item["penalty"] = str(Decimal(item["penalty"]) + part.penalty)
        for pk, waived in self.waived.items():
            out.setdefault(pk, {"id": pk, "principal": "0", "interest": "0", "penalty": "0"})[
                "waived"
            ] = str(waived)
        for pk, recognised in self.recognised.items():
            if recognised:
                out[pk]["recognised"] = str(recognised)
        return list(out.values())


def _row_item(row: Instalment) -> dict[str, Any]:
    return {
        "id": row.pk,
        "version": row.version,
        "no": row.no,
        "principal": "0",
        "interest": "0",
        "penalty": "0",
        "waived": "0",
    }


def _due(row: Instalment) -> Due:
    return Due(
        no=row.no, penalty=row.penalty_due, interest=row.interest_due, principal=row.principal_due
    )


def _allocate_rows(
    amount: Decimal, rows: list[Instalment], order: tuple[str, ...], per_instalment: bool
) -> tuple[list[tuple[Instalment, Applied]], Decimal]:
    by_no = {row.no: row for row in rows}
    applied, left = allocate(amount, [_due(r) for r in rows], order, per_instalment=per_instalment)
    return [(by_no[a.no], a) for a in applied], left


def _apply(split: Split, on: dt.date) -> tuple[list[Instalment], Decimal, Decimal]:
    """Write the split onto its rows (in memory).

    Returns the rows that changed, the interest paid out of what was already accrued
    (receivable), and the accrued interest taken back because it was waived. Interest paid
    before it was accrued is recognised on the row there and then, so the day-end accrual
    never counts it again.
    """
    changed: dict[int, Instalment] = {}
    from_accrued = ZERO
    for row, part in split.applied:
        receivable = max(row.interest_accrued - row.interest_paid, ZERO)
        taken = min(part.interest, receivable)
        from_accrued += taken
        if part.interest > taken:
            row.interest_accrued += part.interest - taken
            split.recognised[row.pk] = split.recognised.get(row.pk, ZERO) + part.interest - taken
        row.principal_paid += part.principal
        row.interest_paid += part.interest
        row.penalty_paid += part.penalty
        changed[row.pk] = row
    written_back = ZERO
    for pk, waived in split.waived.items():
        row = changed[pk]
        row.interest_waived += waived
        # Interest accrued on a row that is now forgiven is no longer income.
        excess = max(row.interest_accrued - row.interest_paid, ZERO)
        if excess:
            row.interest_accrued -= excess
            split.recognised[pk] = split.recognised.get(pk, ZERO) - excess
            written_back += excess
    for row in changed.values():
        if row.amount_due == 0 and row.paid_on is None:
            row.paid_on = on
    return list(changed.values()), from_accrued, written_back


def repay(
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
    """An instalment (or part, or more) paid on a loan, allocated by the product's order.

    What exceeds the amount due pays the next instalments in advance or goes to the member's
    sukarela savings, as the product says; more than the whole debt is refused.
    """
    value = parse_money(amount)
    if savings_account_id is None:
        # Cash at the teller or by API: on PostgreSQL one statement does it all, unless it is
        # the ordinary way's to answer (loans/services/one_statement.py).
        done = one_statement.repay(
            cooperative=cooperative,
            actor=actor,
            loan_id=loan_id,
            value=value,
            key=idempotency_key,
            channel=channel,
            on=business_date_,
            note=note,
        )
        if done is not None:
            return done
    with transaction.atomic(), ledger.balances_at_end():
        return _repay(
            cooperative=cooperative,
            actor=actor,
            loan_id=loan_id,
            value=value,
            key=idempotency_key,
            channel=channel,
            savings_account_id=savings_account_id,
            on=business_date_,
            note=note,
        )


def _repay(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    value: Decimal,
    key: str,
    channel: str,
    savings_account_id: int | None,
    on: dt.date | None,
    note: str,
) -> LoanTransaction:
    day = business_date(cooperative, on)
    prepared = prepare_payment(
        cooperative, loan_id, key, Kind.REPAYMENT, channel, savings_account_id, value, day, note
    )
    if isinstance(prepared, LoanTransaction):
        return prepared
    loan, source = prepared
    rows = current_rows(loan)
    book_penalties(cooperative, actor, loan, rows, day)
    order = parse_order(loan.product.allocation_order)
    due_rows = [r for r in rows if r.due_date <= day and r.amount_due > 0]
    applied, left = _allocate_rows(value, due_rows, order, per_instalment=False)
    excess = ZERO
    if left > 0 and loan.product.overpayment == LoanProduct.Overpayment.PREPAYMENT:
        future = [r for r in rows if r.due_date > day and r.amount_due > 0]
        more, left = _allocate_rows(left, future, order, per_instalment=True)
        applied += more
    excess_account = None
    if left > 0:
        excess, excess_account = left, _excess_account(cooperative, loan, channel, value - left)
    split = Split(applied=applied, waived={})
    return post_payment(
        cooperative=cooperative,
        actor=actor,
        loan=loan,
        rows=rows,
        split=split,
        value=value,
        fee=ZERO,
        excess=excess,
        excess_account=excess_account,
        source=source,
        channel=channel,
        key=key,
        kind=Kind.REPAYMENT,
        on=day,
        note=note,
    )


def prepare_payment(
    cooperative: Cooperative,
    loan_id: int,
    key: str,
    kind: str,
    channel: str,
    savings_account_id: int | None,
    value: Decimal,
    day: dt.date,
    note: str,
) -> tuple[Loan, SavingsAccount | None] | LoanTransaction:
    """What every payment checks first: the loan locked (then the savings it comes from), or
    the movement a retry with the same key already made."""
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if channel not in Channel.values or channel == Channel.SYSTEM:
        raise ServiceError("invalid", _("Unknown payment channel."), "channel")
    loan = locked_loan(cooperative, loan_id)
    # Under the loan's lock: a retry that raced the original finds its movement here.
    if (done := existing_txn(cooperative, key)) is not None:
        return _same_payment(
            done, (kind, loan.pk, value, channel, note[:255]), cooperative, loan, savings_account_id
        )
    check_active(loan)
    if day < loan.disbursed_on:
        raise ServiceError(
            "before_disbursement", _("A repayment cannot be dated before the disbursement.")
        )
    source = None
    if channel == Channel.SAVINGS:
        source = members_sukarela(
            cooperative, loan.member_id, savings_account_id or loan.savings_account_id
        )
        savings.check_loan_debit(source, value)
    return loan, source


def _same_payment(
    done: LoanTransaction,
    asked: tuple[str, int, Decimal, str, str],
    cooperative: Cooperative,
    loan: Loan,
    savings_account_id: int | None,
) -> LoanTransaction:
    """A retry's answer: the first movement, if the retry asks for the same payment (kind,
    loan, amount, channel, note and, from savings, the account); a key used for anything else
    is refused (so the API needs no record of its own to tell a retry from another request)."""
    if (done.kind, done.loan_id, done.amount, done.channel, done.note) != asked:
        raise KeyReused()
    if done.channel == Channel.SAVINGS:
        account = sukarela_id(
            cooperative, loan.member_id, savings_account_id or loan.savings_account_id
        )
        paid_from = [
            m.account_id for m in savings.loan_movements(done.journal_entry) if m.amount < 0
        ]
        if paid_from != [account]:
            raise KeyReused()
    return done


def check_active(loan: Loan) -> None:
    if loan.status == Loan.Status.CLOSED:
        raise ServiceError("loan_closed", _("This loan is paid off; nothing is owed."))
    if loan.status == Loan.Status.WRITTEN_OFF:
        raise ServiceError(
            "loan_written_off",
            _("This loan is written off; record money received as a recovery."),
        )


def _excess_account(
    cooperative: Cooperative, loan: Loan, channel: str, owed: Decimal
) -> SavingsAccount:
    """The sukarela account that takes what a payment leaves over, if the product says so.

    Anything left on a prepaying product (every instalment paid and still money left) is a
    typo far more often than a gift, and cannot go back into the savings it came from.
    """
    refuse = ServiceError(
        "overpayment",
        _("At most %(max)s can be paid on this loan now.") % {"max": format_rupiah(owed)},
        "amount",
    )
    if channel == Channel.SAVINGS or loan.product.overpayment != LoanProduct.Overpayment.SAVINGS:
        raise refuse
    try:
        return members_sukarela(cooperative, loan.member_id, loan.savings_account_id)
    except ServiceError as exc:
        raise refuse from exc


def post_payment(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan: Loan,
    rows: list[Instalment],
    split: Split,
    value: Decimal,
    fee: Decimal,
    excess: Decimal,
    excess_account: SavingsAccount | None,
    source: SavingsAccount | None,
    channel: str,
    key: str,
    kind: str,
    on: dt.date,
    note: str,
) -> LoanTransaction:
    principal, interest, penalty = split.principal, split.interest, split.penalty
    if principal + interest + penalty + fee + excess != value:  # pragma: no cover - invariant
        raise ServiceError("allocation_error", _("The payment could not be allocated exactly."))
    if value <= 0:
        raise ServiceError("invalid_amount", _("Enter an amount greater than zero."), "amount")
    changed, from_accrued, write_back = _apply(split, on)
    from_penalty_receivable = min(penalty, loan.penalty_receivable)
    debit = (
        source.product.gl_account if source is not None else gl(cooperative, SOURCE_ROLE[channel])
    )
    lines = [ledger.Line(debit, debit=value)]
    for role, value_ in (
        ("loans_receivable", principal),
        ("interest_receivable", from_accrued + write_back),
        ("loan_interest_income", interest - from_accrued),
        ("penalty_receivable", from_penalty_receivable),
        ("penalty_income", penalty - from_penalty_receivable),
        ("fee_income", fee),
    ):
        if value_:
            account = (
                loan.product.gl_account if role == "loans_receivable" else gl(cooperative, role)
            )
            lines.append(ledger.Line(account, credit=value_))
    if write_back:
        lines.append(ledger.Line(gl(cooperative, "loan_interest_income"), debit=write_back))
    if excess and excess_account is not None:
        lines.append(ledger.Line(excess_account.product.gl_account, credit=excess))
    loan.outstanding_principal -= principal
    loan.accrued_interest -= from_accrued + write_back
    loan.penalty_receivable -= from_penalty_receivable
    if loan.outstanding_principal == 0 and all(r.amount_due == 0 for r in rows):
        loan.status = Loan.Status.CLOSED
        loan.closed_on = on
    refresh_quality(cooperative, loan, rows, on)
    txn = new_txn(
        loan=loan,
        kind=kind,
        channel=channel,
        entry=None,
        key=key,
        actor=actor,
        amount=value,
        principal=-principal,
        interest=interest,
        penalty=penalty,
        fee=fee,
        excess=excess,
        allocation=split.rows_json(),
        note=note,
        on=on,
    )
    memo = PAYOFF_MEMO if kind == Kind.PAYOFF else REPAYMENT_MEMO
    recorded: list[LoanTransaction] = []

    def record(entry: JournalEntry) -> None:
        if source is not None:
            savings.record_loan_movement(
                account=source,
                amount=-value,
                entry=entry,
                actor=actor,
                key=key,
                note=f"Angsuran {loan.number}",
            )
        if excess and excess_account is not None:
            savings.record_loan_movement(
                account=excess_account,
                amount=excess,
                entry=entry,
                actor=actor,
                key=EXCESS_KEY % key,
                note=EXCESS_NOTE % loan.number,
            )
        save_rows(changed, PAID_FIELDS)
        loan.save(update_fields=LOAN_BALANCES)
        txn.journal_entry = entry
        txn.save(force_insert=True)
        recorded.append(txn)

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=memo % (loan.number, loan.member.name),
        source=SOURCE,
        source_ref=loan.number,
        idempotency_key=ENTRY_KEY % key,
        business_date=on,
        allow_control=True,
        before_balances=record,
        # A retry was answered from the movement under the loan's lock: an entry under this
        # key now is another request's.
        replay=False,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action=audit_action(kind),
        obj=loan,
        summary=PAYMENT_SUMMARY % (loan.number, format_rupiah(value), channel),
        data={"principal": str(principal), "interest": str(interest), "penalty": str(penalty)},
    )
    return recorded[0]
