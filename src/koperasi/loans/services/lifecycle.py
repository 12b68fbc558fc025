"""Money on a loan: disbursement, repayments (teller, savings, API, payroll), early payoff,
reversal of a wrong repayment, penalty assessment and the loan's quality class.

Lock order, everywhere: the member's savings account (when one is involved), then the loan
(its schedule rows are written only under the loan's lock), then the general-ledger rows inside
`post_entry`. Every movement records a LoanTransaction whose split explains the journal entry.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.loan_quality import DIRAGUKAN, classify
from koperasi.domain.money import ZERO, format_rupiah, round_half_up
from koperasi.domain.repayment import Applied, Due, allocate, parse_order, penalty_increment
from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.services.common import (
    amount as parse_money,
)
from koperasi.loans.services.common import (
    business_date,
    current_rows,
    existing_txn,
    locked_loan,
    next_number,
    record_txn,
)
from koperasi.loans.services.terms import penalty_rule, product_schedule
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel
RUPIAH = Decimal("1")
# What a movement changes on the loan row (saved with update_fields: one narrow UPDATE).
LOAN_BALANCES = (
    "outstanding_principal",
    "accrued_interest",
    "penalty_receivable",
    "status",
    "closed_on",
    "days_past_due",
    "collectibility",
    "doubtful_since",
    "assessed_on",
)
# Where the money of a repayment comes from, by channel (savings: the member's account).
SOURCE_ROLE = {Channel.TELLER: "cash", Channel.API: "cash", Channel.PAYROLL: "bank"}


# ---------------------------------------------------------------- disbursement


def disburse(
    *,
    cooperative: Cooperative,
    actor: Any,
    application_id: int,
    idempotency_key: str,
    to: str = Loan.Disbursement.CASH,
    savings_account_id: int | None = None,
    autodebit: bool = False,
    business_date_: dt.date | None = None,
) -> Loan:
    """Pay out an approved application; the schedule is fixed now, from today's date.

    Fees paid separately are a second entry in the same transaction: both entries' balances
    are applied together at the end (see `ledger.balances_at_end`).
    """
    with transaction.atomic(), ledger.balances_at_end():
        return _disburse(
            cooperative=cooperative,
            actor=actor,
            application_id=application_id,
            idempotency_key=idempotency_key,
            to=to,
            savings_account_id=savings_account_id,
            autodebit=autodebit,
            business_date_=business_date_,
        )


def _disburse(
    *,
    cooperative: Cooperative,
    actor: Any,
    application_id: int,
    idempotency_key: str,
    to: str,
    savings_account_id: int | None,
    autodebit: bool,
    business_date_: dt.date | None,
) -> Loan:
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        if done.kind != Kind.DISBURSEMENT or done.loan.application_id != application_id:
            raise _key_reused()
        return done.loan
    if to not in Loan.Disbursement.values:
        raise ServiceError("invalid", _("Disburse in cash or to savings."), "to")
    application = (
        LoanApplication.objects.filter(cooperative=cooperative, pk=application_id)
        .select_related("product", "member")
        .first()
    )
    if application is None:
        raise NotFound(_("Loan application not found."))
    account = None
    if to == Loan.Disbursement.SAVINGS or autodebit:
        account = _members_sukarela(cooperative, application.member_id, savings_account_id)
    application = (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("product", "member")
        .get(pk=application.pk)
    )
    # A retry that raced the original waited for the lock: answer with the original's loan.
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        if done.kind != Kind.DISBURSEMENT or done.loan.application_id != application_id:
            raise _key_reused()
        return done.loan
    if application.status == LoanApplication.Status.DISBURSED:
        raise Conflict("already_disbursed", _("This loan has already been disbursed."))
    if application.status != LoanApplication.Status.APPROVED:
        raise ServiceError("not_approved", _("Only an approved application can be disbursed."))
    if application.member.status != Member.Status.ACTIVE:
        # Approved while a member, but left (or died) before the money was paid out.
        raise ServiceError("member_inactive", _("Only active members may borrow."), "member")
    product = application.product
    on = business_date(cooperative, business_date_)
    schedule = product_schedule(
        product,
        principal=application.principal,
        term=application.term,
        grace_periods=application.grace_periods,
        start=on,
    )
    principal = application.principal
    provisi = round_half_up(principal * product.provisi_pct / 100, RUPIAH)
    fees = provisi + product.admin_fee
    deducted = product.fee_mode == LoanProduct.FeeMode.DEDUCTED
    paid_out = principal - fees if deducted else principal
    if paid_out <= 0:
        raise ServiceError("fees_exceed_loan", _("The fees would take the whole loan."))
    loan = Loan.objects.create(
        cooperative=cooperative,
        number=next_number(cooperative, "loan_seq", f"{product.code}-"),
        member=application.member,
        product=product,
        application=application,
        officer=application.analysed_by or application.entered_by,
        principal=principal,
        rate=product.rate,
        rate_period=product.rate_period,
        method=product.method,
        frequency=product.frequency,
        rounding=product.rounding,
        term=application.term,
        disbursed_on=on,
        maturity_date=schedule.instalments[-1].due_date,
        disbursed_to=to,
        savings_account=account,
        autodebit=autodebit,
        outstanding_principal=principal,
        collateral_value=application.collaterals.aggregate(total=Sum("value"))["total"] or ZERO,
    )
    Instalment.objects.bulk_create(
        Instalment(
            cooperative=cooperative,
            loan=loan,
            version=1,
            no=row.no,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            payment=row.payment,
            balance=row.balance,
        )
        for row in schedule.instalments
    )
    target = (
        account.product.gl_account
        if to == Loan.Disbursement.SAVINGS and account
        else _gl(cooperative, "cash")
    )
    lines = [ledger.Line(product.gl_account, debit=principal), ledger.Line(target, credit=paid_out)]
    if deducted and fees:
        lines.append(ledger.Line(_gl(cooperative, "fee_income"), credit=fees))

    def record(entry: JournalEntry) -> None:
        if to == Loan.Disbursement.SAVINGS and account is not None:
            savings.record_loan_movement(
                account=account,
                amount=paid_out,
                entry=entry,
                actor=actor,
                key=idempotency_key,
                note=f"Pencairan {loan.number}",
            )
        record_txn(
            loan=loan,
            kind=Kind.DISBURSEMENT,
            channel=Channel.SAVINGS if to == Loan.Disbursement.SAVINGS else Channel.TELLER,
            entry=entry,
            key=idempotency_key,
            actor=actor,
            amount=paid_out,
            principal=principal,
            fee=fees if deducted else ZERO,
            on=on,
        )

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=f"Pencairan pinjaman {loan.number} {loan.member.name}",
        source="loans",
        source_ref=loan.number,
        idempotency_key=f"loan:{idempotency_key}",
        business_date=on,
        allow_control=True,
        before_balances=record,
    )
    if not deducted and fees:
        fee_key = f"{idempotency_key}:fee"

        def record_fee(entry: JournalEntry) -> None:
            record_txn(
                loan=loan,
                kind=Kind.FEE,
                channel=Channel.TELLER,
                entry=entry,
                key=fee_key,
                actor=actor,
                amount=fees,
                fee=fees,
                on=on,
            )

        ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=[
                ledger.Line(_gl(cooperative, "cash"), debit=fees),
                ledger.Line(_gl(cooperative, "fee_income"), credit=fees),
            ],
            memo=f"Provisi dan administrasi {loan.number}",
            source="loans",
            source_ref=loan.number,
            idempotency_key=f"loan:{fee_key}",
            business_date=on,
            before_balances=record_fee,
        )
    application.status = LoanApplication.Status.DISBURSED
    application.save(update_fields=["status"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.disburse",
        obj=loan,
        summary=f"{loan.number} {format_rupiah(principal)} → {to}",
        data={"fees": str(fees), "paid_out": str(paid_out)},
    )
    return loan


def _gl(cooperative: Cooperative, role: str) -> Account:
    return ledger.account_by_role(cooperative, role)


def _key_reused() -> Conflict:
    return Conflict(
        "idempotency_key_reused", _("This idempotency key was already used for another request.")
    )


def _members_sukarela(
    cooperative: Cooperative, member_id: int, account_id: int | None
) -> SavingsAccount:
    """The borrower's own sukarela account, locked (first in the lock order)."""
    if account_id is None:
        found = savings_selectors.sukarela_account_of(
            cooperative=cooperative, member=Member(pk=member_id)
        )
        if found is None:
            raise ServiceError(
                "no_sukarela",
                _("The member has no sukarela savings account; open one first."),
                "savings_account",
            )
        account_id = found.pk
    account = savings.locked_account_for_loan(cooperative, account_id)
    if account.member_id != member_id:
        raise NotFound(_("Savings account not found."), field="savings_account")
    return account


