"""The one write path into the books.

Every journal entry in the platform is created by `post_entry`: balanced or refused, dated in an
open period, idempotent per cooperative, and the accounts' maintained balances updated in the same
transaction. Entries are never edited; `reverse_entry` corrects one with its mirror image.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi import sqlrows
from koperasi.audit import services as audit
from koperasi.domain.money import ZERO, format_rupiah, is_exact_to
from koperasi.domain.periods import month_bounds
from koperasi.errors import KeyReused, NotFound, ServiceError
from koperasi.ledger.chart import KSP_CHART
from koperasi.ledger.models import Account, BalanceSlot, ClosedPeriod, JournalEntry, Posting

# The request keys the savings and loan sub-ledgers share, for their callers too.
from koperasi.ledger.request_keys import REQUEST_ENTRY_KEY as REQUEST_ENTRY_KEY
from koperasi.ledger.request_keys import WHERE_KEY_FREE as WHERE_KEY_FREE
from koperasi.ledger.request_keys import key_free_params as key_free_params
from koperasi.ledger.request_keys import other_request_keys
from koperasi.ledger.request_keys import refuse_used_key as refuse_used_key
from koperasi.ledger.request_keys import request_entry_key as request_entry_key
from koperasi.tenancy.models import Cooperative

# SQLite keeps decimals as doubles, exact to 15 significant digits: 13 rupiah digits + 2 sen.
SQLITE_BALANCE_LIMIT = Decimal("10000000000000")


@dataclass(frozen=True)
class Line:
    """One side of an entry: an account (object) with a debit or a credit amount."""

    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def local_today(cooperative: Cooperative) -> dt.date:
    """Today in the cooperative's own time zone (a Flores teller's day ends at WITA midnight)."""
    import zoneinfo

    return timezone.now().astimezone(zoneinfo.ZoneInfo(cooperative.time_zone)).date()


def business_today(cooperative: Cooperative) -> dt.date:
    """The date new work is posted on: today, or the day after the last closed day when the
    day-end close has already run for today (work after the close belongs to the next day).

    Inside a transaction the closed day is read afresh under a shared lock, held to the commit:
    a day-end close, which takes that lock exclusively to mark the day closed, waits for this
    work and then includes it, or this work sees the day closed and is dated the next day.
    Either way nothing is lost.
    """
    closed = (
        _days_closed_through(cooperative)
        if connection.in_atomic_block
        else cooperative.days_closed_through
    )
    return business_day(local_today(cooperative), closed)


def business_day(today: dt.date, days_closed_through: dt.date | None) -> dt.date:
    """Today, or the day after the last closed day when the close has already run for today."""
    if days_closed_through is not None and days_closed_through >= today:
        return days_closed_through + dt.timedelta(days=1)
    return today


# Advisory lock class of "the closed dates of a cooperative's books" (the object id is the
# cooperative): work that posts holds it shared until its commit, a close takes it exclusively
# to move the dates. Unlike a row lock on the cooperative, a shared advisory lock writes nothing,
# so a thousand tellers holding it cost nothing.
BOOKS_LOCK = 0x626B


def _closed_through(cooperative: Cooperative) -> tuple[dt.date | None, dt.date | None]:
    """(books closed through, days closed through), read afresh. On PostgreSQL under the shared
    books lock (see `lock_closed_dates`), held to the commit; SQLite write transactions are
    serialised anyway (BEGIN IMMEDIATE)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Its own statement: the read below must see a close that committed while we waited.
            cursor.execute(
                "SELECT pg_advisory_xact_lock_shared(%s, %s)", [BOOKS_LOCK, cooperative.pk]
            )
        cursor.execute(
            "SELECT books_closed_through, days_closed_through FROM tenancy_cooperative"
            " WHERE id = %s",
            [cooperative.pk],
        )
        books, days = cursor.fetchone()
    # SQLite hands dates back as text through a raw cursor.
    books, days = (
        dt.date.fromisoformat(value) if isinstance(value, str) else value for value in (books, days)
    )
    cooperative.books_closed_through, cooperative.days_closed_through = books, days
    return books, days


