"""The savings reports' pages: each on screen (with its filters), as XLSX (`?format=xlsx`) and
as PDF (`?format=pdf`). Thin: parse the filters, call `savings_reports`, render the table."""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from koperasi.cashdesk import selectors as cash_selectors
from koperasi.common.decorators import staff_view
from koperasi.common.forms import DateRangeForm, date_field
from koperasi.domain.formatting import format_date_id
from koperasi.domain.periods import add_months, months_between
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.reports import savings_reports as reports
from koperasi.reports import savings_tables as tables
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import VIEW_LEDGER, VIEW_SAVINGS

PAGE_SIZE = 50
# A download of a list holds at most this many rows (narrow the search for the rest).
XLSX_ROWS = 50_000
PDF_ROWS = 2_000
MAX_MONTHS = 120


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)


class AsOfForm(forms.Form):
    as_of = date_field(gettext_lazy("As of"))


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _form_error(form: forms.Form) -> ServiceError:
    if form.non_field_errors():
        return ServiceError("invalid", form.non_field_errors()[0])
    name, errors = next(iter(form.errors.items()))
    return ServiceError("invalid", errors[0], name)


def _period(request: HttpRequest) -> tuple[DateRangeForm, dt.date, dt.date]:
    """The range asked for (by default the twelve months through the business date), checked:
    not after the business date, not before the cooperative's books begin, at most ten years."""
    coop = _coop(request)
    today = ledger.business_today(coop)
    start = cash_selectors.first_day(cooperative=coop)
    default_from = max(add_months(today, -11).replace(day=1), start)
    form = DateRangeForm(
        request.GET if request.GET.get("date_from") or request.GET.get("date_to") else None,
        initial={"date_from": default_from, "date_to": today},
    )
    if form.is_bound and not form.is_valid():
        raise _form_error(form)
    date_from, date_to = form.period(default_from, today)
    assert date_from is not None and date_to is not None
    cash_selectors.check_day(cooperative=coop, day=date_to, field_name="date_to")
    cash_selectors.check_day(cooperative=coop, day=date_from, field_name="date_from")
    if months_between(date_from, date_to) >= MAX_MONTHS:
        raise ServiceError(
            "period_too_long",
            _("Choose a period of at most %(n)s months.") % {"n": MAX_MONTHS},
            "date_from",
        )
    return form, date_from, date_to


def _as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date]:
    coop = _coop(request)
    form = AsOfForm(request.GET if request.GET.get("as_of") else None)
    if form.is_bound and not form.is_valid():
        raise _form_error(form)
    as_of = form.cleaned_data["as_of"] if form.is_bound else ledger.business_today(coop)
    cash_selectors.check_day(cooperative=coop, day=as_of, field_name="as_of")
    return form, as_of


def _output(
    request: HttpRequest,
    table: tables.Table,
    filename: str,
    *,
    form: forms.Form | None = None,
    page: Any = None,
    query: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    coop = _coop(request)
    wanted = request.GET.get("format")
    if wanted == "xlsx":
        return tables.xlsx_response(coop, table, filename)
    if wanted == "pdf":
        return tables.pdf_response(request, coop, table, filename)
    query = {k: v for k, v in (query or {}).items() if v}
    context = {
        "table": table,
        "form": form,
        "page": page,
        "xlsx_query": urlencode({**query, "format": "xlsx"}),
        "pdf_query": urlencode({**query, "format": "pdf"}),
        **(extra or {}),
    }
    if page is not None:
        context["next_query"] = urlencode({**query, "page": page.next_number})
        context["prev_query"] = urlencode({**query, "page": page.previous_number})
    return render(request, "reports/savings_report.html", context)


def _refused(request: HttpRequest, title: str, exc: ServiceError, form: Any) -> HttpResponse:
    table = tables.Table(title, "", [])
    context = {"table": table, "form": form, "refusal": exc.message, "refused": True}
    return render(request, "reports/savings_report.html", context, status=exc.status)


@staff_view(VIEW_SAVINGS)
@require_GET
def products(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    rows, total = reports.balances_by_product(cooperative=coop)
    table = tables.products_table(rows, total, ledger.business_today(coop))
    return _output(request, table, "simpanan-per-produk")


@staff_view(VIEW_SAVINGS)
@require_GET
def members(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data.get("q", "") if form.is_valid() else ""
    today = ledger.business_today(coop)
    totals = reports.totals_by_kind(cooperative=coop) if not query else None
    wanted = request.GET.get("format")
    if wanted in ("xlsx", "pdf"):
        limit = XLSX_ROWS if wanted == "xlsx" else PDF_ROWS
        rows = list(reports.all_member_balances(cooperative=coop, query=query, limit=limit + 1))
        note = ""
        if len(rows) > limit:
            rows = rows[:limit]
            note = _("The first %(n)s members only: narrow the search for the rest.") % {
                "n": f"{limit:,}".replace(",", ".")
            }
        table = tables.members_table(rows, totals, today, note)
        return _output(request, table, "simpanan-per-anggota")
    page = reports.balances_by_member(
        cooperative=coop, query=query, raw_page=request.GET.get("page")
    )
    table = tables.members_table(page.rows, totals, today)
    return _output(request, table, "simpanan-per-anggota", form=form, page=page, query={"q": query})


@staff_view(VIEW_SAVINGS)
@require_GET
def movements(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    try:
        form, date_from, date_to = _period(request)
    except ServiceError as exc:
        form = DateRangeForm(request.GET)
        return _refused(request, _("Savings movements by month"), exc, form)
    rows = reports.movements_by_month(cooperative=coop, date_from=date_from, date_to=date_to)
    table = tables.movements_table(rows, date_from, date_to)
    query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    return _output(request, table, "mutasi-simpanan", form=form, query=query)


@staff_view(VIEW_SAVINGS)
@require_GET
def wajib_arrears(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    try:
        form, as_of = _as_of(request)
    except ServiceError as exc:
        return _refused(request, _("Simpanan wajib arrears"), exc, AsOfForm(request.GET))
    summary = reports.wajib_arrears_summary(cooperative=coop, as_of=as_of)
    wanted = request.GET.get("format")
    if wanted in ("xlsx", "pdf"):
        limit = XLSX_ROWS if wanted == "xlsx" else PDF_ROWS
        rows = reports.wajib_arrears_rows(cooperative=coop, as_of=as_of, limit=limit)
        table = tables.arrears_table(rows, summary, as_of)
        if summary.members > limit:
            table.note += " " + _("The first %(n)s members only.") % {"n": limit}
        return _output(request, table, "tunggakan-wajib")
    page = reports.wajib_arrears(cooperative=coop, as_of=as_of, raw_page=request.GET.get("page"))
    table = tables.arrears_table(page.rows, summary, as_of)
    return _output(
        request,
        table,
        "tunggakan-wajib",
        form=form,
        page=page,
        query={"as_of": as_of.isoformat()},
    )


@staff_view(VIEW_SAVINGS)
@require_GET
def interest(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    try:
        form, date_from, date_to = _period(request)
    except ServiceError as exc:
        form = DateRangeForm(request.GET)
        return _refused(request, _("Savings interest and tax withheld by month"), exc, form)
    rows = reports.interest_by_month(cooperative=coop, date_from=date_from, date_to=date_to)
    table = tables.interest_table(rows, date_from, date_to)
    query = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    links = []
    if VIEW_LEDGER in request.permissions:  # type: ignore[attr-defined]
        links = [(r.month_end, format_date_id(r.month_end)) for r in rows if r.accounts]
    return _output(
        request, table, "bunga-pajak-simpanan", form=form, query=query, extra={"months": links}
    )
