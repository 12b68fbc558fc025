"""The health assessment's pages: the assessment with its working (screen, PDF, XLSX), the
management and identity questionnaire, and the weights."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from koperasi.common.decorators import staff_view
from koperasi.common.forms import date_field
from koperasi.common.pdf import pdf_response
from koperasi.common.xlsx import Sheet
from koperasi.domain import health as rules
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.reports import health, services
from koperasi.reports.health import HealthReport
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import MANAGE_SETTINGS, VIEW_LEDGER

L = gettext_lazy
QUESTION_TEXT: dict[str, Any] = {
    "board_meets": L("The board meets at least monthly and keeps minutes."),
    "plan_approved": L("The work plan and budget (RK/RAPB) were approved by the RAT."),
    "supervisors_report": L("The supervisors examined the books and reported in writing."),
    "sop_written": L("Written operating procedures cover savings, loans and cash."),
    "loan_policy": L("A written loan policy sets limits, collateral and approval levels."),
    "staff_trained": L("Staff were trained in the last twelve months."),
    "capital_plan": L("A plan to strengthen own capital is followed."),
    "collection_policy": L("Arrears are followed up under a written collection policy."),
    "liquidity_plan": L("Cash needs are planned and a liquidity reserve is kept."),
    "books_audited": L("The last year's accounts were audited or examined externally."),
    "rat_on_time": L("The RAT approving last year's accounts was held on time."),
    "member_education": L("Members received cooperative education this year."),
    "member_services": L("Services promote the members' own businesses."),
}


class AsOfForm(forms.Form):
    as_of = date_field(L("As of"))


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]


@staff_view(VIEW_LEDGER)
def assessment(request: HttpRequest) -> HttpResponse:
    return _assessment(request, "html")


@staff_view(VIEW_LEDGER)
def assessment_pdf(request: HttpRequest) -> HttpResponse:
    return _assessment(request, "pdf")


@staff_view(VIEW_LEDGER)
def assessment_xlsx(request: HttpRequest) -> HttpResponse:
    return _assessment(request, "xlsx")


def _assessment(request: HttpRequest, fmt: str) -> HttpResponse:
    coop = _coop(request)
    form = AsOfForm(request.GET or None)
    report: HealthReport | None = None
    status = 200
    if not form.is_bound or form.is_valid():
        as_of = (form.cleaned_data.get("as_of") if form.is_bound else None) or (
            ledger.business_today(coop)
        )
        try:
            report = health.assessment(cooperative=coop, as_of=as_of)
        except ServiceError as error:
            form.add_error("as_of", str(error.message))
    if report is None:
        status = 400
    elif fmt == "xlsx":
        return _xlsx(report, coop).response(f"kesehatan-{coop.code}-{report.as_of}.xlsx")
    context = {"form": form, "report": report, "query": request.GET.urlencode()}
    if fmt == "pdf" and report is not None:
        return pdf_response(
            request,
            "reports/health_pdf.html",
            {**context, "coop": coop, "title": _("Health assessment"), "signatures": True},
            f"kesehatan-{coop.code}.pdf",
        )
    return render(request, "reports/health.html", context, status=status)


def _xlsx(report: HealthReport, coop: Cooperative) -> Sheet:
    sheet = Sheet(_("Health assessment"), widths={"A": 28, "B": 40, "C": 18, "D": 18})
    sheet.row(coop.name, bold=True)
    sheet.row(_("Health assessment"), report.as_of, bold=True)
    sheet.row(
        _("Aspect"),
        _("Component"),
        _("Numerator"),
        _("Denominator"),
        _("Ratio (%)"),
        _("Score"),
        _("Weight"),
        _("Weighted score"),
        _("Source"),
        bold=True,
    )
    for c in report.components:
        sheet.row(
            str(c.aspect),
            str(c.name),
            c.numerator,
            c.denominator,
            c.ratio,
            c.score,
            c.weight,
            c.weighted,
            c.source or _("unverified"),
        )
    sheet.row(_("Total score"), "", "", "", "", report.total, bold=True)
    sheet.row(_("Category"), str(report.category_label), bold=True)
    sheet.row()
    sheet.row(
        "PEARLS",
        _("Ratio"),
        _("Numerator"),
        _("Denominator"),
        _("Ratio (%)"),
        _("Goal"),
        _("Met"),
        bold=True,
    )
    for p in report.pearls:
        met = "" if p.meets is None else (_("yes") if p.meets else _("no"))
        sheet.row(p.code, str(p.name), p.numerator, p.denominator, p.ratio, p.goal, met)
    for note in report.notes:
        sheet.row(note)
    return sheet


# --- The questionnaire and the weights --------------------------------------------------------


def _year(request: HttpRequest, coop: Cooperative) -> int:
    today = ledger.business_today(coop)
    raw = request.GET.get("year", "")
    if not (raw.isascii() and raw.isdigit()):
        return today.year
    year = int(raw)
    return year if 1900 <= year <= today.year else today.year


@staff_view(VIEW_LEDGER)
def questionnaire(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    may_answer = MANAGE_SETTINGS in request.permissions  # type: ignore[attr-defined]
    year = _year(request, coop)
    status = 200
    error = ""
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied
        try:
            year = int(request.POST.get("year", ""))
            given = {q: request.POST.get(q) == "yes" for qs in rules.QUESTIONS.values() for q in qs}
            services.save_health_answers(
                cooperative=coop, actor=request.user, year=year, answers=given
            )
        except (ValueError, ServiceError) as exc:
            error = (
                str(exc.message)
                if isinstance(exc, ServiceError)
                else _("Enter a year such as 2026.")
            )
            status = 400
        else:
            messages.success(
                request, _("The questionnaire for %(year)s was saved.") % {"year": year}
            )
            return redirect(f"{request.path}?year={year}")
    saved = health.answers(cooperative=coop, year=year) or {}
    groups = [
        (health.COMPONENT_TEXT[code][0], [(q, QUESTION_TEXT[q], saved.get(q, False)) for q in qs])
        for code, qs in rules.QUESTIONS.items()
    ]
    context = {
        "year": year,
        "groups": groups,
        "may_answer": may_answer,
        "error": error,
        "answered": bool(saved),
    }
    return render(request, "reports/health_questionnaire.html", context, status=status)


@staff_view(VIEW_LEDGER)
def health_weights(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    may_change = MANAGE_SETTINGS in request.permissions  # type: ignore[attr-defined]
    status, error = 200, ""
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        try:
            for component in rules.COMPONENTS:
                raw = request.POST.get(component.code, "").strip().replace(",", ".")
                try:
                    weight = Decimal(raw)
                except InvalidOperation as exc:
                    raise ServiceError(
                        "invalid_weight", _("A weight is a number from 0 to 100."), "weight"
                    ) from exc
                services.set_health_weight(
                    cooperative=coop, actor=request.user, component=component.code, weight=weight
                )
        except ServiceError as exc:
            error, status = str(exc.message), 400
        else:
            messages.success(request, _("The weights were saved."))
            return redirect("reports:health_weights", code=coop.code)
    own = health.weights(cooperative=coop)
    rows = [
        (c, health.COMPONENT_TEXT[c.code][0], health.ASPECT_TEXT[c.aspect], own[c.code])
        for c in rules.COMPONENTS
    ]
    context = {"rows": rows, "may_change": may_change, "error": error}
    return render(request, "reports/health_weights.html", context, status=status)
