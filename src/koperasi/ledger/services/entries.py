"""The one write path into the books.

Every journal entry in the platform is created by `post_entry`: balanced or refused, dated in an
open period, idempotent per cooperative, and the accounts' maintained balances updated in the same
transaction. Entries are never edited; `reverse_entry` corrects one with its mirror image.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi import sqlrows
from koperasi.audit import services as audit
from koperasi.errors import KeyReused, NotFound, ServiceError
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.ledger.request_keys import entry_under_request_key
from koperasi.ledger.services.balances import apply_to_balances, check_sqlite_range
from koperasi.ledger.services.lines import Line, check_lines
from koperasi.ledger.services.periods import (
    add_to_month_totals,
    business_today,
    check_open_period,
)
from koperasi.tenancy.models import Cooperative


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
    year_close: bool = False,
) -> JournalEntry:
    """Post a balanced entry, or return the entry already posted under this key.

    A sub-ledger that answers a retry from its own rows (checked under its lock before it
    posts) passes `replay=False`: an entry already under the key is then another request's,
    refused with KeyReused (409), never returned as if it were this one. A key another
    sub-ledger posted under (`other_request_keys`) is refused either way.

    Only the day-end and month-end close pass `closing=True`: they post into the day they are
    closing, which other work may no longer do. Only the year-end close passes `year_close=True`:
    its closing entry goes into the closed 31 December, whose kept month totals it adds to.

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
    check_open_period(cooperative, business_date, closing=closing, year_close=year_close)
    if connection.vendor == "sqlite":
        check_sqlite_range(lines)
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
        apply_to_balances(lines)
        if year_close:
            add_to_month_totals(cooperative, business_date, lines)
    return entry


def _entry_with_key(cooperative: Cooperative, key: str) -> JournalEntry | None:
    """The entry under `key`, or under the same request key in another sub-ledger."""
    found = entry_under_request_key(cooperative, key)
    return JournalEntry.objects.get(pk=found) if found is not None else None


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
