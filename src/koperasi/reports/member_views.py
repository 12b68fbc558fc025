"""A member's annual statement, as a page and a PDF: for staff under
/k/<code>/anggota/<id>/laporan-tahunan/ and for the member under /saya/laporan-tahunan/."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from koperasi.common.decorators import member_view, staff_view
from koperasi.common.pdf import pdf_response
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.reports.member_annual import annual_statement
from koperasi.reports.years import first_year, report_year
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import VIEW_SAVINGS


def _render(
    request: HttpRequest, coop: Cooperative, member: Member, *, portal: bool, pdf: bool
) -> HttpResponse:
    today = business_today(coop)
    context: dict[str, Any] = {
        "member": member,
        "portal": portal,
        "years": range(today.year, first_year(coop) - 1, -1),
        "year_text": request.GET.get("year", ""),
    }
    try:
        year = report_year(request.GET.get("year"), cooperative=coop, today=today)
    except ServiceError as exc:
        context["error"] = exc.message
        return render(request, "reports/member_annual.html", context, status=400)
    statement = annual_statement(cooperative=coop, member=member, year=year)
    context.update(
        statement=statement,
        year=year,
        year_text=str(year),
        savings_total=statement.savings_total(),
        loans_total=statement.loans_total(),
    )
    if not pdf:
        return render(request, "reports/member_annual.html", context)
    context["coop"] = coop
    filename = f"laporan-tahunan-{member.number}-{year}.pdf"
    return pdf_response(request, "reports/member_annual_pdf.html", context, filename)


def _staff(request: HttpRequest, member_id: int, pdf: bool) -> HttpResponse:
    coop: Cooperative = request.cooperative  # type: ignore[attr-defined]  # set by staff_view
    # NotFound (404) for an id of another cooperative or none at all.
    member = member_selectors.member(cooperative=coop, member_id=member_id)
    return _render(request, coop, member, portal=False, pdf=pdf)


@staff_view(VIEW_SAVINGS)
def member_annual(request: HttpRequest, member_id: int) -> HttpResponse:
    return _staff(request, member_id, pdf=False)


@staff_view(VIEW_SAVINGS)
def member_annual_pdf(request: HttpRequest, member_id: int) -> HttpResponse:
    return _staff(request, member_id, pdf=True)


def _own(request: HttpRequest, pdf: bool) -> HttpResponse:
    # The logged-in member's own statement: the URL names no member, so no other can be asked.
    member: Member = request.member  # type: ignore[attr-defined]  # set by member_view
    return _render(request, member.cooperative, member, portal=True, pdf=pdf)


@member_view
def portal_annual(request: HttpRequest) -> HttpResponse:
    return _own(request, pdf=False)


@member_view
def portal_annual_pdf(request: HttpRequest) -> HttpResponse:
    return _own(request, pdf=True)
