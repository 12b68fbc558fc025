"""Writes for savings: products, accounts, deposits, withdrawals, transfers, exit refunds.

Every movement changes the account's maintained balance and posts its journal entry in the same
transaction. The account row is locked first (then the ledger accounts, in key order), so two
withdrawals can never both spend the same rupiah.
"""

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi import sqlrows
from koperasi.audit import services as audit
from koperasi.audit.context import client_ip
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, format_rupiah, parse_amount
from koperasi.domain.periods import add_months
from koperasi.errors import Conflict, NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, BalanceSlot, JournalEntry
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind

DEFAULT_PRODUCTS = (
    # code, name, kind, annual rate, method, term, accounting class, GL role
    ("SP", "Simpanan Pokok", SavingsKind.POKOK, "0", "none", None, "equity", "savings_pokok"),
    ("SW", "Simpanan Wajib", SavingsKind.WAJIB, "0", "none", None, "equity", "savings_wajib"),
    (
        "SS",
        "Simpanan Sukarela",
        SavingsKind.SUKARELA,
        "3",
        "harian",
        None,
        "liability",
        "savings_sukarela",
    ),
    (
        "SB12",
        "Simpanan Berjangka 12 Bulan",
        SavingsKind.BERJANGKA,
        "6",
        "harian",
        12,
        "liability",
        "savings_berjangka",
    ),
)


def install_default_products(*, cooperative: Cooperative) -> None:
    for code, name, kind, rate, method, term, klass, role in DEFAULT_PRODUCTS:
        SavingsProduct.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            kind=kind,
            annual_rate=Decimal(rate),
            interest_method=method,
            term_months=term,
            accounting_class=klass,
            gl_account=ledger.account_by_role(cooperative, role),
        )


def create_product(
    *,
    cooperative: Cooperative,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    annual_rate: Decimal,
    interest_method: str = "harian",
    term_months: int | None = None,
    minimum_balance: Decimal = ZERO,
    accounting_class: str = "",
) -> SavingsProduct:
    """A further savings product; its rate may not exceed the cap (Permenkop 8/2023)."""
    if kind not in SavingsKind.values:
        raise ServiceError("invalid_kind", _("Unknown savings kind."), "kind")
    if annual_rate < 0 or annual_rate > cooperative.savings_rate_cap:
        raise ServiceError(
            "rate_above_cap",
            _("The rate may not exceed %(cap)s%% a year.") % {"cap": cooperative.savings_rate_cap},
            "annual_rate",
        )
    if kind == SavingsKind.BERJANGKA and not term_months:
        raise ServiceError("term_required", _("A time deposit needs a term."), "term_months")
    if SavingsProduct.objects.filter(cooperative=cooperative, code=code).exists():
        raise ServiceError("duplicate_code", _("This product code is already used."), "code")
    role = f"savings_{kind}"
    default_class = "equity" if kind in (SavingsKind.POKOK, SavingsKind.WAJIB) else "liability"
    with transaction.atomic():
        product = SavingsProduct.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            kind=kind,
            annual_rate=annual_rate,
            interest_method=interest_method
            if kind not in (SavingsKind.POKOK, SavingsKind.WAJIB)
            else "none",
            term_months=term_months,
            minimum_balance=minimum_balance,
            accounting_class=accounting_class or default_class,
            gl_account=ledger.account_by_role(cooperative, role),
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="savings.product_create",
            obj=product,
            summary=f"{code} {name}",
        )
    return product


def _product(cooperative: Cooperative, kind: str) -> SavingsProduct:
    product = (
        SavingsProduct.objects.filter(cooperative=cooperative, kind=kind, is_active=True)
        .select_related("gl_account")
        .order_by("id")
        .first()
    )
    if product is None:
        raise ServiceError(
            "product_missing", _("The cooperative has no %(kind)s product.") % {"kind": kind}
        )
    return product


