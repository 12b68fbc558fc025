"""Pieces every loan service uses: locking, numbering, amounts, the loan's own movements."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_amount
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.loans.models import Instalment, Loan, LoanTransaction
from koperasi.tenancy.models import Cooperative


def amount(value: Any, field: str = "amount") -> Decimal:
    try:
        return parse_amount(value)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field) from exc


def next_number(cooperative: Cooperative, counter: str, prefix: str) -> str:
    """The next number of a per-cooperative sequence, taken under the cooperative's row lock."""
    Cooperative.objects.filter(pk=cooperative.pk).update(**{counter: F(counter) + 1})
    value = Cooperative.objects.filter(pk=cooperative.pk).values_list(counter, flat=True).get()
    return f"{prefix}{value:06d}"


def locked_loan(cooperative: Cooperative, loan_id: int) -> Loan:
    found = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("product", "member")
        .filter(cooperative=cooperative, pk=loan_id)
    )
    loan = next(iter(found[:1]), None)
    if loan is None:
        raise NotFound(_("Loan not found."))
    return loan


def loan_of(cooperative: Cooperative, loan_id: int) -> Loan:
    loan = Loan.objects.filter(cooperative=cooperative, pk=loan_id).first()
    if loan is None:
        raise NotFound(_("Loan not found."))
    return loan


def current_rows(loan: Loan) -> list[Instalment]:
    """The rows of the loan's current schedule, in due order (locked with the loan)."""
    return list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("no"))


def existing_txn(cooperative: Cooperative, key: str) -> LoanTransaction | None:
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    # Almost every key is new: ask the cheap question (the unique index) first.
    found = LoanTransaction.objects.filter(
        cooperative=cooperative, idempotency_key=key
    ).values_list("pk", flat=True)[:1]
    if not found:
        return None
    return LoanTransaction.objects.select_related("loan", "journal_entry").get(pk=found[0])


def business_date(cooperative: Cooperative, value: dt.date | None) -> dt.date:
    return value or ledger.business_today(cooperative)


def who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def record_txn(
    *,
    loan: Loan,
    kind: str,
    channel: str,
    entry: JournalEntry | None,
    key: str,
    actor: Any,
    amount: Decimal,
    principal: Decimal = Decimal(0),
    interest: Decimal = Decimal(0),
    penalty: Decimal = Decimal(0),
    fee: Decimal = Decimal(0),
    excess: Decimal = Decimal(0),
    allocation: list[dict[str, Any]] | None = None,
    note: str = "",
    on: dt.date,
    reverses: LoanTransaction | None = None,
) -> LoanTransaction:
    return LoanTransaction.objects.create(
        cooperative_id=loan.cooperative_id,
        loan=loan,
        kind=kind,
        channel=channel,
        business_date=on,
        amount=amount,
        principal=principal,
        interest=interest,
        penalty=penalty,
        fee=fee,
        excess=excess,
        allocation=allocation or [],
        outstanding_after=loan.outstanding_principal,
        journal_entry=entry,
        idempotency_key=key,
        note=note[:255],
        reverses=reverses,
        actor=who(actor),
    )
