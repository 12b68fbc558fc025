"""The financial statements' pages: on screen with filters, as PDF with the letterhead and
signatures, and as XLSX with real numbers; and the page that maps accounts to lines."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.pdf import pdf_response
from koperasi.common.xlsx import Sheet
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.reports import flows, lines, services
from koperasi.reports.forms import PeriodForm, PositionForm
from koperasi.reports.statements import Statement, first_date, mapping, position
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import MANAGE_LEDGER, VIEW_LEDGER

# URL slug and file name of each statement.
SLUGS = {
    "position": "posisi-keuangan",
    "activity": "hasil-usaha",
    "equity": "perubahan-ekuitas",
    "cash_flow": "arus-kas",
    "notes": "catatan",
}
TITLES = {
    "position": gettext_lazy("Statement of financial position"),
    "activity": gettext_lazy("Statement of activities (surplus)"),
    "equity": gettext_lazy("Statement of changes in equity"),
    "cash_flow": gettext_lazy("Statement of cash flows"),
    "notes": gettext_lazy("Notes: the accounts behind each line"),
}


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]


def _on_or_after_start(coop: Cooperative, day: dt.date | None) -> dt.date | None:
    """A comparison date the cooperative has books for, else none."""
    return day if day is not None and day >= first_date(coop) else None


def build(kind: str, coop: Cooperative, data: Any) -> tuple[Any, list[Statement]]:
    """The form and the statements it asks for; raises ServiceError on a date the books
    cannot speak for (the form's own errors are on the form)."""
    today = ledger.business_today(coop)
    if kind in ("position", "notes"):
        form: Any = PositionForm(data or None)
        if form.is_bound and not form.is_valid():
            return form, []
        as_of, compare = form.dates(today)
        compare = _on_or_after_start(coop, compare)
        statement = position(cooperative=coop, as_of=as_of, compare_to=compare)
        if kind == "position":
            return form, [statement]
        year = (as_of.replace(month=1, day=1), as_of)
        activity = flows.activity(cooperative=coop, period=year)
        return form, [statement, activity]
    form = PeriodForm(data or None)
    if form.is_bound and not form.is_valid():
        return form, []
    period = form.period(today)
    if kind == "activity":
        compare = form.comparison(today)
        if compare and _on_or_after_start(coop, compare[1]) is None:
            compare = None
        return form, [flows.activity(cooperative=coop, period=period, compare=compare)]
    if kind == "equity":
        return form, [flows.equity_changes(cooperative=coop, period=period)]
    return form, [flows.cash_flow(cooperative=coop, period=period)]


def _render(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    coop = _coop(request)
    try:
        form, statements = build(kind, coop, request.GET)
    except ServiceError as error:
        form = (PositionForm if kind in ("position", "notes") else PeriodForm)(request.GET)
        form.is_valid()
        form.add_error(error.field if error.field in form.fields else None, str(error.message))
        statements = []
    if not statements:
        context = {"form": form, "kind": kind, "statements": [], "title": TITLES[kind]}
        return render(request, "reports/statement.html", context, status=400)
    title = TITLES[kind]
    slug = SLUGS[kind]
    if fmt == "xlsx":
        return _xlsx(statements, title, coop).response(f"{slug}-{coop.code}.xlsx")
    context = {
        "form": form,
        "kind": kind,
        "statements": statements,
        "title": title,
        "details": kind == "notes",
        "query": request.GET.urlencode(),
    }
    if fmt == "pdf":
        return pdf_response(
            request,
            "reports/statement_pdf.html",
            {**context, "coop": coop, "signatures": True},
            f"{slug}-{coop.code}.pdf",
        )
    return render(request, "reports/statement.html", context)


def _xlsx(statements: list[Statement], title: Any, coop: Cooperative) -> Sheet:
    sheet = Sheet(str(title), widths={"A": 12, "B": 48, "C": 20, "D": 20, "E": 20, "F": 20})
    sheet.row(coop.name, bold=True)
    sheet.row(str(title), bold=True)
    for statement in statements:
        sheet.row()
        sheet.row(str(statement.title), bold=True)
        sheet.row(_("Code"), _("Line"), *statement.columns, bold=True)
        for row in statement.rows:
            amounts = [a for a in row.amounts] if row.style != "heading" else []
            sheet.row("", str(row.label), *amounts, bold=row.style != "line")
            for account in row.accounts:
                sheet.row(account.code, account.name, *account.amounts)
        for warning in statement.warnings:
            sheet.row("", warning)
    return sheet


def view(kind: str, fmt: str) -> Callable[..., HttpResponse]:
    @staff_view(VIEW_LEDGER)
    def view(request: HttpRequest) -> HttpResponse:
        return _render(request, kind, fmt)

    view.__name__ = f"{kind}_{fmt}"
    return view


# --- Which line each account feeds -----------------------------------------------------------


@staff_view(VIEW_LEDGER)
def account_lines(request: HttpRequest) -> HttpResponse:
    return _account_lines_page(request)


def _account_lines_page(request: HttpRequest, error: str = "", status: int = 200) -> HttpResponse:
    coop = _coop(request)
    mapped = mapping(cooperative=coop)
    rows = []
    for account in mapped.accounts.values():
        current = mapped.line_of.get(account.pk, "")
        default = lines.DEFAULT_ACCOUNTS.get(account.code, "")
        rows.append(
            {
                "account": account,
                "line": lines.BY_CODE[current].label if current else None,
                "is_default": current == default,
                "choices": [(line.code, line.label) for line in lines.lines_for(account.type)],
                "current": current,
            }
        )
    may_change = MANAGE_LEDGER in request.permissions  # type: ignore[attr-defined]
    context = {"rows": rows, "may_change": may_change, "unmapped": mapped.unmapped, "error": error}
    return render(request, "reports/account_lines.html", context, status=status)


@require_POST
@staff_view(MANAGE_LEDGER)
def set_account_line(request: HttpRequest, account_code: str) -> HttpResponse:
    coop = _coop(request)
    try:
        services.set_account_line(
            cooperative=coop,
            actor=request.user,
            account_code=account_code,
            line=request.POST.get("line", ""),
        )
    except ServiceError as error:
        return _account_lines_page(request, str(error.message), error.status)
    messages.success(
        request, _("The statement line of account %(code)s was saved.") % {"code": account_code}
    )
    return redirect("reports:account_lines", code=coop.code)