def open_account(
    *,
    cooperative: Cooperative,
    actor: Any,
    member: Member,
    product: SavingsProduct,
    opened_on: dt.date | None = None,
) -> SavingsAccount:
    if member.cooperative_id != cooperative.pk or product.cooperative_id != cooperative.pk:
        raise NotFound()
    if member.status not in (Member.Status.APPLICANT, Member.Status.ACTIVE):
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    existing = SavingsAccount.objects.filter(member=member, product=product).count()
    if existing and product.kind != SavingsKind.BERJANGKA:
        raise ServiceError(
            "account_exists", _("The member already has an account of this product.")
        )
    number = f"{product.code}-{member.number}" + (f"-{existing + 1}" if existing else "")
    account = SavingsAccount.objects.create(
        cooperative=cooperative,
        member=member,
        product=product,
        number=number,
        opened_on=opened_on or ledger.business_today(cooperative),
    )
    audit.record(
        cooperative=cooperative, actor=actor, action="savings.open", obj=account, summary=number
    )
    return account


def open_membership_accounts(*, cooperative: Cooperative, actor: Any, member: Member) -> None:
    for kind in (SavingsKind.POKOK, SavingsKind.WAJIB):
        open_account(
            cooperative=cooperative,
            actor=actor,
            member=member,
            product=_product(cooperative, kind),
            opened_on=member.joined_on,
        )


def open_membership_accounts_bulk(*, cooperative: Cooperative, members: list[Member]) -> None:
    """The pokok and wajib accounts of many new members in one insert (bulk import)."""
    products = [_product(cooperative, kind) for kind in (SavingsKind.POKOK, SavingsKind.WAJIB)]
    today = ledger.business_today(cooperative)
    SavingsAccount.objects.bulk_create(
        SavingsAccount(
            cooperative=cooperative,
            member=member,
            product=product,
            number=f"{product.code}-{member.number}",
            opened_on=member.joined_on or today,
        )
        for member in members
        for product in products
    )


@transaction.atomic
def pay_pokok_bulk(
    *,
    cooperative: Cooperative,
    actor: Any,
    member_ids: list[int],
    idempotency_key: str,
    note: str = "",
) -> JournalEntry | None:
    """Cash payment of the full simpanan pokok by many new applicants (bulk import).

    One journal entry for the batch (Dr cash, Cr simpanan pokok: the total), one movement per
    member account referring to it, and the members activated: set-based, whatever the count.
    """
    amount = cooperative.pokok_amount
    accounts = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .filter(
            cooperative=cooperative,
            member_id__in=member_ids,
            product__kind=SavingsKind.POKOK,
            status=SavingsAccount.Status.OPEN,
            balance=0,
            member__status=Member.Status.APPLICANT,
        )
        .order_by("pk")
    )
    if not accounts:
        return None
    on = ledger.business_today(cooperative)
    total = amount * len(accounts)
    pokok_gl = _product(cooperative, SavingsKind.POKOK).gl_account
    who = actor if getattr(actor, "pk", None) else None

    def record_movements(entry: JournalEntry) -> None:
        SavingsAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(balance=amount)
        SavingsTransaction.objects.bulk_create(
            SavingsTransaction(
                cooperative=cooperative,
                account=account,
                kind=Kind.DEPOSIT,
                amount=amount,
                balance_after=amount,
                business_date=on,
                journal_entry=entry,
                note=note[:255],
                idempotency_key=idempotency_key,
                channel="import",
                actor=who,
            )
            for account in accounts
        )
        from koperasi.members import services as members

        members.activate_members_bulk(
            cooperative=cooperative, member_ids=[a.member_id for a in accounts], on=on
        )

    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(ledger.account_by_role(cooperative, "cash"), debit=total),
            ledger.Line(pokok_gl, credit=total),
        ],
        memo=f"Setoran simpanan pokok {len(accounts)} anggota baru",
        source="savings",
        source_ref="import",
        idempotency_key=f"savings:{idempotency_key}",
        business_date=on,
        allow_control=True,
        before_balances=record_movements,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.pokok_bulk",
        obj=entry,
        summary=f"{len(accounts)} x {amount}",
    )
    return entry


def _amount(value: Any) -> Decimal:
    try:
        return parse_amount(value)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, "amount") from exc


def _locked_account(cooperative: Cooperative, account_id: int) -> SavingsAccount:
    locked = (
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("product__gl_account", "member")
        .filter(cooperative=cooperative, pk=account_id)
    )
    account = next(iter(locked[:1]), None)
    if account is None:
        raise NotFound(_("Savings account not found."))
    if account.status != SavingsAccount.Status.OPEN:
        raise ServiceError("account_closed", _("This savings account is closed."))
    return account


