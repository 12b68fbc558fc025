"""The portfolio reports under /k/<code>/laporan/portofolio/: each on screen, as XLSX and as
PDF, from the same selector call. A refused filter (a malformed date, a date in the future or
before the cooperative existed, another cooperative's officer) re-renders the page with its
message and status 400, for the downloads too."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.common.paging import peek_page
from koperasi.common.pdf import pdf_response
from koperasi.common.xlsx import Sheet
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.reports import portfolio, portfolio_exports, portfolio_lists
from koperasi.reports.portfolio_forms import ArrearsForm, AsOfForm, PeriodForm
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.models import Cooperative, Role
from koperasi.tenancy.permissions import VIEW_LOANS

PAGE_SIZE = 50
# The downloads of the arrears list take its first rows, most overdue first.
EXPORT_LIMIT = {"xlsx": 20_000, "pdf": 1_000}
LENDING_ROLES = (Role.ADMIN, Role.MANAGER, Role.LOAN_OFFICER)


class Refused(Exception):
    def __init__(self, context: dict[str, Any]):
        self.context = context


@dataclass(frozen=True)
class Report:
    name: str  # the URL name of the page; downloads add _xlsx and _pdf
    title: Any
    template: str
    build: Callable[[HttpRequest, Cooperative, str], dict[str, Any]]
    sheet: Callable[[Cooperative, dict[str, Any]], Sheet]
    stem: str  # the downloads' file name before "-<code>-<date>"


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _valid(form: forms.Form) -> dict[str, Any]:
    if form.is_bound and not form.is_valid():
        raise Refused({"form": form})
    return form.cleaned_data if form.is_bound else {}


def _run(form: forms.Form, call: Callable[[], Any]) -> Any:
    """The selector's answer, or its refusal shown beside the field it names."""
    try:
        return call()
    except ServiceError as exc:
        add_service_error(form, exc)
        raise Refused({"form": form}) from exc


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# ---------------------------------------------------------------- the reports' contexts


def _quality(request: HttpRequest, coop: Cooperative, fmt: str) -> dict[str, Any]:
    form = AsOfForm(request.GET or None)
    as_of = _valid(form).get("as_of")
    report = _run(form, lambda: portfolio.quality_report(cooperative=coop, as_of=as_of))
    return {"form": form, "report": report, "as_of": report.as_of}


def _officers(coop: Cooperative) -> list[tuple[int, str]]:
    return [
        (m.user_id, str(m.user.get_full_name() or m.user.get_username()))
        for m in tenancy.staff_members(cooperative=coop)
        if m.role in LENDING_ROLES
    ]


def _arrears(request: HttpRequest, coop: Cooperative, fmt: str) -> dict[str, Any]:
    officers = _officers(coop)
    form = ArrearsForm(request.GET or None, officers=officers)
    data = _valid(form)
    where = portfolio_lists.ArrearsFilter(
        officer_id=data.get("officer"),
        collectibility=data.get("klass"),
        min_days=data.get("dpd") or 1,
    )
    today = business_today(coop)
    loans = portfolio_lists.arrears_loans(cooperative=coop, where=where)
    if fmt == "html":
        page = peek_page(loans, request.GET.get("page"), PAGE_SIZE)
        found, truncated = page.rows, False
    else:
        page = None
        found = list(loans[: EXPORT_LIMIT[fmt] + 1])
        truncated = len(found) > EXPORT_LIMIT[fmt]
        found = found[: EXPORT_LIMIT[fmt]]
    rows = []
    for start in range(0, len(found), 1000):  # bounded IN lists for a long download
        chunk = found[start : start + 1000]
        rows += portfolio_lists.arrears_rows(cooperative=coop, loans=chunk, as_of=today)
    officer = dict(officers).get(where.officer_id or 0, "")
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "truncated": truncated,
        "limit": EXPORT_LIMIT.get(fmt),
        "as_of": today,
        "officer": officer,
        "where": where,
    }


def _period(request: HttpRequest, coop: Cooperative) -> tuple[PeriodForm, Any, Any]:
    today = business_today(coop)
    default_from = add_months(today.replace(day=1), -11)
    form = PeriodForm(request.GET or None)
    data = _valid(form)
    date_from = data.get("date_from") or max(default_from, portfolio.records_start(coop))
    date_to = data.get("date_to") or today
    _run(form, lambda: portfolio.check_period(coop, date_from, date_to))
    return form, date_from, date_to