def lock_closed_dates(cooperative: Cooperative) -> None:
    """For a close about to move the closed dates: wait for the work in flight that read them
    (it is then inside the closed day or month), and make later work read the new dates."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BOOKS_LOCK, cooperative.pk])


def _days_closed_through(cooperative: Cooperative) -> dt.date | None:
    return _closed_through(cooperative)[1]


def install_chart(*, cooperative: Cooperative) -> None:
    """Copy the KSP chart template into a new cooperative."""
    by_code: dict[str, Account] = {}
    for code, name, type_, parent, role, control in KSP_CHART:
        by_code[code] = Account.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            type=type_,
            parent=by_code.get(parent),
            is_header=len(code) <= 2,
            is_control=control,
            system_role=role,
        )


def remember_account(cooperative: Cooperative, role: str, account: Account) -> None:
    """Keep an account with a system role that a caller read along with other rows."""
    cooperative.__dict__.setdefault("_accounts_by_role", {})[role] = account


def account_by_role(cooperative: Cooperative, role: str) -> Account:
    """The account with this system role, remembered on the cooperative object (one request):
    the first miss reads every account with a role at once (a repayment asks for several)."""
    remembered: dict[str, Account] = cooperative.__dict__.setdefault("_accounts_by_role", {})
    if role not in remembered:
        for account in Account.objects.filter(cooperative=cooperative).exclude(system_role=""):
            remembered.setdefault(account.system_role, account)
    if role in remembered:
        return remembered[role]
    raise ServiceError(
        "account_missing",
        _("The chart of accounts has no account for '%(role)s'.") % {"role": role},
    )


def _check_open_period(
    cooperative: Cooperative, business_date: dt.date, *, closing: bool = False
) -> None:
    # Read afresh: a month or a day may have been closed since the cooperative was loaded.
    books, days = _closed_through(cooperative)
    if books is not None and business_date <= books:
        raise ServiceError(
            "period_closed",
            _("The books are closed through %(date)s; choose a later date.")
            % {"date": books.strftime("%d/%m/%Y")},
            field="business_date",
        )
    # The close itself posts into the day it is closing.
    if not closing and days is not None and business_date <= days:
        raise ServiceError(
            "day_closed",
            _("The day-end close has run through %(date)s; choose a later date.")
            % {"date": days.strftime("%d/%m/%Y")},
            field="business_date",
        )


def check_lines(cooperative: Cooperative, lines: Sequence[Line], allow_control: bool) -> None:
    """Refuse lines that `post_entry` would refuse (for a sub-ledger that checks first)."""
    if len(lines) < 2:
        raise ServiceError("entry_too_short", _("An entry needs at least two lines."))
    total_debit = total_credit = ZERO
    for line in lines:
        account = line.account
        if account.cooperative_id != cooperative.pk:
            raise NotFound(_("Account not found."), field="account")
        if account.is_header or not account.is_active:
            raise ServiceError(
                "account_not_postable",
                _("Account %(code)s cannot take postings.") % {"code": account.code},
                field="account",
            )
        if account.is_control and not allow_control:
            raise ServiceError(
                "control_account",
                _("Account %(code)s is kept by its sub-ledger; post through savings or loans.")
                % {"code": account.code},
                field="account",
            )
        for amount in (line.debit, line.credit):
            if not isinstance(amount, Decimal) or amount < 0 or not is_exact_to(amount):
                raise ServiceError("invalid_amount", _("Line amounts must be exact and positive."))
        if (line.debit > 0) == (line.credit > 0):
            raise ServiceError(
                "one_side", _("Each line has either a debit or a credit amount, not both.")
            )
        total_debit += line.debit
        total_credit += line.credit
    if total_debit != total_credit:
        raise ServiceError(
            "unbalanced",
            _("Debits (%(d)s) and credits (%(c)s) must be equal.")
            % {"d": format_rupiah(total_debit), "c": format_rupiah(total_credit)},
        )


def post_entry(
    *,
    cooperative: Cooperative,
    actor: Any,
    lines: Sequence[Line],
    memo: str,
    source: str,
    idempotency_key: str,
    business_date: dt.date | None = None,
    source_ref: str = "",
    allow_control: bool = False,
    reversal_of: JournalEntry | None = None,
    before_balances: Callable[[JournalEntry], None] | None = None,
    closing: bool = False,
    replay: bool = True,
) -> JournalEntry:
    """Post a balanced entry, or return the entry already posted under this key.

    A sub-ledger that answers a retry from its own rows (checked under its lock before it
    posts) passes `replay=False`: an entry already under the key is then another request's,
    refused with KeyReused (409), never returned as if it were this one. A key another
    sub-ledger posted under (`other_request_keys`) is refused either way.

    Only the day-end and month-end close pass `closing=True`: they post into the day they are
    closing, which other work may no longer do.

    Everything is checked before the first write, so a refusal leaves the caller's transaction
    usable. `before_balances` lets a sub-ledger write its own rows for the new entry before the
    general-ledger balances are updated: those rows (cash, control accounts) are shared by every
    teller, so they are touched last and stay locked only until the commit.
    """
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    existing = _entry_with_key(cooperative, idempotency_key)
    if existing is not None:
        if not replay or existing.idempotency_key != idempotency_key:
            raise KeyReused()
        return existing
    business_date = business_date or business_today(cooperative)
    check_lines(cooperative, lines, allow_control)
    _check_open_period(cooperative, business_date, closing=closing)
    if connection.vendor == "sqlite":
        _check_sqlite_range(lines)
    # The busiest statements of the platform: written as SQL (no savepoints, no ORM query
    # building), see docs/performance.md.
    with transaction.atomic(savepoint=False):
        entry = _insert_entry(
            cooperative=cooperative,
            business_date=business_date,
            source=source,
            source_ref=source_ref,
            memo=memo[:255],
            idempotency_key=idempotency_key,
            actor=actor if getattr(actor, "pk", None) else None,
            reversal_of=reversal_of,
        )
        if entry is None:
            # A concurrent request with the same key won the race: answer with its entry.
            if not replay:
                raise KeyReused()
            return JournalEntry.objects.get(
                cooperative=cooperative, idempotency_key=idempotency_key
            )
        _insert_postings(entry, lines)
        if before_balances is not None:
            before_balances(entry)
        _apply_to_balances(lines)
    return entry


def _entry_with_key(cooperative: Cooperative, key: str) -> JournalEntry | None:
    """The entry under `key`, or under the same request key in another sub-ledger."""
    others = other_request_keys(key)
    found = JournalEntry.objects.filter(
        cooperative=cooperative,
        **({"idempotency_key__in": [key, *others]} if others else {"idempotency_key": key}),
    ).values_list("pk", flat=True)[:1]
    return JournalEntry.objects.get(pk=found[0]) if found else None


def _insert_entry(
    *, cooperative: Cooperative, actor: Any, reversal_of: JournalEntry | None, **fields: Any
) -> JournalEntry | None:
    """INSERT … ON CONFLICT DO NOTHING: None when the key was taken meanwhile (no savepoint)."""
    ops = connection.ops
    created_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {JournalEntry._meta.db_table} (cooperative_id, business_date, source,"
            " source_ref, memo, idempotency_key, actor_id, reversal_of_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (cooperative_id, idempotency_key) DO NOTHING RETURNING id",
            [
                cooperative.pk,
                ops.adapt_datefield_value(fields["business_date"]),
                fields["source"],
                fields["source_ref"],
                fields["memo"],
                fields["idempotency_key"],
                actor.pk if actor is not None else None,
                reversal_of.pk if reversal_of is not None else None,
                ops.adapt_datetimefield_value(created_at),
            ],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    entry = JournalEntry(
        pk=row[0],
        cooperative=cooperative,
        actor=actor,
        reversal_of=reversal_of,
        created_at=created_at,
        **fields,
    )
    return sqlrows.saved(entry)


def _insert_postings(entry: JournalEntry, lines: Sequence[Line]) -> None:
    ops = connection.ops
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(lines))
    params: list[Any] = []
    for line in lines:
        params += [
            entry.pk,
            entry.cooperative_id,
            line.account.pk,
            ops.adapt_datefield_value(entry.business_date),
            ops.adapt_decimalfield_value(line.debit, 20, 2),
            ops.adapt_decimalfield_value(line.credit, 20, 2),
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Posting._meta.db_table} (entry_id, cooperative_id, account_id,"
            f" business_date, debit, credit) VALUES {values}",
            params,
        )


# Balance changes of the entries posted inside `balances_at_end`, applied when it ends:
# (cooperative id, account id) → the signed change.
_pending_balances: ContextVar[dict[tuple[int, int], Decimal] | None] = ContextVar(
    "ledger_pending_balances", default=None
)


@contextmanager
def balances_at_end() -> Iterator[None]:
    """Within one transaction that posts several entries, apply all their balance changes
    together when the block ends, in account order.

    Each entry alone locks its accounts in key order; two transactions each posting two entries
    (a penalty, then a repayment) would lock them in an order no one chose and could deadlock.
    Use it inside `transaction.atomic()`; nested blocks leave the work to the outermost.
    """
    if _pending_balances.get() is not None:
        yield
        return
    pending: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    token = _pending_balances.set(pending)
    try:
        yield
    finally:
        _pending_balances.reset(token)
    _apply_deltas(pending)


def _line_deltas(lines: Sequence[Line]) -> dict[tuple[int, int], Decimal]:
    deltas: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        deltas[(line.account.cooperative_id, line.account.pk)] += line.debit - line.credit
    return deltas


def _apply_to_balances(lines: Sequence[Line]) -> None:
    deltas = _line_deltas(lines)
    pending = _pending_balances.get()
    if pending is not None:
        for key, delta in deltas.items():
            pending[key] += delta
        return
    _apply_deltas(deltas)


# PostgreSQL: add to this session's slot of each account, creating it on first use. The rows
# go in account order, so two transactions sharing a slot lock them in the same order.
SLOT_UPSERT = (
    f"INSERT INTO {BalanceSlot._meta.db_table} (cooperative_id, account_id, slot, amount)"
    f" SELECT c, a, mod(pg_backend_pid(), {BalanceSlot.SLOTS}), d"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS t(c, a, d) ORDER BY a"
    " ON CONFLICT (account_id, slot) DO UPDATE"
    f" SET amount = {BalanceSlot._meta.db_table}.amount + EXCLUDED.amount"
)


def _apply_deltas(deltas: dict[tuple[int, int], Decimal]) -> None:
    """Add the changes to the accounts' maintained balances (their slots, see `BalanceSlot`).

    SQLite would add `amount + x` in floating point, so there slot 0 is read under the write
    lock (SQLite serialises writers) and the sum is done in Decimal.
    """
    changed = sorted((key for key, delta in deltas.items() if delta), key=lambda k: k[1])
    if not changed:
        return
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                SLOT_UPSERT,
                [[c for c, _a in changed], [a for _c, a in changed], [deltas[k] for k in changed]],
            )
        return
    held = dict(
        BalanceSlot.objects.filter(account_id__in=[a for _c, a in changed], slot=0).values_list(
            "account_id", "amount"
        )
    )
    BalanceSlot.objects.bulk_create(
        [
            BalanceSlot(
                cooperative_id=coop,
                account_id=pk,
                slot=0,
                amount=held.get(pk, ZERO) + deltas[(coop, pk)],
            )
            for coop, pk in changed
        ],
        update_conflicts=True,
        unique_fields=["account", "slot"],
        update_fields=["amount"],
    )


def _check_sqlite_range(lines: Sequence[Line]) -> None:
    """Refuse, before any write, a balance beyond what SQLite keeps exactly."""
    deltas = _line_deltas(lines)
    held = dict(
        BalanceSlot.objects.filter(account_id__in=[a for _c, a in deltas]).values_list(
            "account_id", "amount"
        )
    )
    if any(
        abs(held.get(pk, ZERO) + delta) >= SQLITE_BALANCE_LIMIT
        for (_c, pk), delta in deltas.items()
    ):
        raise ServiceError(
            "too_large_for_sqlite",
            _("Balances of Rp 10 trillion or more need the PostgreSQL database."),
        )


@transaction.atomic
def reverse_entry(
    *,
    cooperative: Cooperative,
    actor: Any,
    entry: JournalEntry,
    reason: str,
    idempotency_key: str,
    business_date: dt.date | None = None,
    allow_control: bool = False,
    replay: bool = True,
) -> JournalEntry:
    """Correct an entry with its mirror image; the original stays as it was (`replay` as for
    `post_entry`)."""
    if entry.cooperative_id != cooperative.pk:
        raise NotFound(_("Journal entry not found."))
    if entry.reversal_of_id is not None:
        raise ServiceError("is_reversal", _("A reversal cannot itself be reversed."))
    already = JournalEntry.objects.filter(reversal_of=entry).first()
    if already is not None:
        if already.idempotency_key != idempotency_key:
            raise ServiceError("already_reversed", _("This entry has already been reversed."))
        if not replay:
            raise KeyReused()
        return already
    lines = [
        Line(account=p.account, debit=p.credit, credit=p.debit)
        for p in entry.postings.select_related("account")
    ]
    reversal = post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=f"Pembalikan {entry.number}: {reason}",
        source="reversal",
        source_ref=str(entry.pk),
        idempotency_key=idempotency_key,
        business_date=business_date,
        allow_control=allow_control,
        reversal_of=entry,
        replay=replay,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="ledger.reverse",
        obj=reversal,
        summary=f"{reversal.number} reverses {entry.number}: {reason}",
        data={"reversal": reversal.number, "entry": entry.number, "reason": reason.strip()},
    )
    return reversal


def post_manual_entry(
    *,
    cooperative: Cooperative,
    actor: Any,
    lines: Sequence[tuple[str, Decimal, Decimal]],
    memo: str,
    idempotency_key: str,
    business_date: dt.date | None = None,
) -> JournalEntry:
    """An accountant's general-journal entry; lines are (account code, debit, credit)."""
    codes = {code for code, _d, _c in lines}
    accounts = {a.code: a for a in Account.objects.filter(cooperative=cooperative, code__in=codes)}
    missing = codes - accounts.keys()
    if missing:
        raise NotFound(
            _("Unknown account code: %(codes)s") % {"codes": ", ".join(sorted(missing))},
            field="account",
        )
    if not memo.strip():
        raise ServiceError("required", _("A description is required."), field="memo")
    with transaction.atomic():
        entry = post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=[Line(accounts[code], debit, credit) for code, debit, credit in lines],
            memo=memo,
            source="manual",
            idempotency_key=idempotency_key,
            business_date=business_date,
        )
        audit.record(
            cooperative=cooperative, actor=actor, action="ledger.post", obj=entry, summary=memo
        )
    return entry