def locked_account_for_loan(cooperative: Cooperative, account_id: int) -> SavingsAccount:
    """A member's open sukarela account, locked: loans pay into and collect from it.

    Callers lock it before the loan row, the same order every loan movement uses.
    """
    account = _locked_account(cooperative, account_id)
    if account.product.kind != SavingsKind.SUKARELA:
        raise ServiceError(
            "not_sukarela", _("Loans use the member's sukarela account."), "savings_account"
        )
    return account


def check_loan_debit(account: SavingsAccount, amount: Decimal) -> None:
    """Refuse, before anything is written, an instalment the savings cannot cover."""
    # Only sukarela accounts reach here; the date matters only for a time deposit's maturity.
    _check_can_pay_out(account, amount, dt.date.min)


def record_loan_movement(
    *,
    account: SavingsAccount,
    amount: Decimal,
    entry: JournalEntry,
    actor: Any,
    key: str,
    note: str,
    reverses: SavingsTransaction | None = None,
) -> SavingsTransaction:
    """The savings side of a loan's journal entry (which carries the savings control line).

    `amount` > 0 pays into the account (disbursement, excess), < 0 takes an instalment.
    """
    if account.balance + amount < 0:
        raise ServiceError("insufficient_balance", _("The savings balance is too low."), "amount")
    kind = Kind.REVERSAL if reverses else (Kind.LOAN_CREDIT if amount > 0 else Kind.LOAN_DEBIT)
    return _record_movement(
        account=account,
        kind=kind,
        amount=amount,
        entry=entry,
        actor=actor,
        note=note,
        key=key,
        channel="loan",
        reverses=reverses,
    )


def loan_movements(entry: JournalEntry) -> list[SavingsTransaction]:
    """The movements a loan's entry made on savings accounts, in account order (the order
    they are locked in to be reversed)."""
    return list(SavingsTransaction.objects.filter(journal_entry=entry).order_by("account_id", "pk"))


def _existing(cooperative: Cooperative, key: str) -> SavingsTransaction | None:
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    # Almost every key is new: ask the cheap question first, load the movement only on a hit.
    found = SavingsTransaction.objects.filter(
        cooperative=cooperative, idempotency_key=key
    ).values_list("pk", flat=True)[:1]
    if not found:
        return None
    return (
        SavingsTransaction.objects.filter(cooperative=cooperative, idempotency_key=key)
        .select_related("account__product", "account__member", "journal_entry")
        .order_by("id")
        .first()
    )


def _same_movement(
    done: SavingsTransaction, account_id: int, amount: Decimal, note: str
) -> SavingsTransaction:
    """A retry's answer: the movement first made with its key, if it is the same movement
    (account, signed amount and note); the key used for anything else is refused."""
    if done.account_id != account_id or done.amount != amount or done.note != note[:255]:
        raise Conflict(
            "idempotency_key_reused",
            _("This idempotency key was already used for another posting."),
        )
    return done


def _check_can_receive(
    cooperative: Cooperative, account: SavingsAccount, amount: Decimal, on: dt.date
) -> None:
    member, kind = account.member, account.product.kind
    if kind == SavingsKind.POKOK:
        if member.status not in (Member.Status.APPLICANT, Member.Status.ACTIVE):
            raise ServiceError("member_inactive", _("This person is no longer a member."))
        remaining = cooperative.pokok_amount - account.balance
        if amount > remaining:
            raise ServiceError(
                "pokok_exceeded",
                _("Simpanan pokok is %(total)s; only %(left)s remains to be paid.")
                % {
                    "total": format_rupiah(cooperative.pokok_amount),
                    "left": format_rupiah(remaining),
                },
                "amount",
            )
        return
    if member.status != Member.Status.ACTIVE:
        raise ServiceError(
            "member_inactive",
            _("Only active members may save; pay the simpanan pokok first."),
        )
    if kind == SavingsKind.BERJANGKA and account.transactions.exists():
        raise ServiceError(
            "term_deposit_placed",
            _("A time deposit takes one placement; open a new time deposit instead."),
        )