# ---------------------------------------------------------------- repayments


@dataclass
class _Split:
    """A payment's allocation over rows and its totals."""

    applied: list[tuple[Instalment, Applied]]
    waived: dict[int, Decimal]

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


PAID_FIELDS = ("principal_paid", "interest_paid", "penalty_paid", "interest_waived", "paid_on")


def _save_rows(rows: list[Instalment], fields: tuple[str, ...]) -> None:
    """Write changed schedule rows: a plain UPDATE each for the usual one or two (cheaper to
    build and run than bulk_update's CASE), bulk_update for more."""
    if len(rows) > 2:
        Instalment.objects.bulk_update(rows, list(fields))
        return
    for row in rows:
        Instalment.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})


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


def _apply(split: _Split, on: dt.date) -> list[Instalment]:
    """Write the split onto its rows (in memory); returns the rows that changed."""
    changed: dict[int, Instalment] = {}
    for row, part in split.applied:
        row.principal_paid += part.principal
        row.interest_paid += part.interest
        row.penalty_paid += part.penalty
        changed[row.pk] = row
    for pk, waived in split.waived.items():
        changed[pk].interest_waived += waived
    for row in changed.values():
        if row.amount_due == 0 and row.paid_on is None:
            row.paid_on = on
    return list(changed.values())


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
    with transaction.atomic(), ledger.balances_at_end():
        return _repay(
            cooperative=cooperative,
            actor=actor,
            loan_id=loan_id,
            value=parse_money(amount),
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
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if channel not in Channel.values or channel == Channel.SYSTEM:
        raise ServiceError("invalid", _("Unknown payment channel."), "channel")
    day = business_date(cooperative, on)
    loan = locked_loan(cooperative, loan_id)
    if (
        retried := _raced_retry(cooperative, key, loan_id, (Kind.REPAYMENT, Kind.PAYOFF))
    ) is not None:
        return retried
    _check_active(loan)
    source = None
    if channel == Channel.SAVINGS:
        source = _members_sukarela(
            cooperative, loan.member_id, savings_account_id or loan.savings_account_id
        )
        savings.check_loan_debit(source, value)
    if day < loan.disbursed_on:
        raise ServiceError(
            "before_disbursement", _("A repayment cannot be dated before the disbursement.")
        )
    rows = current_rows(loan)
    _assess_penalties(cooperative, actor, loan, rows, day)
    order = parse_order(loan.product.allocation_order)
    due_rows = [r for r in rows if r.due_date <= day and r.amount_due > 0]
    applied, left = _allocate_rows(value, due_rows, order, per_instalment=False)
    excess = ZERO
    if left > 0 and loan.product.overpayment == LoanProduct.Overpayment.PREPAYMENT:
        future = [r for r in rows if r.due_date > day and r.amount_due > 0]
        more, left = _allocate_rows(left, future, order, per_instalment=True)
        applied += more
    excess_account = None
    if left > 0 and loan.product.overpayment == LoanProduct.Overpayment.PREPAYMENT:
        # Everything is paid and still money is left: a typo far more often than a gift.
        raise ServiceError(
            "overpayment",
            _("At most %(max)s can be paid on this loan now.")
            % {"max": format_rupiah(value - left)},
            "amount",
        )
    if left > 0:
        excess, excess_account = left, _excess_account(cooperative, loan, channel, value - left)
    split = _Split(applied=applied, waived={})
    return _post_payment(
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


def _raced_retry(
    cooperative: Cooperative, key: str, loan_id: int, kinds: tuple[str, ...]
) -> LoanTransaction | None:
    """The movement a retry with the same key committed while this one waited for the loan's
    lock (the key was free when first looked up)."""
    done = existing_txn(cooperative, key)
    if done is not None and (done.loan_id != loan_id or done.kind not in kinds):
        raise _key_reused()
    return done


def _check_active(loan: Loan) -> None:
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
    refuse = ServiceError(
        "overpayment",
        _("At most %(max)s can be paid on this loan now.") % {"max": format_rupiah(owed)},
        "amount",
    )
    if channel == Channel.SAVINGS:
        raise refuse
    account_id = loan.savings_account_id
    found = (
        savings_selectors.sukarela_account_of(cooperative=cooperative, member=loan.member)
        if account_id is None
        else None
    )
    if account_id is None and found is None:
        raise refuse
    return savings.locked_account_for_loan(cooperative, account_id or found.pk)  # type: ignore[union-attr]


def _post_payment(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan: Loan,
    rows: list[Instalment],
    split: _Split,
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
    from_accrued = min(interest, loan.accrued_interest)
    from_penalty_receivable = min(penalty, loan.penalty_receivable)
    # A payoff waives interest that may already have been accrued: take it back out of income.
    write_back = loan.accrued_interest - from_accrued if kind == Kind.PAYOFF else ZERO
    debit = (
        source.product.gl_account if source is not None else _gl(cooperative, SOURCE_ROLE[channel])
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
                loan.product.gl_account if role == "loans_receivable" else _gl(cooperative, role)
            )
            lines.append(ledger.Line(account, credit=value_))
    if write_back:
        lines.append(ledger.Line(_gl(cooperative, "loan_interest_income"), debit=write_back))
    if excess and excess_account is not None:
        lines.append(ledger.Line(excess_account.product.gl_account, credit=excess))
    changed = _apply(split, on)
    loan.outstanding_principal -= principal
    loan.accrued_interest -= from_accrued + write_back
    loan.penalty_receivable -= from_penalty_receivable
    if loan.outstanding_principal == 0 and all(r.amount_due == 0 for r in rows):
        loan.status = Loan.Status.CLOSED
        loan.closed_on = on
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
                key=f"{key}:excess",
                note=f"Kelebihan bayar {loan.number}",
            )
        _save_rows(changed, PAID_FIELDS)
        _refresh_quality(cooperative, loan, rows, on)
        loan.save(update_fields=LOAN_BALANCES)
        recorded.append(
            record_txn(
                loan=loan,
                kind=kind,
                channel=channel,
                entry=entry,
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
        )

    verb = "Pelunasan" if kind == Kind.PAYOFF else "Angsuran"
    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=f"{verb} pinjaman {loan.number} {loan.member.name}",
        source="loans",
        source_ref=loan.number,
        idempotency_key=f"loan:{key}",
        business_date=on,
        allow_control=True,
        before_balances=record,
    )
    if not recorded:
        raise _key_reused()
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action=f"loans.{kind}",
        obj=loan,
        summary=f"{loan.number} {format_rupiah(value)} ({channel})",
        data={"principal": str(principal), "interest": str(interest), "penalty": str(penalty)},
    )
    return recorded[0]


# ---------------------------------------------------------------- early payoff


@dataclass(frozen=True)
class SettlementQuote:
    loan_number: str
    as_of: dt.date
    valid_until: dt.date
    principal: Decimal
    interest: Decimal
    penalty: Decimal
    fee: Decimal
    interest_waived: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.penalty + self.fee


def _quote(
    loan: Loan, rows: list[Instalment], on: dt.date
) -> tuple[SettlementQuote, dict[int, Decimal]]:
    """The payoff figures for `on` and, per row, the interest the payoff forgives."""
    product = loan.product
    rule = penalty_rule(product)
    penalty = ZERO
    for row in rows:
        pending = ZERO
        if row.due_date < on and row.principal_due + row.interest_due > 0:
            pending = penalty_increment(
                rule,
                overdue=row.principal_due + row.interest_due,
                payment=row.payment,
                due_date=row.due_date,
                assessed_through=row.penalty_through,
                as_of=on,
                already=row.penalty,
            )
        penalty += row.penalty_due + pending
    due = [r for r in rows if r.due_date <= on]
    future = [r for r in rows if r.due_date > on and r.amount_due > 0]
    interest = sum((r.interest_due for r in due), ZERO)
    waived: dict[int, Decimal] = {}
    for index, row in enumerate(future):
        keep = product.early_payoff == LoanProduct.EarlyPayoff.FULL_INTEREST or index == 0
        if keep:
            interest += row.interest_due
        elif row.interest_due:
            waived[row.pk] = row.interest_due
    early_principal = sum((r.principal_due for r in future), ZERO)
    fee = round_half_up(early_principal * product.early_payoff_fee_pct / 100, RUPIAH)
    valid_until = future[0].due_date - dt.timedelta(days=1) if future else on
    if product.penalty_kind == LoanProduct.PenaltyKind.PCT_DAY and any(
        r.due_date < on and r.principal_due + r.interest_due > 0 for r in rows
    ):
        valid_until = on  # the penalty grows every day
    quote = SettlementQuote(
        loan_number=loan.number,
        as_of=on,
        valid_until=max(valid_until, on),
        principal=loan.outstanding_principal,
        interest=interest,
        penalty=penalty,
        fee=fee,
        interest_waived=sum(waived.values(), ZERO),
    )
    return quote, waived


def settlement_quote(
    *, cooperative: Cooperative, loan_id: int, on: dt.date | None = None
) -> SettlementQuote:
    """What pays the loan off today (valid to `valid_until`); reads only."""
    loan = (
        Loan.objects.filter(cooperative=cooperative, pk=loan_id).select_related("product").first()
    )
    if loan is None:
        raise NotFound(_("Loan not found."))
    _check_active(loan)
    day = business_date(cooperative, on)
    return _quote(loan, current_rows(loan), day)[0]


@transaction.atomic
def pay_off(
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
    """Settle the whole loan early for exactly the settlement quote of the day."""
    value = parse_money(amount)
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if channel not in Channel.values or channel == Channel.SYSTEM:
        raise ServiceError("invalid", _("Unknown payment channel."), "channel")
    loan = locked_loan(cooperative, loan_id)
    if (retried := _raced_retry(cooperative, idempotency_key, loan_id, (Kind.PAYOFF,))) is not None:
        return retried
    _check_active(loan)
    source = None
    if channel == Channel.SAVINGS:
        source = _members_sukarela(
            cooperative, loan.member_id, savings_account_id or loan.savings_account_id
        )
        savings.check_loan_debit(source, value)
    day = business_date(cooperative, business_date_)
    rows = current_rows(loan)
    quote, waived = _quote(loan, rows, day)
    if value != quote.total:
        raise ServiceError(
            "payoff_amount",
            _("The settlement amount today is %(total)s.") % {"total": format_rupiah(quote.total)},
            "amount",
        )
    with ledger.balances_at_end():
        return _settle(
            cooperative,
            actor,
            loan,
            rows,
            quote,
            waived,
            value,
            source,
            channel,
            idempotency_key,
            day,
            note,
        )


def _settle(
    cooperative: Cooperative,
    actor: Any,
    loan: Loan,
    rows: list[Instalment],
    quote: "SettlementQuote",
    waived: dict[int, Decimal],
    value: Decimal,
    source: SavingsAccount | None,
    channel: str,
    key: str,
    day: dt.date,
    note: str,
) -> LoanTransaction:
    """The payoff itself: today's penalties, then every instalment paid or its interest waived."""
    _assess_penalties(cooperative, actor, loan, rows, day)
    applied: list[tuple[Instalment, Applied]] = []
    for row in rows:
        interest = row.interest_due - waived.get(row.pk, ZERO)
        part = Applied(
            no=row.no, penalty=row.penalty_due, interest=interest, principal=row.principal_due
        )
        if part.total:
            applied.append((row, part))
    for row in rows:
        if row.pk in waived and all(r.pk != row.pk for r, _a in applied):
            applied.append((row, Applied(no=row.no, penalty=ZERO, interest=ZERO, principal=ZERO)))
    split = _Split(applied=applied, waived=waived)
    return _post_payment(
        cooperative=cooperative,
        actor=actor,
        loan=loan,
        rows=rows,
        split=split,
        value=value,
        fee=quote.fee,
        excess=ZERO,
        excess_account=None,
        source=source,
        channel=channel,
        key=key,
        kind=Kind.PAYOFF,
        on=day,
        note=note,
    )


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
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        if done.reverses_id != original.pk:
            raise _key_reused()
        return done
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for the reversal."), "reason")
    if original.kind not in (Kind.REPAYMENT, Kind.PAYOFF):
        raise ServiceError("not_reversible", _("Only repayments can be reversed here."))
    _check_reversible(original, original.loan.schedule_version)
    entry = original.journal_entry
    if entry is None:  # repayments always have an entry; only cash-basis penalties do not
        raise ServiceError("not_reversible", _("Only repayments can be reversed here."))
    loan = locked_loan(cooperative, original.loan_id)
    legs = _savings_legs(cooperative, entry)
    # Again under the loan's lock: a retry, a second reversal or a new repayment may have
    # committed while this one waited for it.
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        if done.reverses_id != original.pk:
            raise _key_reused()
        return done
    _check_reversible(original, loan.schedule_version)
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
        idempotency_key=f"loan:{idempotency_key}",
        allow_control=True,
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
        if row.amount_due > 0:
            row.paid_on = None
        changed.append(row)
    _save_rows(changed, PAID_FIELDS)
    receivable_credits = _credits_by_role(entry)
    loan.outstanding_principal -= original.principal  # principal is negative on a repayment
    loan.accrued_interest += receivable_credits.get("interest_receivable", ZERO)
    loan.penalty_receivable += receivable_credits.get("penalty_receivable", ZERO)
    loan.status = Loan.Status.ACTIVE
    loan.closed_on = None
    day = business_date(cooperative, None)
    _refresh_quality(cooperative, loan, current_rows(loan), day)
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


def _savings_legs(
    cooperative: Cooperative, entry: JournalEntry
) -> list[tuple[SavingsAccount, Any]]:
    from koperasi.savings.models import SavingsTransaction

    legs = list(SavingsTransaction.objects.filter(journal_entry=entry).order_by("account_id"))
    return [(savings.locked_account_for_loan(cooperative, leg.account_id), leg) for leg in legs]


def _credits_by_role(entry: JournalEntry) -> dict[str, Decimal]:
    """Net credit per system role in an entry (what it took off each receivable)."""
    out: dict[str, Decimal] = {}
    for posting in entry.postings.select_related("account"):
        role = posting.account.system_role
        out[role] = out.get(role, ZERO) + posting.credit - posting.debit
    return out


# ---------------------------------------------------------------- penalties and quality


def _assess_penalties(
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
        overdue = row.principal_due + row.interest_due
        if row.due_date >= on or overdue <= 0:
            continue
        if row.penalty_through is not None and row.penalty_through >= on:
            continue
        added = penalty_increment(
            rule,
            overdue=overdue,
            payment=row.payment,
            due_date=row.due_date,
            assessed_through=row.penalty_through,
            as_of=on,
            already=row.penalty,
        )
        row.penalty += added
        row.penalty_through = on
        total += added
        changed.append(row)
    if not changed:
        return None
    _save_rows(changed, ("penalty", "penalty_through"))
    if not total:
        return None
    key = f"penalty:{loan.pk}:{on.isoformat()}"
    # A reversal can make an instalment late again on a day already assessed: that day's next
    # assessment gets its own key (counted under the loan's lock).
    earlier = LoanTransaction.objects.filter(loan=loan, kind=Kind.PENALTY, business_date=on).count()
    if earlier:
        key = f"{key}:{earlier + 1}"
    entry = None
    if product.accounting == LoanProduct.Accounting.ACCRUAL:
        entry = ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=[
                ledger.Line(_gl(cooperative, "penalty_receivable"), debit=total),
                ledger.Line(_gl(cooperative, "penalty_income"), credit=total),
            ],
            memo=f"Denda pinjaman {loan.number}",
            source="loans",
            source_ref=loan.number,
            idempotency_key=f"loan:{key}",
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


def _refresh_quality(
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
    """Penalties and quality of one loan as of a date (the day-end batch calls this in bulk)."""
    loan = locked_loan(cooperative, loan_id)
    if loan.status != Loan.Status.ACTIVE:
        return loan
    day = business_date(cooperative, on)
    _check_assessment_date(loan, day)
    rows = current_rows(loan)
    _assess_penalties(cooperative, actor, loan, rows, day)
    _refresh_quality(cooperative, loan, rows, day)
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
    """Every active loan of the cooperative, one transaction per loan; returns the count."""
    day = business_date(cooperative, on)
    ids = list(
        Loan.objects.filter(cooperative=cooperative, status=Loan.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for loan_id in ids:
        assess(cooperative=cooperative, actor=actor, loan_id=loan_id, on=day)
    return len(ids)
