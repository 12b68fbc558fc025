"""Disbursement: an approved application paid out in cash or to savings, its schedule fixed."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO, format_rupiah, round_half_up
from koperasi.errors import Conflict, KeyReused, NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanProduct,
    LoanTransaction,
)
from koperasi.loans.services.common import (
    business_date,
    existing_txn,
    gl,
    members_sukarela,
    next_number,
    period_starts,
    record_txn,
    sukarela_id,
)
from koperasi.loans.services.terms import product_schedule
from koperasi.members.models import Member
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative

Kind = LoanTransaction.Kind
Channel = LoanTransaction.Channel
RUPIAH = Decimal("1")


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
    if to not in Loan.Disbursement.values:
        raise ServiceError("invalid", _("Disburse in cash or to savings."), "to")
    application = (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("product", "member")
        .filter(cooperative=cooperative, pk=application_id)
        .first()
    )
    if application is None:
        raise NotFound(_("Loan application not found."))
    # Under the application's lock, so a retry that raced the original finds its loan.
    if (done := existing_txn(cooperative, idempotency_key)) is not None:
        return _same_disbursement(done, cooperative, application, to, savings_account_id, autodebit)
    if application.status == LoanApplication.Status.DISBURSED:
        raise Conflict("already_disbursed", _("This loan has already been disbursed."))
    if application.status != LoanApplication.Status.APPROVED:
        raise ServiceError("not_approved", _("Only an approved application can be disbursed."))
    if application.member.status != Member.Status.ACTIVE:
        # Approved while a member, but left (or died) before the money was paid out.
        raise ServiceError("member_inactive", _("Only active members may borrow."), "member")
    account = None
    if to == Loan.Disbursement.SAVINGS or autodebit:
        account = members_sukarela(cooperative, application.member_id, savings_account_id)
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
            period_start=start,
            due_date=row.due_date,
            principal=row.principal,
            interest=row.interest,
            payment=row.payment,
            balance=row.balance,
        )
        for row, start in zip(
            schedule.instalments, period_starts(on, schedule.instalments), strict=True
        )
    )
    target = (
        account.product.gl_account
        if to == Loan.Disbursement.SAVINGS and account
        else gl(cooperative, "cash")
    )
    lines = [ledger.Line(product.gl_account, debit=principal), ledger.Line(target, credit=paid_out)]
    if deducted and fees:
        lines.append(ledger.Line(gl(cooperative, "fee_income"), credit=fees))

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
        idempotency_key=ledger.request_entry_key(idempotency_key),
        business_date=on,
        allow_control=True,
        before_balances=record,
        # A retry was answered under the application's lock: an entry under this key now is
        # another request's.
        replay=False,
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
                ledger.Line(gl(cooperative, "cash"), debit=fees),
                ledger.Line(gl(cooperative, "fee_income"), credit=fees),
            ],
            memo=f"Provisi dan administrasi {loan.number}",
            source="loans",
            source_ref=loan.number,
            idempotency_key=ledger.request_entry_key(fee_key),
            business_date=on,
            before_balances=record_fee,
            replay=False,
        )
    application.status = LoanApplication.Status.DISBURSED
    application.save(update_fields=["status"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="loans.disburse",
        obj=loan,
        summary=f"{loan.number} {format_rupiah(principal)} → {to}",
        data={
            "number": loan.number,
            "principal": str(principal),
            "to": to,
            "fees": str(fees),
            "paid_out": str(paid_out),
        },
    )
    return loan


def _same_disbursement(
    done: LoanTransaction,
    cooperative: Cooperative,
    application: LoanApplication,
    to: str,
    savings_account_id: int | None,
    autodebit: bool,
) -> Loan:
    """A retry's answer: the loan, if the retry asks for the same disbursement (application,
    cash or savings, the account, autodebit); the key used for anything else is refused."""
    loan = done.loan
    if done.kind != Kind.DISBURSEMENT or loan.application_id != application.pk:
        raise KeyReused()
    if (loan.disbursed_to, loan.autodebit) != (to, autodebit):
        raise KeyReused()
    if loan.savings_account_id is not None and loan.savings_account_id != sukarela_id(
        cooperative, application.member_id, savings_account_id
    ):
        raise KeyReused()
    return loan