def _check_can_pay_out(account: SavingsAccount, amount: Decimal, on: dt.date) -> None:
    kind = account.product.kind
    if kind in (SavingsKind.POKOK, SavingsKind.WAJIB):
        raise ServiceError(
            "savings_locked",
            _("Simpanan pokok and wajib can be withdrawn only when membership ends."),
        )
    if kind == SavingsKind.BERJANGKA:
        if account.maturity_date is None or on < account.maturity_date:
            raise ServiceError(
                "not_matured", _("This time deposit has not reached its maturity date.")
            )
        if amount != account.balance:
            raise ServiceError(
                "whole_balance", _("A matured time deposit is paid out in full."), "amount"
            )
    if amount > account.balance - account.product.minimum_balance:
        raise ServiceError(
            "insufficient_balance",
            _("Insufficient balance: at most %(max)s can be withdrawn.")
            % {"max": format_rupiah(max(ZERO, account.balance - account.product.minimum_balance))},
            "amount",
        )


def _record_movement(
    *,
    account: SavingsAccount,
    kind: str,
    amount: Decimal,
    entry: JournalEntry,
    actor: Any,
    note: str,
    key: str,
    channel: str,
    reverses: SavingsTransaction | None = None,
) -> SavingsTransaction:
    account.balance += amount
    update = ["balance"]
    if (
        account.product.kind == SavingsKind.BERJANGKA
        and account.maturity_date is None
        and amount > 0
        and account.product.term_months
    ):
        account.maturity_date = add_months(entry.business_date, account.product.term_months)
        update.append("maturity_date")
    account.save(update_fields=update)
    return SavingsTransaction.objects.create(
        cooperative_id=account.cooperative_id,
        account=account,
        kind=kind,
        amount=amount,
        balance_after=account.balance,
        business_date=entry.business_date,
        journal_entry=entry,
        note=note[:255],
        idempotency_key=key,
        channel=channel,
        actor=actor if getattr(actor, "pk", None) else None,
        reverses=reverses,
    )


def _cash_memo(account: SavingsAccount, amount: Decimal) -> str:
    verb = "Setoran" if amount > 0 else "Penarikan"
    return f"{verb} {account.product.name} {account.number} {account.member.name}"


def _cash_summary(account: SavingsAccount, amount: Decimal) -> str:
    return f"{account.number} {amount:+}"


def _cash_movement(
    *,
    cooperative: Cooperative,
    actor: Any,
    account: SavingsAccount,
    amount: Decimal,
    on: dt.date,
    idempotency_key: str,
    note: str,
    channel: str,
) -> SavingsTransaction:
    """Cash in (amount > 0: Dr cash, Cr savings) or out (amount < 0: Dr savings, Cr cash)."""
    cash = ledger.account_by_role(cooperative, "cash")
    savings_gl = account.product.gl_account
    value = abs(amount)
    debit, credit = (cash, savings_gl) if amount > 0 else (savings_gl, cash)
    kind = Kind.DEPOSIT if amount > 0 else Kind.WITHDRAWAL
    recorded: list[SavingsTransaction] = []

    def record_movement(entry: JournalEntry) -> None:
        txn = _record_movement(
            account=account,
            kind=kind,
            amount=amount,
            entry=entry,
            actor=actor,
            note=note,
            key=idempotency_key,
            channel=channel,
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action=f"savings.{kind}",
            obj=txn,
            summary=_cash_summary(account, amount),
        )
        recorded.append(txn)

    ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[ledger.Line(debit, debit=value), ledger.Line(credit, credit=value)],
        memo=_cash_memo(account, amount),
        source="savings",
        source_ref=account.number,
        idempotency_key=f"savings:{idempotency_key}",
        business_date=on,
        allow_control=True,
        before_balances=record_movement,
    )
    if not recorded:
        # The journal entry existed without its movement: never expected, never silently.
        raise Conflict(
            "idempotency_key_reused",
            _("This idempotency key was already used for another posting."),
        )
    return recorded[0]


def deposit(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
) -> SavingsTransaction:
    """Cash paid in at the teller (or by API): Dr cash, Cr the product's savings account."""
    value = _amount(amount)
    done = _in_one_statement(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        amount=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )
    if done is not None:
        return done
    return _deposit(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        value=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )


