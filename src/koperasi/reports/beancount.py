"""The cooperative's books in Beancount syntax: an independent check of our ledger.

`beancount_lines` yields the whole file line by line: the options, an `open` for every account,
every journal entry up to a date as a transaction (debit positive, credit negative, exact to
the sen, in IDR), and a `balance` assertion for every account at each month end and at the
last date. Beancount checks a `balance` at the START of its date, so the assertion for the
end of a day D is dated D + 1.

The postings are streamed in entry order (`.iterator()`), never held in memory; only the
movement of each account per month is kept, which is small (accounts × months). Beancount
sorts the directives itself, so the assertions are written after the transactions.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Min

from koperasi.domain.money import ZERO
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.tenancy.models import Cooperative

CURRENCY = "IDR"
ROOTS = {
    Account.Type.ASSET: "Assets",
    Account.Type.LIABILITY: "Liabilities",
    Account.Type.EQUITY: "Equity",
    Account.Type.INCOME: "Income",
    Account.Type.EXPENSE: "Expenses",
}
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")
# Beancount's own rule for a component below the root (beancount.core.account).
VALID_COMPONENT = re.compile(r"[A-Z0-9][A-Za-z0-9-]*")
CHUNK = 5000


def _component(code: str, name: str) -> str:
    """'1209', 'Penyisihan Kerugian Pinjaman (CKPN)' → '1209-Penyisihan-Kerugian-Pinjaman-CKPN'."""
    ascii_text = (
        unicodedata.normalize("NFKD", f"{code} {name}").encode("ascii", "ignore").decode("ascii")
    )
    text = _NOT_NAME.sub("-", ascii_text).strip("-") or "Akun"
    return text[0].upper() + text[1:]


def beancount_names(accounts: Iterable[Account]) -> dict[int, str]:
    """Every account's Beancount name (account id → `Root:Code-Name`), unique and valid.

    The root is the account's type; the component is its code and name without accents, each
    run of other characters a dash. Two accounts that would share a name (codes that differ
    only in punctuation) are told apart by their id.
    """
    names: dict[int, str] = {}
    taken: set[str] = set()
    for account in sorted(accounts, key=lambda a: (a.code, a.pk)):
        name = f"{ROOTS[Account.Type(account.type)]}:{_component(account.code, account.name)}"
        if name in taken:
            name = f"{name}-{account.pk}"
        taken.add(name)
        names[account.pk] = name
    return names


def quoted(text: str) -> str:
    """A Beancount string: backslashes and quotes escaped, on one line."""
    one_line = " ".join(str(text).split())
    return '"' + one_line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def amount(value: Decimal) -> str:
    return f"{value:.2f} {CURRENCY}"


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass
class ExportSummary:
    entries: int = 0
    postings: int = 0
    assertions: int = 0
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    # (account id, first day of the month) → Σ debit − Σ credit in that month.
    movements: dict[tuple[int, dt.date], Decimal] = field(default_factory=dict)


def beancount_lines(
    *, cooperative: Cooperative, to: dt.date | None = None, summary: ExportSummary | None = None
) -> Iterator[str]:
    """The Beancount file of `cooperative`'s books up to `to` (every entry when None), a line
    at a time (each ends with a newline). `summary`, when given, is filled in as it goes."""
    summary = summary if summary is not None else ExportSummary()
    entries = JournalEntry.objects.filter(cooperative=cooperative)
    if to is not None:
        entries = entries.filter(business_date__lte=to)
    span = entries.aggregate(first=Min("business_date"), last=Max("business_date"))
    first: dt.date | None = span["first"]
    end: dt.date = to or span["last"] or dt.date.today()
    opened = first or end
    accounts = list(Account.objects.filter(cooperative=cooperative).order_by("code"))
    names = beancount_names(accounts)

    yield f"option {quoted('title')} {quoted(f'{cooperative.name} ({cooperative.code})')}\n"
    yield f"option {quoted('operating_currency')} {quoted(CURRENCY)}\n"
    yield f"; {cooperative.name}: general ledger through {end.isoformat()}\n\n"
    for account in accounts:
        yield f"{opened.isoformat()} open {names[account.pk]} {CURRENCY}\n"
        yield f"  code: {quoted(account.code)}\n  name: {quoted(account.name)}\n"
    yield "\n"
    yield from _transactions(cooperative, to, names, summary)
    yield from _assertions(accounts, names, opened, end, summary)


def _transactions(
    cooperative: Cooperative,
    to: dt.date | None,
    names: dict[int, str],
    summary: ExportSummary,
) -> Iterator[str]:
    postings = Posting.objects.filter(cooperative=cooperative)
    if to is not None:
        postings = postings.filter(business_date__lte=to)
    rows = (
        postings.order_by("entry_id", "id")
        .values_list(
            "entry_id",
            "entry__business_date",
            "entry__memo",
            "entry__source",
            "entry__source_ref",
            "account_id",
            "debit",
            "credit",
        )
        .iterator(chunk_size=CHUNK)
    )
    movements = summary.movements
    current: int | None = None
    for entry_id, day, memo, source, source_ref, account_id, debit, credit in rows:
        if entry_id != current:
            if current is not None:
                yield "\n"
            current = entry_id
            summary.entries += 1
            if summary.first_date is None or day < summary.first_date:
                summary.first_date = day
            if summary.last_date is None or day > summary.last_date:
                summary.last_date = day
            yield f"{day.isoformat()} * {quoted(memo)}\n"
            yield f"  number: {quoted(f'JU-{entry_id:07d}')}\n  source: {quoted(source)}\n"
            if source_ref:
                yield f"  source_ref: {quoted(source_ref)}\n"
        change = debit - credit
        key = (account_id, day.replace(day=1))
        movements[key] = movements.get(key, ZERO) + change
        summary.postings += 1
        yield f"  {names[account_id]}  {amount(change)}\n"
    if current is not None:
        yield "\n"


def _assertions(
    accounts: list[Account],
    names: dict[int, str],
    opened: dt.date,
    end: dt.date,
    summary: ExportSummary,
) -> Iterator[str]:
    """Each account's balance at every month end from the first month to `end`, and at `end`:
    dated the day after, since Beancount checks a balance at the start of its date."""
    checkpoints: list[dt.date] = []
    month = opened.replace(day=1)
    while _next_month(month) <= end:
        checkpoints.append(_next_month(month))
        month = _next_month(month)
    if end + dt.timedelta(days=1) not in checkpoints:
        checkpoints.append(end + dt.timedelta(days=1))
    for account in accounts:
        balance = ZERO
        month = opened.replace(day=1)
        for checkpoint in checkpoints:
            while month < checkpoint:
                balance += summary.movements.get((account.pk, month), ZERO)
                month = _next_month(month)
            # The last checkpoint may fall inside a month: its movements are all before it
            # (nothing is exported after `end`).
            # "~ 0.00": exact. Beancount's default tolerance for a 2-decimal figure is 0.01,
            # which would let a one-sen difference pass.
            yield (
                f"{checkpoint.isoformat()} balance {names[account.pk]}  {balance:.2f} ~ 0.00 "
                f"{CURRENCY}\n"
            )
            summary.assertions += 1
    yield "\n"
