"""The reports under /k/<code>/laporan/: the index (every report the role may open, from the
section menu's table) and the ministry's yearly data set (ODS)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from koperasi.common.csvfile import CsvFile
from koperasi.common.decorators import staff_view
from koperasi.common.xlsx import Sheet
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.reports.ods import ods_data, ods_rows
from koperasi.reports.years import first_year, report_year
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import VIEW_LEDGER, VIEW_LOANS


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


@staff_view(VIEW_LOANS)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reports/index.html")


def _year(request: HttpRequest) -> int:
    coop = _coop(request)
    return report_year(request.GET.get("year"), cooperative=coop, today=business_today(coop))


@staff_view(VIEW_LEDGER)
def ods(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    today = business_today(coop)
    context = {"years": range(today.year, first_year(coop) - 1, -1), "year_text": ""}
    try:
        year = _year(request)
    except ServiceError as exc:
        context.update(error=exc.message, year_text=request.GET.get("year", ""))
        return render(request, "reports/ods.html", context, status=400)
    data = ods_data(cooperative=coop, year=year, today=today)
    context.update(data=data, rows=ods_rows(data), year=year, year_text=str(year))
    return render(request, "reports/ods.html", context)


def _download_rows(request: HttpRequest) -> tuple[int, list[tuple[str, str, object]]]:
    coop = _coop(request)
    year = _year(request)
    data = ods_data(cooperative=coop, year=year, today=business_today(coop))
    return year, [(row.section, row.label, row.value) for row in ods_rows(data)]


def _refused(exc: ServiceError) -> HttpResponse:
    return HttpResponse(str(exc.message), status=exc.status, content_type="text/plain")


@staff_view(VIEW_LEDGER)
def ods_xlsx(request: HttpRequest) -> HttpResponse:
    try:
        year, rows = _download_rows(request)
    except ServiceError as exc:
        return _refused(exc)
    sheet = Sheet(f"ODS {year}", widths={"A": 24, "B": 44, "C": 40})
    sheet.row(_coop(request).name, bold=True)
    sheet.row(_("Ministry data set (ODS)"), year)
    sheet.row()
    sheet.row(_("Section"), _("Item"), _("Value"), bold=True)
    for section, label, value in rows:
        sheet.row(section, label, value)
    return sheet.response(f"ods-{_coop(request).code}-{year}.xlsx")


@staff_view(VIEW_LEDGER)
def ods_csv(request: HttpRequest) -> HttpResponse:
    try:
        year, rows = _download_rows(request)
    except ServiceError as exc:
        return _refused(exc)
    out = CsvFile()
    out.row(_("Section"), _("Item"), _("Value"))
    for section, label, value in rows:
        out.row(section, label, value)
    return out.response(f"ods-{_coop(request).code}-{year}.csv")