@transaction.atomic
def _deposit(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    value: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction:
    account = _locked_account(cooperative, account_id)
    # Checked under the account lock: a concurrent retry with this key waits, then finds it.
    if (done := _existing(cooperative, idempotency_key)) is not None:
        return _same_movement(done, account_id, value, note)
    on = business_date or ledger.business_today(cooperative)
    _check_can_receive(cooperative, account, value, on)
    txn = _cash_movement(
        cooperative=cooperative,
        actor=actor,
        account=account,
        amount=value,
        on=on,
        idempotency_key=idempotency_key,
        note=note,
        channel=channel,
    )
    if account.product.kind == SavingsKind.POKOK and account.balance == cooperative.pokok_amount:
        from koperasi.members import services as members

        members.activate_member(cooperative=cooperative, actor=actor, member=account.member, on=on)
    return txn


def withdraw(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
) -> SavingsTransaction:
    """Cash paid out: Dr the product's savings account, Cr cash. Never below the minimum."""
    value = _amount(amount)
    done = _in_one_statement(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        amount=-value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )
    if done is not None:
        return done
    return _withdraw(
        cooperative=cooperative,
        actor=actor,
        account_id=account_id,
        value=value,
        idempotency_key=idempotency_key,
        note=note,
        business_date=business_date,
        channel=channel,
    )


@transaction.atomic
def _withdraw(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    value: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction:
    account = _locked_account(cooperative, account_id)
    # Checked under the account lock: a concurrent retry with this key waits, then finds it.
    if (done := _existing(cooperative, idempotency_key)) is not None:
        return _same_movement(done, account_id, -value, note)
    on = business_date or ledger.business_today(cooperative)
    if account.member.status != Member.Status.ACTIVE:
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    _check_can_pay_out(account, value, on)
    return _cash_movement(
        cooperative=cooperative,
        actor=actor,
        account=account,
        amount=-value,
        on=on,
        idempotency_key=idempotency_key,
        note=note,
        channel=channel,
    )


# ---------------------------------------------------------------- one statement (PostgreSQL)

# The account as `_in_one_statement` reads it (no lock), with what its checks and texts need,
# and the cooperative's cash account.
_AS_READ = (
    (SavingsAccount, ("id", "cooperative_id", "member_id", "product_id", "number", "status",
                      "balance", "maturity_date")),
    (SavingsProduct, ("id", "cooperative_id", "code", "name", "kind", "minimum_balance",
                      "gl_account_id")),
    (Member, ("id", "cooperative_id", "number", "name", "status")),
    (Account, ("id", "cooperative_id", "code", "is_header", "is_control", "is_active")),
    (Account, None),
)  # fmt: skip
_ACCOUNT_AS_READ = (
    "SELECT "
    + ", ".join(sqlrows.columns(f"t{i}", model, names) for i, (model, names) in enumerate(_AS_READ))
    + " FROM savings_savingsaccount t0 JOIN savings_savingsproduct t1 ON t1.id = t0.product_id"
    " JOIN members_member t2 ON t2.id = t0.member_id"
    " JOIN ledger_account t3 ON t3.id = t1.gl_account_id"
    " JOIN ledger_account t4 ON t4.cooperative_id = t0.cooperative_id AND t4.system_role = 'cash'"
    " WHERE t0.id = %s AND t0.cooperative_id = %s"
)
# Typed, so that the server resolves the function once and may keep the statement prepared.
_CASH_MOVEMENT = (
    "SELECT * FROM savings_cash_movement(%s::bigint, %s::bigint, %s::numeric, %s::numeric,"
    " %s::text, %s::text, %s::text, %s::text, %s::integer, %s::date, %s::date, %s::text,"
    " %s::text, %s::bigint, %s::bigint, %s::text, %s::inet, %s::integer, %s::integer,"
    " %s::timestamptz)"
)


def _account_as_read(cooperative: Cooperative, account_id: int) -> SavingsAccount | None:
    with sqlrows.hot_cursor() as cursor:
        cursor.execute(_ACCOUNT_AS_READ, [account_id, cooperative.pk])
        row = cursor.fetchone()
    if row is None:
        return None
    account, product, member, gl_account, cash = sqlrows.split(row, *_AS_READ)
    product.gl_account = gl_account
    account.product, account.member = product, member
    ledger.remember_account(cooperative, "cash", cash)
    return account


def _in_one_statement(
    *,
    cooperative: Cooperative,
    actor: Any,
    account_id: int,
    amount: Decimal,
    idempotency_key: str,
    note: str,
    business_date: dt.date | None,
    channel: str,
) -> SavingsTransaction | None:
    """The teller's everyday movement, a cash deposit into sukarela or wajib savings or a cash
    withdrawal from sukarela, as one call of the PostgreSQL function `savings_cash_movement`
    (savings migration 0006), when the caller has no transaction open: the call is then the
    whole transaction, and the balance rows are never locked while Python runs.

    The account is read without a lock and checked with the same rules as the ordinary way;
    the function re-checks under the row lock what those checks relied on. Anything else,
    and anything unusual (a refusal, a retry, a closed day), returns None: the ordinary way
    then answers it, so every error and every retry is answered in one place.
    """
    if connection.vendor != "postgresql" or not idempotency_key or sqlrows.alone() is None:
        return None
    account = _account_as_read(cooperative, account_id)
    if account is None or account.status != SavingsAccount.Status.OPEN:
        return None
    today = ledger.local_today(cooperative)
    on = business_date or today
    floor = None
    try:
        if amount > 0:
            if account.product.kind not in (SavingsKind.SUKARELA, SavingsKind.WAJIB):
                return None
            _check_can_receive(cooperative, account, amount, on)
        else:
            if account.product.kind != SavingsKind.SUKARELA:
                return None
            if account.member.status != Member.Status.ACTIVE:
                return None
            _check_can_pay_out(account, -amount, on)
            floor = account.product.minimum_balance
        cash, savings_gl = ledger.account_by_role(cooperative, "cash"), account.product.gl_account
        ledger.check_lines(
            cooperative,
            [ledger.Line(cash, debit=abs(amount)), ledger.Line(savings_gl, credit=abs(amount))],
            allow_control=True,
        )
    except ServiceError:
        return None
    kind = Kind.DEPOSIT if amount > 0 else Kind.WITHDRAWAL
    who = actor if getattr(actor, "pk", None) else None
    note = note[:255]
    row = sqlrows.call_alone(
        _CASH_MOVEMENT,
        [
            cooperative.pk,
            account.pk,
            amount,
            floor,
            kind,
            idempotency_key,
            note,
            channel,
            who.pk if who else None,
            today,
            business_date,
            _cash_memo(account, amount)[:255],
            account.number,
            cash.pk,
            savings_gl.pk,
            _cash_summary(account, amount)[:300],
            client_ip.get(),
            ledger.BOOKS_LOCK,
            BalanceSlot.SLOTS,
            timezone.now(),
        ],
    )
    if row is None:
        return None
    txn_id, entry_id, balance_after, on, created_at = row
    account.balance = balance_after
    txn = SavingsTransaction(
        pk=txn_id,
        cooperative_id=cooperative.pk,
        account=account,
        kind=kind,
        amount=amount,
        balance_after=balance_after,
        business_date=on,
        journal_entry_id=entry_id,
        note=note,
        idempotency_key=idempotency_key,
        channel=channel,
        actor=who,
        created_at=created_at,
    )
    return sqlrows.saved(txn)


@transaction.atomic
def transfer(
    *,
    cooperative: Cooperative,
    actor: Any,
    from_account_id: int,
    to_account_id: int,
    amount: Any,
    idempotency_key: str,
    note: str = "",
    business_date: dt.date | None = None,
    channel: str = "teller",
    closing: bool = False,
) -> tuple[SavingsTransaction, SavingsTransaction]:
    """Move money between two accounts of the same member (e.g. sukarela → wajib).

    The day-end close pays matured time deposits with `closing=True` (dated the day it closes).
    """
    value = _amount(amount)
    if from_account_id == to_account_id:
        raise ServiceError("same_account", _("Choose two different accounts."), "to_account")
    # Lock both rows in key order so opposite transfers cannot deadlock.
    first, second = sorted((from_account_id, to_account_id))
    locked = {
        first: _locked_account(cooperative, first),
        second: _locked_account(cooperative, second),
    }
    if (done := _existing(cooperative, idempotency_key)) is not None:
        pair = list(SavingsTransaction.objects.filter(journal_entry=done.journal_entry))
        out = next(t for t in pair if t.amount < 0)
        into = next(t for t in pair if t.amount > 0)
        return out, into
    source, target = locked[from_account_id], locked[to_account_id]
    if source.member_id != target.member_id:
        raise ServiceError(
            "different_member",
            _("Transfers are only between one member's own accounts."),
            "to_account",
        )
    on = business_date or ledger.business_today(cooperative)
    if source.member.status != Member.Status.ACTIVE:
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    _check_can_pay_out(source, value, on)
    _check_can_receive(cooperative, target, value, on)
    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(source.product.gl_account, debit=value),
            ledger.Line(target.product.gl_account, credit=value),
        ],
        memo=f"Pemindahbukuan {source.number} ke {target.number}",
        source="savings",
        source_ref=source.number,
        idempotency_key=f"savings:{idempotency_key}",
        business_date=on,
        allow_control=True,
        closing=closing,
    )
    out = _record_movement(
        account=source,
        kind=Kind.TRANSFER_OUT,
        amount=-value,
        entry=entry,
        actor=actor,
        note=note,
        key=idempotency_key,
        channel=channel,
    )
    into = _record_movement(
        account=target,
        kind=Kind.TRANSFER_IN,
        amount=value,
        entry=entry,
        actor=actor,
        note=note,
        key=idempotency_key,
        channel=channel,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.transfer",
        obj=out,
        summary=f"{source.number} -> {target.number} {value}",
    )
    return out, into


