"""The financial statements (SAK EP) read from the books: financial position, activity (with
the members' and non-members' parts), changes in equity, cash flow (indirect method), and the
accounts behind every line. Reads only; every statement is a `Statement` of rows, so the page,
the PDF, the XLSX and the API render each the same way.

Balances come from `ledger.selectors.balances_as_of` / `period_totals` (closed months' totals
and maintained balances), so a past date costs about what today costs, and a closed period
gives the same figures every time.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import selectors as ledger
from koperasi.ledger import services as ledger_services
from koperasi.ledger.models import Account
from koperasi.reports import lines
from koperasi.reports.models import AccountLine
from koperasi.tenancy.models import Cooperative

Label = str | Promise
INCOME_EXPENSE = frozenset({Account.Type.INCOME, Account.Type.EXPENSE})


@dataclass(frozen=True)
class AccountAmounts:
    code: str
    name: str
    amounts: tuple[Decimal, ...]


@dataclass(frozen=True)
class Row:
    label: Label
    amounts: tuple[Decimal | None, ...]
    # heading (no amounts), line, subtotal, total; `code` names a statement line.
    style: str = "line"
    code: str = ""
    accounts: tuple[AccountAmounts, ...] = ()
    unmapped: bool = False


@dataclass(frozen=True)
class Statement:
    key: str
    title: Label
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    warnings: tuple[str, ...] = ()
    figures: dict[str, Any] = field(default_factory=dict)


# --- Dates ------------------------------------------------------------------------------------


def first_date(cooperative: Cooperative) -> dt.date:
    """The first day the cooperative has books for: its founding, its registration here or
    its first entry, whichever is earliest (a cooperative may bring in its history)."""
    candidates = [timezone.localdate(cooperative.created_at)]
    if cooperative.legal_entity_date:
        candidates.append(cooperative.legal_entity_date)
    first_entry = ledger.first_entry_date(cooperative=cooperative)
    if first_entry:
        candidates.append(first_entry)
    return min(candidates)


def check_date(cooperative: Cooperative, day: dt.date, field_name: str = "as_of") -> dt.date:
    """Refuse a date the books cannot speak for: after today's business date, or before the
    cooperative existed."""
    today = ledger_services.business_today(cooperative)
    if day > today:
        raise ServiceError(
            "date_in_future",
            _("%(date)s has not happened yet: choose a date up to %(today)s.")
            % {"date": format_date_id(day), "today": format_date_id(today)},
            field=field_name,
        )
    first = first_date(cooperative)
    if day < first:
        raise ServiceError(
            "before_cooperative",
            _("The cooperative has no books before %(date)s: choose a later date.")
            % {"date": format_date_id(first)},
            field=field_name,
        )
    return day


def check_period(cooperative: Cooperative, first: dt.date, last: dt.date) -> None:
    if first > last:
        raise ServiceError(
            "period_order", _("The period must start before it ends."), field="date_from"
        )
    # A period may start before the first entry (the year the cooperative was founded); it
    # must end on a day the books speak for.
    check_date(cooperative, last, "date_to")


def year_start(day: dt.date) -> dt.date:
    return day.replace(month=1, day=1)


# --- Which line each account feeds ------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    accounts: dict[int, Account]
    line_of: dict[int, str]
    unmapped: tuple[Account, ...]

    def of_line(self, code: str) -> list[Account]:
        return [self.accounts[pk] for pk, line in self.line_of.items() if line == code]


def mapping(*, cooperative: Cooperative) -> Mapping:
    """Each postable account's line: the cooperative's choice, else its code's default."""
    accounts = {
        a.pk: a
        for a in Account.objects.filter(cooperative=cooperative, is_header=False).order_by("code")
    }
    chosen = dict(
        AccountLine.objects.filter(cooperative=cooperative).values_list("account_id", "line")
    )
    line_of: dict[int, str] = {}
    unmapped: list[Account] = []
    for pk, account in accounts.items():
        code = chosen.get(pk) or lines.DEFAULT_ACCOUNTS.get(account.code, "")
        line = lines.BY_CODE.get(code)
        if line is not None and account.type in lines.SECTION_TYPES[line.section]:
            line_of[pk] = code
        else:
            unmapped.append(account)
    return Mapping(accounts, line_of, tuple(unmapped))


def _unmapped_warning(accounts: Iterable[Account]) -> tuple[str, ...]:
    names = ", ".join(f"{a.code} {a.name}" for a in accounts)
    if not names:
        return ()
    return (
        _(
            "These accounts feed no line of the statements and are shown as unmapped: %(names)s. "
            "Choose their lines on the statement lines page."
        )
        % {"names": names},
    )


# --- Balances ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Books:
    """One date's balances (debit − credit per account) and the year's income and expenses."""

    balances: dict[int, Decimal]
    year_to_date: dict[int, Decimal]


def _books(cooperative: Cooperative, day: dt.date, mapped: Mapping) -> _Books:
    today = ledger_services.business_today(cooperative)
    balances = ledger.balances_as_of(cooperative=cooperative, day=day, today=today)
    moved = ledger.period_net(cooperative=cooperative, first=year_start(day), last=day, today=today)
    # The year's result before a closing entry dated 31 December moved it into equity.
    for pk, amount in ledger.closing_net(
        cooperative=cooperative, first=year_start(day), last=day
    ).items():
        moved[pk] = moved.get(pk, ZERO) - amount
    year = {
        pk: amount
        for pk, amount in moved.items()
        if pk in mapped.accounts and mapped.accounts[pk].type in INCOME_EXPENSE
    }
    return _Books(balances, year)


