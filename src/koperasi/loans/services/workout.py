"""Troubled loans: restructuring (the "3R") and write-off (hapus buku) with later recovery.

Both are proposed by one person and approved by another. A restructuring keeps the loan and
its history: the old schedule's rows stay (version n), the new schedule is version n + 1.
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.loan_quality import MACET
from koperasi.domain.money import ZERO, format_rupiah
from koperasi.errors import KeyReused, NotFound, PermissionDenied, ServiceError
from koperasi.ledger import selectors as ledger_selectors
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanProduct,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.services.common import (
    amount as parse_money,
)
from koperasi.loans.services.common import (
    business_date,
    current_rows,
    existing_txn,
    locked_loan,
    period_starts,
    record_txn,
    who,
)
from koperasi.loans.services.quality import book_penalties, refresh_quality
from koperasi.loans.services.terms import schedule_for
from koperasi.loans.simulation import annual_rate, percent_text
from koperasi.tenancy.models import Cooperative, Role

Kind = LoanTransaction.Kind
# The schedule calculator names its inputs as the simulator does; a proposal's are these.
_PROPOSAL_FIELDS = {
    "months": "new_term",
    "rate": "new_rate",
    "rate_period": "new_rate_period",
    "method": "new_method",
}


def _loan(cooperative: Cooperative, loan_id: int) -> Loan:
    loan = (
        Loan.objects.filter(cooperative=cooperative, pk=loan_id).select_related("product").first()
    )
    if loan is None:
        raise NotFound(_("Loan not found."))
    return loan


def _check_maker_checker(actor: Any, proposed_by_id: int | None) -> None:
    if getattr(actor, "pk", None) is not None and actor.pk == proposed_by_id:
        raise ServiceError(
            "self_approval",
            _("Maker-checker: the person who proposed this cannot approve it."),
        )


def _require_role(role: str, allowed: tuple[str, ...]) -> None:
    if role not in allowed:
        raise PermissionDenied()


# ---------------------------------------------------------------- restructuring


@transaction.atomic
def propose_restructuring(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    kind: str,
    new_term: int,
    new_rate: Decimal,
    new_rate_period: str,
    new_method: str,
    grace_periods: int = 0,
    reason: str,
) -> Restructuring:
    loan = _loan(cooperative, loan_id)
    if loan.status != Loan.Status.ACTIVE:
        raise ServiceError("loan_not_active", _("Only an active loan can be restructured."))
    if kind not in Restructuring.Kind.values:
        raise ServiceError(
            "invalid", _("Choose rescheduling, reconditioning or restructuring."), "kind"
        )
    if not reason.strip():
        raise ServiceError("required", _("Give the reason."), "reason")
    if new_method not in LoanProduct.Method.values:
        raise ServiceError("invalid", _("Choose one of the offered values."), "new_method")
    if new_rate_period not in LoanProduct.RatePeriod.values:
        raise ServiceError("invalid", _("Choose one of the offered values."), "new_rate_period")
    if kind == Restructuring.Kind.RESCHEDULING and (
        new_rate != loan.rate or new_method != loan.method or new_rate_period != loan.rate_period
    ):
        raise ServiceError(
            "rescheduling_terms",
            _("Rescheduling changes only the term; use reconditioning to change the rate."),
            "kind",
        )
    if annual_rate(new_rate, new_rate_period) > cooperative.loan_rate_cap:
        raise ServiceError(
            "rate_above_cap",
            _("The rate is above this cooperative's loan rate cap of %(cap)s%% a year.")
            % {"cap": percent_text(cooperative.loan_rate_cap)},
            "new_rate",
        )
    if Restructuring.objects.filter(loan=loan, status=Restructuring.Status.PROPOSED).exists():
        raise ServiceError(
            "pending", _("A restructuring of this loan is already waiting for approval.")
        )
    # The new terms must make a schedule for today's outstanding principal.
    try:
        _new_schedule(
            loan,
            new_term,
            new_rate,
            new_rate_period,
            new_method,
            grace_periods,
            business_date(cooperative, None),
        )
    except ServiceError as exc:
        exc.field = _PROPOSAL_FIELDS.get(exc.field or "", exc.field)
        raise
    proposal = Restructuring.objects.create(
        cooperative=cooperative,
        loan=loan,
        kind=kind,
        reason=reason.strip()[:255],
        new_term=new_term,
        new_rate=new_rate,
        new_rate_period=new_rate_period,
        new_method=new_method,
        grace_periods=grace_periods,
        from_version=loan.schedule_version,
        proposed_by=who(actor),
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.restructure_propose",
        obj=loan,
        summary=f"{loan.number}: {kind} x{new_term} {new_rate}%/{new_rate_period}: {reason}",
        data={
            "number": loan.number,
            "kind": kind,
            "term": new_term,
            "rate": str(new_rate),
            "rate_period": new_rate_period,
            "reason": reason.strip(),
        },
    )
    return proposal


def _new_schedule(
    loan: Loan, term: int, rate: Decimal, rate_period: str, method: str, grace: int, on: dt.date
) -> Any:
    return schedule_for(
        principal=loan.outstanding_principal,
        rate=rate,
        rate_period=rate_period,
        term=term,
        method=method,
        frequency=loan.frequency,
        rounding=loan.rounding,
        grace_periods=grace,
        start=on,
        skip_holidays=loan.product.skip_holidays,
    )


@transaction.atomic
def decide_restructuring(
    *,
    cooperative: Cooperative,
    actor: Any,
    role: str,
    restructuring_id: int,
    approve: bool,
    note: str = "",
) -> Restructuring:
    """Approve (the new schedule takes effect today) or reject a proposal.

    Unpaid interest and penalties of the old schedule are not forgiven: they move onto the
    first instalment of the new one, so the member owes exactly what they owed before.
    """
    _require_role(role, (Role.ADMIN, Role.MANAGER))
    proposal = (
        Restructuring.objects.select_for_update(of=("self",))
        .filter(cooperative=cooperative, pk=restructuring_id)
        .first()
    )
    if proposal is None:
        raise NotFound(_("Restructuring not found."))
    if proposal.status != Restructuring.Status.PROPOSED:
        raise ServiceError("not_open", _("This proposal has already been decided."))
    _check_maker_checker(actor, proposal.proposed_by_id)
    proposal.decided_by = who(actor)
    proposal.decided_at = timezone.now()
    proposal.decision_note = note.strip()[:255]
    if not approve:
        if not note.strip():
            raise ServiceError("required", _("Give the reason for the rejection."), "note")
        proposal.status = Restructuring.Status.REJECTED
        proposal.save()
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="loans.restructure_reject",
            obj=proposal.loan,
            summary=f"{proposal.loan.number}: {note}",
        )
        return proposal
    loan = locked_loan(cooperative, proposal.loan_id)
    if loan.status != Loan.Status.ACTIVE or loan.schedule_version != proposal.from_version:
        raise ServiceError(
            "loan_changed", _("The loan has changed since the proposal; propose again.")
        )
    on = business_date(cooperative, None)
    schedule = _new_schedule(
        loan,
        proposal.new_term,
        proposal.new_rate,
        proposal.new_rate_period,
        proposal.new_method,
        proposal.grace_periods,
        on,
    )
    old_rows = current_rows(loan)
    # Penalties earned up to today are owed too: assess them before carrying them over (the
    # old rows stop being assessed once they are history).
    book_penalties(cooperative, actor, loan, old_rows, on)
    carried_interest = sum((r.interest_due for r in old_rows if r.due_date <= on), ZERO)
    carried_penalty = sum((r.penalty_due for r in old_rows), ZERO)
    # Interest already recognised but unpaid stays receivable: it is recognised on the new first
    # row (which carries the unpaid interest), so the accrual does not count it twice.
    carried_accrued = sum((max(r.interest_accrued - r.interest_paid, ZERO) for r in old_rows), ZERO)
    # The old rows stay exactly as they were (the history); only the current version is owed.
    version = loan.schedule_version + 1
    new_rows = [
        Instalment(
            cooperative=cooperative,
            loan=loan,
            version=version,
            no=row.no,
            period_start=start,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest + (carried_interest if row.no == 1 else ZERO),
            interest_accrued=carried_accrued if row.no == 1 else ZERO,
            payment=row.payment + (carried_interest if row.no == 1 else ZERO),
            balance=row.balance,
            penalty=carried_penalty if row.no == 1 else ZERO,
            penalty_through=on if row.no == 1 else None,
        )
        for row, start in zip(
            schedule.instalments, period_starts(on, schedule.instalments), strict=True
        )
    ]
    Instalment.objects.bulk_create(new_rows)
    loan.schedule_version = version
    loan.rate = proposal.new_rate
    loan.rate_period = proposal.new_rate_period
    loan.method = proposal.new_method
    loan.term = proposal.new_term
    loan.maturity_date = schedule.instalments[-1].due_date
    refresh_quality(cooperative, loan, new_rows, on)
    loan.save()
    proposal.status = Restructuring.Status.APPROVED
    proposal.to_version = version
    proposal.effective_on = on
    proposal.save()
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.restructure_approve",
        obj=loan,
        summary=f"{loan.number}: schedule v{proposal.from_version} → v{version} ({proposal.kind})",
        data={
            "number": loan.number,
            "kind": proposal.kind,
            "from_version": proposal.from_version,
            "to_version": version,
            "carried_interest": str(carried_interest),
            "carried_penalty": str(carried_penalty),
        },
    )
    return proposal


# ---------------------------------------------------------------- write-off and recovery


@transaction.atomic
def propose_write_off(
    *, cooperative: Cooperative, actor: Any, loan_id: int, reason: str
) -> WriteOffRequest:
    loan = _loan(cooperative, loan_id)
    if loan.status != Loan.Status.ACTIVE:
        raise ServiceError("loan_not_active", _("Only an active loan can be written off."))
    if loan.collectibility != MACET:
        raise ServiceError("not_macet", _("Only a loan classed Macet can be written off."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason."), "reason")
    if WriteOffRequest.objects.filter(loan=loan, status=WriteOffRequest.Status.PROPOSED).exists():
        raise ServiceError(
            "pending", _("A write-off of this loan is already waiting for approval.")
        )
    request = WriteOffRequest.objects.create(
        cooperative=cooperative, loan=loan, reason=reason.strip()[:255], proposed_by=who(actor)
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.write_off_propose",
        obj=loan,
        summary=f"{loan.number}: {reason}",
    )
    return request


@transaction.atomic
def decide_write_off(
    *,
    cooperative: Cooperative,
    actor: Any,
    role: str,
    request_id: int,
    approve: bool,
    idempotency_key: str,
    note: str = "",
) -> WriteOffRequest:
    """The board approves: the principal leaves the books against the allowance (CKPN), the
    rest against allowance expense; booked interest and penalties are taken back out of income.
    """
    _require_role(role, (Role.ADMIN,))
    request = (
        WriteOffRequest.objects.select_for_update(of=("self",))
        .filter(cooperative=cooperative, pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound(_("Write-off request not found."))
    # Under the proposal's lock: a retry that raced the original finds its write-off here.
    if (idempotency_key or approve) and (
        done := existing_txn(cooperative, idempotency_key)
    ) is not None:
        # A retry's answer: this proposal approved, with the same note.
        decided = (done.kind, done.loan_id, request.status, request.decision_note)
        approved = (Kind.WRITE_OFF, request.loan_id, request.Status.APPROVED, note.strip()[:255])
        if not approve or decided != approved:
            raise KeyReused()
        return request
    if request.status != WriteOffRequest.Status.PROPOSED:
        raise ServiceError("not_open", _("This proposal has already been decided."))
    _check_maker_checker(actor, request.proposed_by_id)
    request.decided_by = who(actor)
    request.decided_at = timezone.now()
    request.decision_note = note.strip()[:255]
    if not approve:
        if not note.strip():
            raise ServiceError("required", _("Give the reason for the rejection."), "note")
        if idempotency_key:
            # A refusal posts nothing, but its key names it: one another request used is
            # refused here as it would be by a posting.
            ledger.refuse_used_key(cooperative, ledger.request_entry_key(idempotency_key))
        request.status = WriteOffRequest.Status.REJECTED
        request.save()
        return request
    loan = locked_loan(cooperative, request.loan_id)
    if loan.status != Loan.Status.ACTIVE:
        raise ServiceError("loan_not_active", _("Only an active loan can be written off."))
    on = business_date(cooperative, None)
    principal = loan.outstanding_principal
    allowance = ledger.account_by_role(cooperative, "loan_allowance")
    # The allowance is a contra-asset: a credit balance (negative here) is what is available.
    # Read afresh under a row lock: the account remembered on the cooperative object may hold
    # an old balance, and two write-offs must not both use the same allowance.
    available = -ledger_selectors.current_balance(allowance, lock=True)
    from_allowance = min(principal, max(ZERO, available))
    lines = [ledger.Line(loan.product.gl_account, credit=principal)]
    if from_allowance:
        lines.append(ledger.Line(allowance, debit=from_allowance))
    if principal - from_allowance:
        lines.append(
            ledger.Line(
                ledger.account_by_role(cooperative, "allowance_expense"),
                debit=principal - from_allowance,
            )
        )
    for receivable, income, value in (
        ("interest_receivable", "loan_interest_income", loan.accrued_interest),
        ("penalty_receivable", "penalty_income", loan.penalty_receivable),
    ):
        if value:
            lines.append(ledger.Line(ledger.account_by_role(cooperative, receivable), credit=value))
            lines.append(ledger.Line(ledger.account_by_role(cooperative, income), debit=value))

    def record(entry: JournalEntry) -> None:
        # Accrued interest left income above: on the rows too, nothing is recognised unpaid.
        Instalment.objects.filter(
            loan=loan, version=loan.schedule_version, interest_accrued__gt=F("interest_paid")
        ).update(interest_accrued=F("interest_paid"))
        loan.outstanding_principal = ZERO
        loan.accrued_interest = ZERO
        loan.penalty_receivable = ZERO
        loan.status = Loan.Status.WRITTEN_OFF
        loan.written_off_on = on
        loan.written_off_amount = principal
        loan.save()
        record_txn(
            loan=loan,
            kind=Kind.WRITE_OFF,
            channel=LoanTransaction.Channel.SYSTEM,
            entry=entry,
            key=idempotency_key,
            actor=actor,
            amount=principal,
            principal=-principal,
            note=request.reason,
            on=on,
        )

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=f"Hapus buku pinjaman {loan.number} {loan.member.name}",
        source="loans",
        source_ref=loan.number,
        idempotency_key=ledger.request_entry_key(idempotency_key),
        business_date=on,
        allow_control=True,
        before_balances=record,
        replay=False,
    )
    request.status = WriteOffRequest.Status.APPROVED
    request.save()
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.write_off",
        obj=loan,
        summary=f"{loan.number} {format_rupiah(principal)} written off",
        data={"number": loan.number, "principal": str(principal)},
    )
    return request


@transaction.atomic
def recover(
    *,
    cooperative: Cooperative,
    actor: Any,
    loan_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
) -> LoanTransaction:
    """Money received on a written-off loan: income, up to what was written off."""
    value = parse_money(amount)
    loan = locked_loan(cooperative, loan_id)
    # Under the loan's lock: a retry that raced the original finds its movement here.
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        # A retry's answer: the same recovery on the same loan (amount and note).
        asked = (Kind.RECOVERY, loan_id, value, note[:255])
        if (done.kind, done.loan_id, done.amount, done.note) != asked:
            raise KeyReused()
        return done
    if loan.status != Loan.Status.WRITTEN_OFF:
        raise ServiceError(
            "not_written_off", _("Recoveries are recorded only on written-off loans.")
        )
    left = loan.written_off_amount - loan.recovered_amount
    if value > left:
        raise ServiceError(
            "recovery_too_large",
            _("At most %(max)s remains to be recovered.") % {"max": format_rupiah(left)},
            "amount",
        )
    on = business_date(cooperative, None)
    recorded: list[LoanTransaction] = []

    def record(entry: JournalEntry) -> None:
        loan.recovered_amount += value
        loan.save(update_fields=["recovered_amount"])
        recorded.append(
            record_txn(
                loan=loan,
                kind=Kind.RECOVERY,
                channel=LoanTransaction.Channel.TELLER,
                entry=entry,
                key=idempotency_key,
                actor=actor,
                amount=value,
                note=note,
                on=on,
            )
        )

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(ledger.account_by_role(cooperative, "cash"), debit=value),
            ledger.Line(ledger.account_by_role(cooperative, "writeoff_recovery"), credit=value),
        ],
        memo=f"Pemulihan pinjaman dihapusbukukan {loan.number}",
        source="loans",
        source_ref=loan.number,
        idempotency_key=ledger.request_entry_key(idempotency_key),
        business_date=on,
        allow_control=True,
        before_balances=record,
        replay=False,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.recovery",
        obj=loan,
        summary=f"{loan.number} {format_rupiah(value)}",
    )
    return recorded[0]