def refund_on_exit(
    *,
    cooperative: Cooperative,
    actor: Any,
    member: Member,
    idempotency_key: str,
    business_date: dt.date | None = None,
) -> JournalEntry | None:
    """Pay every balance back in cash and close the accounts (part of `members.exit_member`)."""
    accounts = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .select_related("product__gl_account", "member")
        .filter(cooperative=cooperative, member=member, status=SavingsAccount.Status.OPEN)
        .order_by("pk")
    )
    on = business_date or ledger.business_today(cooperative)
    with_balance = [a for a in accounts if a.balance > 0]
    entry = None
    if with_balance:
        per_gl: dict[int, Decimal] = defaultdict(lambda: ZERO)
        gl = {}
        for account in with_balance:
            per_gl[account.product.gl_account.pk] += account.balance
            gl[account.product.gl_account.pk] = account.product.gl_account
        total = sum(per_gl.values(), ZERO)
        lines = [ledger.Line(gl[pk], debit=value) for pk, value in sorted(per_gl.items())]
        lines.append(ledger.Line(ledger.account_by_role(cooperative, "cash"), credit=total))
        entry = ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=lines,
            memo=f"Pengembalian simpanan anggota keluar {member.number} {member.name}",
            source="savings",
            source_ref=member.number,
            idempotency_key=f"savings:{idempotency_key}",
            business_date=on,
            allow_control=True,
        )
        for account in with_balance:
            _record_movement(
                account=account,
                kind=Kind.REFUND,
                amount=-account.balance,
                entry=entry,
                actor=actor,
                note="",
                key=idempotency_key,
                channel="teller",
            )
    for account in accounts:
        account.status = SavingsAccount.Status.CLOSED
        account.closed_on = on
        account.save(update_fields=["status", "closed_on"])
    return entry