def _credit_side(account: Account) -> bool:
    return account.type in (Account.Type.LIABILITY, Account.Type.EQUITY, Account.Type.INCOME)


def _shown(account: Account, debit_minus_credit: Decimal) -> Decimal:
    """An amount on the account's own side (a liability's credit balance is positive)."""
    return -debit_minus_credit if _credit_side(account) else debit_minus_credit


def _line_row(
    label: Label, code: str, accounts: list[Account], columns: list[dict[int, Decimal]]
) -> Row:
    details = tuple(
        AccountAmounts(a.code, a.name, tuple(_shown(a, col.get(a.pk, ZERO)) for col in columns))
        for a in accounts
    )
    totals = tuple(sum((d.amounts[i] for d in details), ZERO) for i in range(len(columns)))
    return Row(label, totals, code=code, accounts=details)


def _sum_rows(rows: Iterable[Row], width: int) -> tuple[Decimal, ...]:
    out = [ZERO] * width
    for row in rows:
        for i, amount in enumerate(row.amounts):
            out[i] += amount or ZERO
    return tuple(out)


# --- Financial position -----------------------------------------------------------------------


def _surplus(mapped: Mapping, books: _Books, kind: str) -> Decimal:
    """The two surplus lines of equity: the current year's result (income − expenses from
    1 January, before any closing entry), and everything else the surplus accounts and the
    income and expense accounts hold (earlier years' results, closed or not, undistributed).
    Their sum is what those accounts hold, whether or not a year has been closed."""
    surplus_accounts = {pk for pk, code in mapped.line_of.items() if lines.BY_CODE[code].surplus}
    surplus_accounts |= {pk for pk, a in mapped.accounts.items() if a.type in INCOME_EXPENSE}
    total = -sum((books.balances.get(pk, ZERO) for pk in surplus_accounts), ZERO)
    this_year = -sum(books.year_to_date.values(), ZERO)
    return this_year if kind == lines.CURRENT_SURPLUS else total - this_year


def position(
    *,
    cooperative: Cooperative,
    as_of: dt.date,
    compare_to: dt.date | None = None,
    opening: bool = False,
) -> Statement:
    """Laporan posisi keuangan as of a date, with an earlier date beside it. `opening`: the
    balances a period starts from, which may be dated before the cooperative's first day."""
    days = [as_of if opening else check_date(cooperative, as_of)]
    if compare_to is not None:
        days.append(check_date(cooperative, compare_to, "compare_to"))
    mapped = mapping(cooperative=cooperative)
    books = [_books(cooperative, day, mapped) for day in days]
    columns = [b.balances for b in books]
    width = len(days)
    rows: list[Row] = []
    section_totals: dict[str, tuple[Decimal, ...]] = {}
    for section, heading in (
        (lines.ASSETS, _("Assets")),
        (lines.LIABILITIES, _("Liabilities")),
        (lines.EQUITY, _("Equity")),
    ):
        rows.append(Row(heading, (None,) * width, style="heading"))
        body: list[Row] = []
        for line in lines.LINES:
            if line.statement != lines.POSITION or line.section != section:
                continue
            row = _line_row(line.label, line.code, mapped.of_line(line.code), columns)
            if line.surplus:
                amounts = tuple(_surplus(mapped, b, line.surplus) for b in books)
                row = replace(row, amounts=amounts)
            body.append(row)
        stray = [a for a in mapped.unmapped if a.type == _SECTION_TYPE[section]]
        if stray:
            body.append(
                replace(_line_row(_("Unmapped accounts"), "", stray, columns), unmapped=True)
            )
        rows += [row for row in body if any(row.amounts) or row.code in _ALWAYS_SHOWN]
        section_totals[section] = _sum_rows(body, width)
        rows.append(
            Row(
                _("Total %(section)s") % {"section": heading.lower()},
                section_totals[section],
                style="total",
            )
        )
    assets = section_totals[lines.ASSETS]
    claims = tuple(
        liab + eq
        for liab, eq in zip(
            section_totals[lines.LIABILITIES], section_totals[lines.EQUITY], strict=True
        )
    )
    rows.append(Row(_("Total liabilities and equity"), claims, style="total"))
    warnings = list(_unmapped_warning(a for a in mapped.unmapped if a.type not in INCOME_EXPENSE))
    balanced = assets == claims
    if not balanced:
        warnings.append(_("Total assets differ from total liabilities and equity."))
    return Statement(
        "position",
        _("Statement of financial position"),
        tuple(format_date_id(day) for day in days),
        tuple(rows),
        tuple(warnings),
        {"balanced": balanced, "total_assets": assets, "dates": days},
    )


_SECTION_TYPE = {
    lines.ASSETS: Account.Type.ASSET,
    lines.LIABILITIES: Account.Type.LIABILITY,
    lines.EQUITY: Account.Type.EQUITY,
}
# Lines shown even at zero: the ones a reader looks for.
_ALWAYS_SHOWN = frozenset({"cash", "member_loans", "current_surplus"})
