"""Pieces every loan service uses: locking, numbering, amounts, the loan's own movements."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from koperasi.bulk import update_rows
from koperasi.domain.errors import DomainError
from koperasi.domain.money import parse_amount
from koperasi.domain.schedule import Instalment as ScheduleRow
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.loans.models import Instalment, Loan, LoanTransaction
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative

# What a repayment writes beside its rows, shared by the services and `loans_repay`
# (loans/sql/repay.sql), which takes them as parameters. Texts and keys are `%s` templates, which
# Python's `%` and SQL's format() fill alike.
SOURCE = "loans"  # the journal entries' source
ENTRY_KEY = "loan:%s"  # a movement's journal entry: its key from the movement's
PENALTY_KEY = "penalty:%s:%s"  # the day's penalty movement (loan id, ISO date)
AGAIN_KEY = "%s:%s"  # a later penalty movement the same day (the day's key, its count)
EXCESS_KEY = "%s:excess"  # the savings movement of what a payment leaves over
REPAYMENT_MEMO = "Angsuran pinjaman %s %s"  # (loan number, member's name)
PAYOFF_MEMO = "Pelunasan pinjaman %s %s"
PENALTY_MEMO = "Denda pinjaman %s"  # (loan number)
EXCESS_NOTE = "Kelebihan bayar %s"  # (loan number)
PAYMENT_SUMMARY = "%s %s (%s)"  # the audit record's (loan number, amount, channel)


# Where the money of a repayment comes from, by channel (savings: the member's account).
SOURCE_ROLE = {
    LoanTransaction.Channel.TELLER: "cash",
    LoanTransaction.Channel.API: "cash",
    LoanTransaction.Channel.PAYROLL: "bank",
}


def audit_action(kind: str) -> str:
    return f"loans.{kind}"


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


def current_rows(loan: Loan) -> list[Instalment]:
    """The rows of the loan's current schedule, in due order (locked with the loan)."""
    return list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("no"))


def period_starts(start: dt.date, rows: Sequence[ScheduleRow]) -> list[dt.date]:
    """Where each row's interest period begins: the previous due date (the first row's at the
    disbursement or restructuring)."""
    return [start, *(row.due_date for row in rows[:-1])]


def existing_txn(cooperative: Cooperative, key: str) -> LoanTransaction | None:
    """The loan movement first made under `key` (unique per cooperative), or None.

    Each caller answers a retry with it only if it is what the retry asks for (operation,
    loan, amount, channel, note …), and refuses the key otherwise (KeyReused, 409); a key
    savings posted under is refused when the movement posts (`post_entry`, `replay=False`).
    """
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


def record_txn(**fields: Any) -> LoanTransaction:
    """Save a loan movement (see `new_txn` for its fields)."""
    txn = new_txn(**fields)
    txn.save(force_insert=True)
    return txn


def new_txn(
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
    """A loan movement, not yet saved (batch steps create many at once)."""
    return LoanTransaction(
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


# ---------------------------------------------------------------- shared by loan movements


def gl(cooperative: Cooperative, role: str) -> Account:
    return ledger.account_by_role(cooperative, role)


def sukarela_id(cooperative: Cooperative, member_id: int, account_id: int | None) -> int | None:
    """The sukarela account a loan movement uses: the one named, or the member's own."""
    if account_id is not None:
        return account_id
    found = savings_selectors.sukarela_account_of(
        cooperative=cooperative, member=Member(pk=member_id)
    )
    return found.pk if found is not None else None


def members_sukarela(
    cooperative: Cooperative, member_id: int, account_id: int | None
) -> SavingsAccount:
    """The borrower's own sukarela account, locked (after the loan, in the lock order)."""
    account_id = sukarela_id(cooperative, member_id, account_id)
    if account_id is None:
        raise ServiceError(
            "no_sukarela",
            _("The member has no sukarela savings account; open one first."),
            "savings_account",
        )
    account = savings.locked_account_for_loan(cooperative, account_id)
    if account.member_id != member_id:
        raise NotFound(_("Savings account not found."), field="savings_account")
    return account


PAID_FIELDS = (
    "principal_paid",
    "interest_paid",
    "penalty_paid",
    "interest_waived",
    "interest_accrued",
    "paid_on",
)


def save_rows(rows: list[Instalment], fields: tuple[str, ...]) -> None:
    """Write changed schedule rows: a plain UPDATE each for the usual one or two, a set-based
    update for more (koperasi.bulk)."""
    if len(rows) > 2:
        update_rows(Instalment, rows, fields)
        return
    for row in rows:
        Instalment.objects.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})


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