@transaction.atomic
def reverse_transaction(
    *,
    cooperative: Cooperative,
    actor: Any,
    transaction_id: int,
    reason: str,
    idempotency_key: str,
) -> list[SavingsTransaction]:
    """Undo a wrongly entered deposit, withdrawal or transfer with reversal entries."""
    original = (
        SavingsTransaction.objects.filter(cooperative=cooperative, pk=transaction_id)
        .select_related("journal_entry")
        .first()
    )
    if original is None:
        raise NotFound(_("Transaction not found."))
    if not reason.strip():
        raise ServiceError("required", _("Give the reason for the reversal."), "reason")
    legs = list(
        SavingsTransaction.objects.filter(journal_entry=original.journal_entry).order_by("pk")
    )
    if any(leg.kind in (Kind.LOAN_CREDIT, Kind.LOAN_DEBIT) for leg in legs):
        raise ServiceError(
            "loan_movement", _("This movement belongs to a loan; reverse it on the loan.")
        )
    if any(leg.kind in (Kind.REVERSAL, Kind.REFUND) for leg in legs):
        raise ServiceError("not_reversible", _("This movement cannot be reversed."))
    if SavingsTransaction.objects.filter(reverses__in=legs).exists():
        existing = list(SavingsTransaction.objects.filter(reverses__in=legs).order_by("pk"))
        if existing[0].idempotency_key == idempotency_key:
            return existing
        raise ServiceError("already_reversed", _("This movement has already been reversed."))
    locked = {
        leg.account_id: _locked_account(cooperative, leg.account_id)
        for leg in sorted(legs, key=lambda leg: leg.account_id)
    }
    for leg in legs:
        if locked[leg.account_id].balance - leg.amount < 0:
            raise ServiceError(
                "insufficient_balance",
                _("The balance is too low to reverse this movement."),
            )
    entry = ledger.reverse_entry(
        cooperative=cooperative,
        actor=actor,
        entry=original.journal_entry,
        reason=reason,
        idempotency_key=f"savings:{idempotency_key}",
        allow_control=True,
    )
    reversals = [
        _record_movement(
            account=locked[leg.account_id],
            kind=Kind.REVERSAL,
            amount=-leg.amount,
            entry=entry,
            actor=actor,
            note=reason,
            key=idempotency_key,
            channel="teller",
            reverses=leg,
        )
        for leg in legs
    ]
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.reverse",
        obj=original,
        summary=reason,
    )
    return reversals


