"""The savings reports as tables: one description of each report (title, columns, rows, total)
that the screen, the XLSX (`common.xlsx.Sheet`) and the PDF (`common.pdf.html_to_pdf`) all
render, so the three never disagree."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from koperasi.common.pdf import html_to_pdf
from koperasi.common.xlsx import Sheet
from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import format_rupiah
from koperasi.reports import savings_reports as reports
from koperasi.savings.models import SavingsKind
from koperasi.tenancy.models import Cooperative


@dataclass(frozen=True)
class Cell:
    text: str
    number: bool = False


def cell(value: Any) -> Cell:
    if isinstance(value, Decimal):
        return Cell(format_rupiah(value, with_symbol=False), True)
    if isinstance(value, bool):
        return Cell(_("yes") if value else _("no"))
    if isinstance(value, int):
        return Cell(f"{value:,}".replace(",", "."), True)
    if isinstance(value, dt.date):
        return Cell(format_date_id(value))
    return Cell("" if value is None else str(value))


@dataclass
class Table:
    title: str
    subtitle: str
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None
    # Columns that step aside on a phone (their index).
    secondary: frozenset[int] = frozenset()
    note: str = ""

    def display_headers(self) -> list[tuple[str, bool, bool]]:
        numeric = [isinstance(v, Decimal | int) for v in (self.rows[0] if self.rows else [])]
        return [
            (h, i < len(numeric) and numeric[i], i in self.secondary)
            for i, h in enumerate(self.headers)
        ]

    def display_rows(self) -> list[list[tuple[Cell, bool]]]:
        return [self._display(row) for row in self.rows]

    def display_total(self) -> list[tuple[Cell, bool]] | None:
        return self._display(self.total) if self.total else None

    def _display(self, row: list[Any]) -> list[tuple[Cell, bool]]:
        return [(cell(v), i in self.secondary) for i, v in enumerate(row)]


def xlsx_response(coop: Cooperative, table: Table, filename: str) -> HttpResponse:
    sheet = Sheet(table.title, widths={"A": 18, "B": 30, "C": 18, "D": 18, "E": 18, "F": 18})
    sheet.row(coop.name, bold=True)
    sheet.row(table.title, table.subtitle)
    if table.note:
        sheet.row(table.note)
    sheet.row()
    sheet.row(*table.headers, bold=True)
    for row in table.rows:
        sheet.row(*row)
    if table.total:
        sheet.row(*table.total, bold=True)
    return sheet.response(f"{filename}-{coop.code}.xlsx")


def pdf_response(
    request: HttpRequest, coop: Cooperative, table: Table, filename: str
) -> HttpResponse:
    context = {"coop": coop, "table": table, "printed": timezone.localtime()}
    html = render_to_string("reports/savings_pdf.html", context, request=request)
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}-{coop.code}.pdf"'
    return response


# --- The reports ------------------------------------------------------------------------------


def kind_labels() -> list[str]:
    return [str(label) for label in SavingsKind.labels]


def products_table(rows: list[reports.ProductBalance], total: Decimal, as_of: dt.date) -> Table:
    return Table(
        _("Savings balances by product"),
        _("As of %(date)s") % {"date": format_date_id(as_of)},
        [_("Code"), _("Product"), _("Kind"), _("Accounts"), _("Open accounts"), _("Balance")],
        [[r.code, r.name, r.kind_label, r.accounts, r.open_accounts, r.total] for r in rows],
        [
            "",
            _("Total"),
            "",
            sum(r.accounts for r in rows),
            sum(r.open_accounts for r in rows),
            total,
        ],
        secondary=frozenset({0, 2, 4}),
    )


def members_table(
    rows: Iterable[reports.MemberBalances],
    totals: dict[str, Decimal] | None,
    as_of: dt.date,
    note: str = "",
) -> Table:
    body = [[r.member.number, r.member.name, *r.kinds, r.total] for r in rows]
    total = None
    if totals is not None:
        kinds = [totals.get(kind, Decimal("0.00")) for kind in reports.KINDS]
        total = ["", _("All members"), *kinds, sum(kinds, Decimal("0.00"))]
    return Table(
        _("Savings balances by member"),
        _("As of %(date)s") % {"date": format_date_id(as_of)},
        [_("Member no."), _("Name"), *kind_labels(), _("Total")],
        body,
        total,
        secondary=frozenset({0, 2, 3, 5}),
        note=note,
    )


def movements_table(rows: list[reports.MovementRow], date_from: dt.date, date_to: dt.date) -> Table:
    return Table(
        _("Savings movements by month"),
        f"{format_date_id(date_from)} – {format_date_id(date_to)}",
        [_("Month"), _("Product"), _("Movement"), _("Count"), _("Total")],
        [[r.month.strftime("%m/%Y"), r.product, r.kind_label, r.count, r.total] for r in rows],
        [
            _("Total"),
            "",
            "",
            sum(r.count for r in rows),
            sum((r.total for r in rows), Decimal("0")),
        ],
        secondary=frozenset({3}),
        note=_(
            "Deposits and money in are positive, withdrawals and money out negative; the "
            "total is the net change of the balances."
        ),
    )


def arrears_table(
    rows: list[reports.ArrearsRow], summary: reports.ArrearsSummary | None, as_of: dt.date
) -> Table:
    total = None
    if summary is not None:
        members = ngettext("%(n)s member", "%(n)s members", summary.members) % {
            "n": summary.members
        }
        total = ["", f"{_('Total')}: {members}", "", summary.months, "", summary.amount]
    return Table(
        _("Simpanan wajib arrears"),
        _("As of %(date)s") % {"date": format_date_id(as_of)},
        [
            _("Member no."),
            _("Name"),
            _("Phone"),
            _("Months unpaid"),
            _("Oldest unpaid"),
            _("Amount"),
        ],
        [[r.number, r.name, r.phone, r.months, r.oldest.strftime("%m/%Y"), r.amount] for r in rows],
        total,
        secondary=frozenset({0, 2, 4}),
        note=_(
            "Active members' wajib bills (issued by the month-end close) against what they paid "
            "into simpanan wajib, paid oldest bill first; a bill paid in part counts as unpaid. "
            "Oldest unpaid first."
        ),
    )


def interest_table(
    rows: list[reports.InterestMonth], date_from: dt.date, date_to: dt.date
) -> Table:
    return Table(
        _("Savings interest and tax withheld by month"),
        f"{format_date_id(date_from)} – {format_date_id(date_to)}",
        [_("Month"), _("Gross interest"), _("Tax"), _("Net"), _("Accounts"), _("Taxed accounts")],
        [
            [r.month_end.strftime("%m/%Y"), r.gross, r.tax, r.net, r.accounts, r.taxed_accounts]
            for r in rows
        ],
        [
            _("Total"),
            sum((r.gross for r in rows), Decimal("0")),
            sum((r.tax for r in rows), Decimal("0")),
            sum((r.net for r in rows), Decimal("0")),
            sum(r.accounts for r in rows),
            sum(r.taxed_accounts for r in rows),
        ],
        secondary=frozenset({1, 5}),
        note=_(
            "Credited by the month-end close; the final tax on savings interest (PP 15/2009) is "
            "withheld at the same time. Accounts: the accounts credited with interest."
        ),
    )