@transaction.atomic
def close_month(
    *, cooperative: Cooperative, actor: Any, year: int, month: int, by_close: bool = False
) -> ClosedPeriod:
    """Lock a month: later postings dated in it (or before it) are refused.

    A cooperative that runs the day-end locks its months through the month-end close (which
    credits savings interest and bills wajib first); locking one here would skip those.
    """
    lock_closed_dates(cooperative)
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    if coop.days_closed_through is not None and not by_close:
        raise ServiceError(
            "use_month_end",
            _(
                "This cooperative closes its months with the month-end close (savings interest, "
                "tax, wajib bills): use the Closing page."
            ),
        )
    first_day, last_day = month_bounds(year, month)
    if coop.books_closed_through and last_day <= coop.books_closed_through:
        raise ServiceError("already_closed", _("This month is already closed."))
    if last_day >= business_today(coop):
        raise ServiceError(
            "month_not_over", _("A month can be closed only after its last day has passed.")
        )
    if coop.books_closed_through and first_day - dt.timedelta(days=1) != coop.books_closed_through:
        raise ServiceError("close_in_order", _("Close the earlier months first."))
    period = ClosedPeriod.objects.create(cooperative=coop, year=year, month=month, closed_by=actor)
    coop.books_closed_through = last_day
    coop.save(update_fields=["books_closed_through"])
    cooperative.books_closed_through = last_day
    audit.record(
        cooperative=coop,
        actor=actor,
        action="ledger.close_month",
        obj=period,
        summary=f"{month:02d}/{year}",
    )
    return period