# --- Settings pages -----------------------------------------------------------------------------


def any_pokok_paid(*, cooperative: Cooperative) -> bool:
    """Whether any member has paid simpanan pokok (after which its amount is fixed)."""
    return SavingsTransaction.objects.filter(
        cooperative=cooperative, account__product__kind=SavingsKind.POKOK
    ).exists()


def _product_amount(value: Any, field: str) -> Decimal:
    """Zero or more: form text the Indonesian way ("1.000.000"), or a Decimal/int."""
    from koperasi.domain.money import parse_rupiah_input

    try:
        if isinstance(value, str):
            return parse_rupiah_input(value, field=field, allow_zero=True)
        return parse_amount(value, field=field, allow_zero=True)
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field) from exc


def update_product(
    *,
    cooperative: Cooperative,
    actor: Any,
    product_id: int,
    name: str,
    annual_rate: Decimal | str,
    minimum_balance: Decimal | str,
    is_active: bool,
) -> SavingsProduct:
    """Rename a product, change its rate (within the cap) or minimum balance, (de)activate it.

    Pokok and wajib are the members' capital: they earn no interest (members share in the SHU
    instead) and cannot be switched off. A new rate applies from the next interest run.
    """
    from koperasi.errors import InvalidInput
    from koperasi.savings.models import LOCKED_KINDS
    from koperasi.tenancy.services import parse_percent

    with transaction.atomic():
        product = (
            SavingsProduct.objects.select_for_update()
            .filter(cooperative=cooperative, pk=product_id)
            .first()
        )
        if product is None:
            raise NotFound(_("Savings product not found."))
        errors: list[ServiceError] = []
        name = (name or "").strip()
        if not name:
            errors.append(ServiceError("required", _("This field is required."), "name"))
        elif len(name) > 100:
            errors.append(
                ServiceError("too_long", _("At most %(n)s characters.") % {"n": 100}, "name")
            )
        rate = None
        try:
            rate = parse_percent(annual_rate, field="annual_rate", places=6)
        except ServiceError as exc:
            errors.append(exc)
        capital = product.kind in LOCKED_KINDS
        if rate is not None:
            if rate < 0 or rate > cooperative.savings_rate_cap:
                errors.append(
                    ServiceError(
                        "rate_above_cap",
                        _("The rate may not exceed %(cap)s%% a year.")
                        % {"cap": cooperative.savings_rate_cap},
                        "annual_rate",
                    )
                )
            elif capital and rate != 0:
                errors.append(
                    ServiceError(
                        "capital_no_interest",
                        _(
                            "Simpanan pokok and wajib earn no interest; members share in the "
                            "SHU instead."
                        ),
                        "annual_rate",
                    )
                )
        minimum = None
        try:
            minimum = _product_amount(minimum_balance, "minimum_balance")
        except ServiceError as exc:
            errors.append(exc)
        if not isinstance(is_active, bool):
            errors.append(ServiceError("invalid_choice", _("Choose yes or no."), "is_active"))
        elif capital and not is_active:
            errors.append(
                ServiceError(
                    "product_required",
                    _("Simpanan pokok and wajib products cannot be deactivated."),
                    "is_active",
                )
            )
        if errors:
            raise InvalidInput(errors)
        new = {
            "name": name,
            "annual_rate": rate,
            "minimum_balance": minimum,
            "is_active": is_active,
        }
        changed = {
            field: [str(getattr(product, field)), str(value)]
            for field, value in new.items()
            if getattr(product, field) != value
        }
        if not changed:
            return product
        for field, value in new.items():
            setattr(product, field, value)
        product.save(update_fields=list(changed))
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="savings.product_update",
            obj=product,
            summary=f"{product.code}: {', '.join(sorted(changed))}",
            data={"changed": changed},
        )
    return product
