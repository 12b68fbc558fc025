"""Many members' money into their savings at once (the SHU paid out after the RAT): one
journal entry, a movement per account, set-based.

The month-end interest's way (close_steps.credit_interest) for a payment of the cooperative's
own: the amounts go into a temporary table by COPY, one UPDATE adds them to the balances and one
INSERT writes the movements, inside `post_entry` (`before_balances`), so the entry, the
movements and the balances are one transaction and the savings control accounts keep equal to
the accounts.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from koperasi.bulk import drop_temp_table, from_sen, load_temp_table, to_sen
from koperasi.domain.money import ZERO, is_exact_to
from koperasi.errors import DOMAIN_MESSAGES, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import Cooperative

_TABLE = "savings_bulk_credit"


def credit_accounts(
    *,
    cooperative: Cooperative,
    actor: Any,
    credits: Iterable[tuple[int, Decimal]],
    from_account: Account,
    kind: str,
    memo: str,
    note: str,
    source: str,
    source_ref: str,
    idempotency_key: str,
    business_date: dt.date | None = None,
) -> JournalEntry:
    """Credit each (account id, amount > 0, exact to the sen) of `credits` (open accounts of
    this cooperative, one row each): Dr `from_account` with the total, Cr each product's savings
    account with its part, a movement of `kind` per account. Refused whole if an account is
    not open."""
    rows = []
    for pk, amount in credits:
        if not is_exact_to(amount, 2):
            raise ServiceError("too_precise", DOMAIN_MESSAGES["too_precise"])
        if amount > 0:
            rows.append((pk, int(amount.scaleb(2))))
    if not rows:
        raise ServiceError("nothing_to_credit", _("There is nothing to pay into savings."))
    on = business_date or ledger.business_today(cooperative)

    def record(entry: JournalEntry) -> None:
        """The balances and the movements, from the temporary table, with the entry."""
        credited = from_sen(f"{to_sen('balance')} + t.amount_sen")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE savings_savingsaccount SET balance = {credited} FROM {_TABLE} t"
                " WHERE savings_savingsaccount.id = t.account_id"
                " AND savings_savingsaccount.cooperative_id = %s"
                " AND savings_savingsaccount.status = %s",
                [cooperative.pk, SavingsAccount.Status.OPEN],
            )
            if cursor.rowcount != len(rows):
                raise _not_open()
            cursor.execute(
                "INSERT INTO savings_savingstransaction (cooperative_id, account_id, kind,"
                " amount, balance_after, business_date, journal_entry_id, note,"
                " idempotency_key, channel, actor_id, created_at)"
                f" SELECT %(coop)s, t.account_id, %(kind)s, {from_sen('t.amount_sen')},"
                " a.balance, %(day)s, %(entry)s, %(note)s, %(key)s, 'system', %(actor)s,"
                f" %(now)s FROM {_TABLE} t JOIN savings_savingsaccount a ON a.id = t.account_id"
                " ORDER BY t.account_id",
                {
                    "coop": cooperative.pk,
                    "kind": kind,
                    "day": on,
                    "entry": entry.pk,
                    "note": note[:255],
                    "key": idempotency_key,
                    "actor": getattr(actor, "pk", None),
                    "now": timezone.now(),
                },
            )

    load_temp_table(_TABLE, [("account_id", "BIGINT"), ("amount_sen", "BIGINT")], rows)
    try:
        by_gl = _by_product_account(cooperative, len(rows))
        accounts = Account.objects.filter(cooperative=cooperative, pk__in=by_gl).in_bulk()
        lines = [ledger.Line(from_account, debit=sum(by_gl.values(), ZERO))]
        lines += [ledger.Line(accounts[gl], credit=amount) for gl, amount in sorted(by_gl.items())]
        return ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=lines,
            memo=memo,
            source=source,
            source_ref=source_ref,
            idempotency_key=idempotency_key,
            business_date=on,
            allow_control=True,
            before_balances=record,
            replay=False,
        )
    finally:
        drop_temp_table(_TABLE)


def _not_open() -> ServiceError:
    return ServiceError(
        "account_closed", _("A savings account to be credited is not open; nothing was paid.")
    )


def _by_product_account(cooperative: Cooperative, expected: int) -> dict[int, Decimal]:
    """The credit per savings control account (the accounts' products'), checking every
    account is an open one of this cooperative."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.gl_account_id, COUNT(*), SUM(t.amount_sen)"
            f" FROM {_TABLE} t JOIN savings_savingsaccount a ON a.id = t.account_id"
            " JOIN savings_savingsproduct p ON p.id = a.product_id"
            " WHERE a.cooperative_id = %s AND a.status = %s GROUP BY p.gl_account_id",
            [cooperative.pk, SavingsAccount.Status.OPEN],
        )
        found = cursor.fetchall()
    if sum(count for _gl, count, _sen in found) != expected:
        raise _not_open()
    return {gl: Decimal(int(sen)).scaleb(-2) for gl, _count, sen in found}
