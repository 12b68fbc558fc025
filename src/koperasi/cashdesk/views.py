"""The cash desk's pages: my cash today (the teller's report and count), the office's cash
report, a teller's report, a count with its approval, the count sheet PDF and the day book.

Views parse the request, call one selector or service and render; the rules live in services.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.cashdesk import selectors, services
from koperasi.cashdesk.forms import ApproveForm, CountForm, DayBookForm, DayForm, RejectForm
from koperasi.cashdesk.models import CashCount
from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.common.pdf import html_to_pdf
from koperasi.common.xlsx import Sheet
from koperasi.domain.cash import DENOMINATIONS
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import (
    APPROVE_CASH_COUNT,
    TRANSACT_SAVINGS,
    VIEW_LEDGER,
    VIEW_SAVINGS,
)


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _may(request: HttpRequest, permission: str) -> bool:
    return permission in request.permissions  # type: ignore[attr-defined]


def _day(request: HttpRequest, form: DayForm) -> dt.date:
    """The day asked for (the business date by default); ServiceError for a bad one."""
    coop = _coop(request)
    if form.is_bound and not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise ServiceError("invalid", errors[0], name)
    day = (form.cleaned_data.get("tanggal") if form.is_bound else None) or ledger.business_today(
        coop
    )
    selectors.check_day(cooperative=coop, day=day)
    if not form.is_bound or not form.cleaned_data.get("tanggal"):
        form.initial["tanggal"] = day  # the picker shows the day shown
    return day


def _refused(
    request: HttpRequest, template: str, exc: ServiceError, **context: Any
) -> HttpResponse:
    return render(request, template, {"refusal": exc.message, **context}, status=exc.status)


# --- My cash today ---------------------------------------------------------------------------


@staff_view(TRANSACT_SAVINGS)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET or None)
    try:
        day = _day(request, form)
    except ServiceError as exc:
        return _refused(request, "cashdesk/mine.html", exc, day_form=form)
    return _mine_page(request, form, day)


def _mine_page(
    request: HttpRequest,
    day_form: DayForm,
    day: dt.date,
    count_form: CountForm | None = None,
    status: int = 200,
) -> HttpResponse:
    coop = _coop(request)
    report = selectors.teller_day(cooperative=coop, teller=request.user, day=day)
    can_count = report.count is None and selectors.day_is_open(cooperative=coop, day=day)
    if can_count and count_form is None:
        count_form = CountForm(initial={"teller": request.user.pk, "business_date": day})
    context = {
        "day_form": day_form,
        "day": day,
        "report": report,
        "count_form": count_form if can_count else None,
    }
    return render(request, "cashdesk/mine.html", context, status=status)


@staff_view(TRANSACT_SAVINGS)
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = CountForm(request.POST)
    if not form.is_valid():
        day = form.cleaned_data.get("business_date") or ledger.business_today(coop)
        try:
            selectors.check_day(cooperative=coop, day=day)
        except ServiceError:
            day = ledger.business_today(coop)
        return _mine_page(request, DayForm(), day, form, status=400)
    data = dict(form.cleaned_data)
    try:
        count = services.submit_count(
            cooperative=coop,
            actor=request.user,
            teller_id=data["teller"],
            business_date=data["business_date"],
            counted=data["counted"],
            pieces=form.pieces(),
            note=data["note"],
            idempotency_key=str(data["idempotency_key"]),
        )
    except ServiceError as exc:
        # Refusals about the hidden fields (the day, the teller, the pieces) go above the form.
        shown = exc.field in ("counted", "note") or (exc.field or "").startswith("pieces_")
        form.add_error(exc.field if shown else None, str(exc.message))
        try:
            selectors.check_day(cooperative=coop, day=data["business_date"])
            day = data["business_date"]
        except (ServiceError, KeyError):
            day = ledger.business_today(coop)
        return _mine_page(request, DayForm(), day, form, status=exc.status)
    messages.success(request, _("Cash count %(number)s submitted.") % {"number": count.number})
    return redirect("cashdesk:count", coop.code, count.pk)


# --- The office and a teller -----------------------------------------------------------------


@staff_view(VIEW_LEDGER)
@require_GET
def office(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = DayForm(request.GET or None)
    try:
        day = _day(request, form)
    except ServiceError as exc:
        return _refused(request, "cashdesk/office.html", exc, day_form=form)
    report = selectors.office_day(cooperative=coop, day=day)
    if request.GET.get("format") == "xlsx":
        return _office_xlsx(coop, report)
    return render(request, "cashdesk/office.html", {"day_form": form, "day": day, "report": report})


def _office_xlsx(coop: Cooperative, report: selectors.OfficeDay) -> HttpResponse:
    sheet = Sheet(_("Cash report"), widths={"A": 28, "B": 16, "C": 16, "D": 16, "E": 16})
    sheet.row(coop.name)
    sheet.row(_("Daily cash report"), report.day)
    sheet.row()
    heads = (_("Teller"), _("Opening cash"), _("Receipts"), _("Payments"), _("Closing cash"))
    sheet.row(*heads, _("Counted"), _("Difference"), _("Count"), bold=True)
    for row in [*report.rows, report.total]:
        count = row.count
        sheet.row(
            row.name,
            row.opening,
            row.cash_in,
            row.cash_out,
            row.closing,
            count.counted if count else "",
            count.difference if count else "",
            count.get_status_display() if count else "",
            bold=row is report.total,
        )
    return sheet.response(f"kas-{coop.code}-{report.day.isoformat()}.xlsx")


@staff_view(VIEW_LEDGER)
@require_GET
def teller(request: HttpRequest, user_id: int) -> HttpResponse:
    coop = _coop(request)
    user = selectors.staff_user(cooperative=coop, user_id=user_id)
    form = DayForm(request.GET or None)
    try:
        day = _day(request, form)
    except ServiceError as exc:
        return _refused(request, "cashdesk/teller.html", exc, day_form=form, teller=user)
    report = selectors.teller_day(cooperative=coop, teller=user, day=day)
    context = {"day_form": form, "day": day, "report": report, "teller": user}
    return render(request, "cashdesk/teller.html", context)


# --- A count ---------------------------------------------------------------------------------


def _count_for(request: HttpRequest, count_id: int) -> CashCount:
    """The count, if the user may read it: their own, or anyone's with the books' read right."""
    count = selectors.count(cooperative=_coop(request), count_id=count_id)
    if count.teller_id != request.user.pk and not _may(request, VIEW_LEDGER):
        raise Http404
    return count


def _count_page(
    request: HttpRequest,
    count: CashCount,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
    status: int = 200,
    refusal: Any = None,
) -> HttpResponse:
    decidable = (
        count.status == CashCount.Status.SUBMITTED
        and count.teller_id != request.user.pk
        and _may(request, APPROVE_CASH_COUNT)
    )
    context = {
        "count": count,
        "pieces": _pieces(count),
        "approve_form": (approve_form or ApproveForm()) if decidable else None,
        "reject_form": (reject_form or RejectForm()) if decidable else None,
        "own": count.teller_id == request.user.pk,
        "refusal": refusal,
    }
    return render(request, "cashdesk/count.html", context, status=status)


def _pieces(count: CashCount) -> list[tuple[int, int, int]]:
    """(face value, pieces, value × pieces) of every denomination counted."""
    return [
        (value, count.pieces[str(value)], value * count.pieces[str(value)])
        for value in DENOMINATIONS
        if count.pieces.get(str(value))
    ]


@staff_view(VIEW_SAVINGS)
@require_GET
def count_detail(request: HttpRequest, count_id: int) -> HttpResponse:
    return _count_page(request, _count_for(request, count_id))


@staff_view(VIEW_SAVINGS)
@require_GET
def count_pdf(request: HttpRequest, count_id: int) -> HttpResponse:
    count = _count_for(request, count_id)
    context = {"coop": _coop(request), "count": count, "pieces": _pieces(count)}
    pdf = html_to_pdf(render_to_string("cashdesk/count_pdf.html", context, request=request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="hitung-kas-{count.number}.pdf"'
    return response


@staff_view(APPROVE_CASH_COUNT)
@require_POST
def approve(request: HttpRequest, count_id: int) -> HttpResponse:
    coop = _coop(request)
    count = selectors.count(cooperative=coop, count_id=count_id)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        return _count_page(request, count, approve_form=form, status=400)
    try:
        count = services.approve_count(
            cooperative=coop,
            actor=request.user,
            count_id=count.pk,
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except ServiceError as exc:
        return _count_page(request, count, status=exc.status, refusal=exc.message)
    messages.success(request, _("Cash count %(number)s approved.") % {"number": count.number})
    return redirect("cashdesk:count", coop.code, count.pk)


@staff_view(APPROVE_CASH_COUNT)
@require_POST
def reject(request: HttpRequest, count_id: int) -> HttpResponse:
    coop = _coop(request)
    count = selectors.count(cooperative=coop, count_id=count_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        return _count_page(request, count, reject_form=form, status=400)
    try:
        count = services.reject_count(
            cooperative=coop,
            actor=request.user,
            count_id=count.pk,
            reason=form.cleaned_data["reason"],
            idempotency_key=str(form.cleaned_data["idempotency_key"]),
        )
    except ServiceError as exc:
        if exc.field == "reason":
            add_service_error(form, exc)
            return _count_page(request, count, reject_form=form, status=exc.status)
        return _count_page(request, count, status=exc.status, refusal=exc.message)
    messages.success(request, _("Cash count %(number)s rejected.") % {"number": count.number})
    return redirect("cashdesk:count", coop.code, count.pk)


# --- Day book --------------------------------------------------------------------------------


@staff_view(VIEW_LEDGER)
@require_GET
def day_book(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    tellers = selectors.cashier_choices(cooperative=coop)
    form = DayBookForm(request.GET or None, tellers=tellers)
    try:
        day = _day(request, form)
    except ServiceError as exc:
        return _refused(request, "cashdesk/day_book.html", exc, day_form=form)
    teller_id = form.cleaned_data.get("teller") if form.is_bound else None
    book = selectors.day_book(
        cooperative=coop, day=day, teller_id=teller_id, raw_page=request.GET.get("page")
    )
    base = {"tanggal": day.isoformat(), **({"teller": teller_id} if teller_id else {})}
    context = {
        "day_form": form,
        "day": day,
        "book": book,
        "next_query": urlencode({**base, "page": book.page.next_number}),
        "prev_query": urlencode({**base, "page": book.page.previous_number}),
        "office_url": reverse("cashdesk:office", args=[coop.code]) + "?" + urlencode(base),
    }
    return render(request, "cashdesk/day_book.html", context)