def _flows(request: HttpRequest, coop: Cooperative, fmt: str) -> dict[str, Any]:
    form, date_from, date_to = _period(request, coop)
    months = portfolio_lists.flows(cooperative=coop, date_from=date_from, date_to=date_to)
    totals = {
        field: sum(getattr(m, field) for m in months)
        for field in (
            "disbursed_count",
            "disbursed",
            "repayments",
            "principal",
            "interest",
            "penalty",
            "repaid",
        )
    }
    return {
        "form": form,
        "months": months,
        "totals": totals,
        "date_from": date_from,
        "date_to": date_to,
        "as_of": date_to,
    }


def _officer_report(request: HttpRequest, coop: Cooperative, fmt: str) -> dict[str, Any]:
    form, date_from, date_to = _period(request, coop)
    lines = portfolio_lists.officer_performance(
        cooperative=coop, date_from=date_from, date_to=date_to
    )
    return {
        "form": form,
        "lines": lines,
        "date_from": date_from,
        "date_to": date_to,
        "as_of": date_to,
    }


def _maturity(request: HttpRequest, coop: Cooperative, fmt: str) -> dict[str, Any]:
    today = business_today(coop)
    buckets = portfolio_lists.maturity_gaps(cooperative=coop, as_of=today)
    whole = portfolio_lists.total(b.principal for b in buckets)
    running = []
    cumulative = ZERO
    for bucket in buckets:
        cumulative += bucket.principal
        running.append(
            {
                "bucket": bucket,
                "label": portfolio_exports.bucket_label(bucket),
                "share": portfolio.ratio(bucket.principal, whole),
                "cumulative": cumulative,
                "cumulative_share": portfolio.ratio(cumulative, whole),
            }
        )
    return {"rows": running, "total": whole, "as_of": today}


REPORTS = {
    "quality": Report(
        "portfolio_quality",
        gettext_lazy("Loan quality and allowance"),
        "reports/portfolio_quality",
        _quality,
        portfolio_exports.quality_sheet,
        "kualitas-pinjaman",
    ),
    "arrears": Report(
        "portfolio_arrears",
        gettext_lazy("Arrears and collection"),
        "reports/portfolio_arrears",
        _arrears,
        portfolio_exports.arrears_sheet,
        "tunggakan",
    ),
    "flows": Report(
        "portfolio_flows",
        gettext_lazy("Disbursements and repayments"),
        "reports/portfolio_flows",
        _flows,
        portfolio_exports.flows_sheet,
        "pencairan-angsuran",
    ),
    "officers": Report(
        "portfolio_officers",
        gettext_lazy("Loan officer performance"),
        "reports/portfolio_officers",
        _officer_report,
        portfolio_exports.officers_sheet,
        "kinerja-petugas",
    ),
    "maturity": Report(
        "portfolio_maturity",
        gettext_lazy("Maturity and repricing gaps"),
        "reports/portfolio_maturity",
        _maturity,
        portfolio_exports.maturity_sheet,
        "jatuh-tempo",
    ),
}


def _serve(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    report = REPORTS[key]
    coop = _coop(request)
    query = _query(request)
    suffix = f"?{query}" if query else ""
    base = {
        "title": report.title,
        "query": query,
        "xlsx_url": reverse(f"reports:{report.name}_xlsx", kwargs={"code": coop.code}) + suffix,
        "pdf_url": reverse(f"reports:{report.name}_pdf", kwargs={"code": coop.code}) + suffix,
    }
    try:
        context = {**base, **report.build(request, coop, fmt)}
    except Refused as refused:
        context = {**base, **refused.context, "refused": True}
        return render(request, f"{report.template}.html", context, status=400)
    if fmt == "xlsx":
        stamp = context["as_of"].isoformat()
        return report.sheet(coop, context).response(f"{report.stem}-{coop.code}-{stamp}.xlsx")
    if fmt == "pdf":
        stamp = context["as_of"].isoformat()
        return pdf_response(
            request,
            f"{report.template}_pdf.html",
            {**context, "signatures": True},
            f"{report.stem}-{coop.code}-{stamp}.pdf",
        )
    return render(request, f"{report.template}.html", context)


def _views(key: str) -> tuple[Callable[..., HttpResponse], ...]:
    def page(request: HttpRequest) -> HttpResponse:
        return _serve(request, key, "html")

    def xlsx(request: HttpRequest) -> HttpResponse:
        return _serve(request, key, "xlsx")

    def pdf(request: HttpRequest) -> HttpResponse:
        return _serve(request, key, "pdf")

    return tuple(require_GET(staff_view(VIEW_LOANS)(view)) for view in (page, xlsx, pdf))


quality_views = _views("quality")
arrears_views = _views("arrears")
flows_views = _views("flows")
officers_views = _views("officers")
maturity_views = _views("maturity")