def create_account(
    *,
    cooperative: Cooperative,
    actor: Any,
    code: str,
    name: str,
    parent_code: str,
) -> Account:
    """Add an account under a header of the cooperative's chart."""
    code = code.strip()
    if not code.isdigit():
        raise ServiceError("invalid_code", _("An account code contains digits only."), "code")
    if not name.strip():
        raise ServiceError("required", _("This field is required."), "name")
    parent = Account.objects.filter(cooperative=cooperative, code=parent_code).first()
    if parent is None:
        raise NotFound(_("Parent account not found."), field="parent")
    if Account.objects.filter(cooperative=cooperative, code=code).exists():
        raise ServiceError("duplicate_code", _("This account code is already used."), "code")
    with transaction.atomic():
        account = Account.objects.create(
            cooperative=cooperative, code=code, name=name.strip(), type=parent.type, parent=parent
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="ledger.account_create",
            obj=account,
            summary=f"{code} {name}",
        )
    return account


def update_account(
    *, cooperative: Cooperative, actor: Any, code: str, name: str, is_active: bool
) -> Account:
    """Rename an account, or (de)activate it. An inactive account takes no postings, so only an
    empty, ordinary account may be switched off: headers, control accounts, accounts the
    services post to by role, and accounts holding a balance stay active."""
    with transaction.atomic():
        account = (
            Account.objects.select_for_update().filter(cooperative=cooperative, code=code).first()
        )
        if account is None:
            raise NotFound(_("Account not found."))
        name = (name or "").strip()
        if not name:
            raise ServiceError("required", _("This field is required."), "name")
        if len(name) > 150:
            raise ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150}, "name")
        if not isinstance(is_active, bool):
            raise ServiceError("invalid_choice", _("Choose yes or no."), "is_active")
        if account.is_active and not is_active:
            _check_can_deactivate(account)
        changed = {
            field: [getattr(account, field), value]
            for field, value in (("name", name), ("is_active", is_active))
            if getattr(account, field) != value
        }
        if not changed:
            return account
        account.name, account.is_active = name, is_active
        account.save(update_fields=list(changed))
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="ledger.account_update",
            obj=account,
            summary=f"{account.code} {account.name}",
            data={"changed": changed},
        )
    return account


def _check_can_deactivate(account: Account) -> None:
    if account.is_header:
        raise ServiceError(
            "header_account",
            _("A header account groups others and cannot be deactivated."),
            "is_active",
        )
    if account.is_control:
        raise ServiceError(
            "control_account",
            _("A control account is kept by its sub-ledger and cannot be deactivated."),
            "is_active",
        )
    if account.system_role:
        raise ServiceError(
            "system_account",
            _("The system posts to this account automatically; it cannot be deactivated."),
            "is_active",
        )
    if account.balance != 0:
        raise ServiceError(
            "nonzero_balance",
            _("This account has a balance; move the balance to another account first."),
            "is_active",
        )
