"""The close pages under /k/<code>/tutup-buku/: start a day-end or month-end close, follow a
run live, the close history, and the month's final-tax withholding list (HTML and XLSX).

Views parse the form, call a service or selector and render; the close services decide what
may run. A started close runs in the background (`tasks.run_close`), queued only once the run
is committed.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from koperasi.closing import selectors, services, tasks
from koperasi.closing.models import CloseRun
from koperasi.common.decorators import staff_view
from koperasi.common.forms import IsoDateInput, add_service_error
from koperasi.common.paging import peek_page
from koperasi.common.xlsx import Sheet
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import RUN_CLOSE, VIEW_LEDGER

HISTORY_PAGE_SIZE = 50
RECENT_RUNS = 10
MONTHS_OFFERED = 24


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _may(request: HttpRequest, permission: str) -> bool:
    return permission in request.permissions  # type: ignore[attr-defined]


# --- Forms (shape only; the close services decide) ---------------------------------------------


class DayCloseForm(forms.Form):
    to = forms.DateField(
        label=gettext_lazy("Close days through"),
        widget=IsoDateInput(),
    )


def _month_value(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class MonthCloseForm(forms.Form):
    # A free value behind a select: a crafted month reaches the service, which refuses it
    # with its own message (already closed, not in order, days still open).
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7)

    def __init__(self, *args: Any, months: Sequence[dt.date] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(_month_value(m), m.strftime("%m/%Y")) for m in months]
        self.fields["month"].widget = forms.Select(choices=choices)

    def clean_month(self) -> tuple[int, int]:
        text = (self.cleaned_data.get("month") or "").strip()
        try:
            year, month = (int(part) for part in text.split("-"))
            dt.date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(_("Choose a month.")) from None
        return year, month


def _months_offered(coop: Cooperative) -> tuple[list[dt.date], dt.date]:
    """The months a close may be asked for (after the last closed one, through this month),
    and the one to preselect: the next month to close."""
    current = ledger.local_today(coop).replace(day=1)
    if coop.books_closed_through is not None:
        start = coop.books_closed_through.replace(day=1)
        start = add_months(start, 1)
        default = start
    else:
        start = add_months(current, -(MONTHS_OFFERED - 1))
        default = add_months(current, -1)
    start = max(start, add_months(current, -(MONTHS_OFFERED - 1)))
    months: list[dt.date] = []
    month = current
    while month >= start:
        months.append(month)
        month = add_months(month, -1)
    return months, default


def _day_form(coop: Cooperative, data: Any = None) -> DayCloseForm:
    return DayCloseForm(data, initial={"to": ledger.local_today(coop)})


def _month_form(coop: Cooperative, data: Any = None) -> MonthCloseForm:
    months, default = _months_offered(coop)
    return MonthCloseForm(data, months=months, initial={"month": _month_value(default)})


# --- The close page ----------------------------------------------------------------------------


def _with_figures(runs: list[CloseRun]) -> list[CloseRun]:
    for run in runs:
        run.duration = selectors.duration(run)  # type: ignore[attr-defined]
    return runs


def _close_page(
    request: HttpRequest,
    *,
    day_form: DayCloseForm | None = None,
    month_form: MonthCloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    coop = _coop(request)
    coop.refresh_from_db(fields=["days_closed_through", "books_closed_through"])
    can_run = _may(request, RUN_CLOSE)
    context = {
        # The date new work is posted on, as the header and the dashboard show it.
        "business_date": ledger.business_today(coop),
        "days_closed_through": coop.days_closed_through,
        "books_closed_through": coop.books_closed_through,
        "today": ledger.local_today(coop),
        "runs": _with_figures(selectors.recent_runs(cooperative=coop, limit=RECENT_RUNS)),
        "active_run": selectors.waiting_run(cooperative=coop),
        "closed_months": selectors.closed_months(cooperative=coop),
        "can_run": can_run,
        "day_form": (day_form or _day_form(coop)) if can_run else None,
        "month_form": (month_form or _month_form(coop)) if can_run else None,
    }
    return render(request, "closing/close.html", context, status=status)


@staff_view(VIEW_LEDGER)
@require_GET
def close(request: HttpRequest) -> HttpResponse:
    return _close_page(request)


def _queue(run: CloseRun) -> None:
    """Hand the run to the worker once it is committed (never a run that was rolled back)."""
    run_id = run.pk
    transaction.on_commit(lambda: tasks.run_close.enqueue(run_id))


@staff_view(RUN_CLOSE)
@require_POST
def close_day(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = _day_form(coop, request.POST)
    status = 400
    if form.is_valid():
        try:
            with transaction.atomic():
                run = services.start_day_close(
                    cooperative=coop, actor=request.user, to=form.cleaned_data["to"]
                )
                _queue(run)
        except ServiceError as exc:
            add_service_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("The day-end close through %(date)s has started.")
                % {"date": run.target.strftime("%d/%m/%Y")},
            )
            return redirect("closing:run", code=coop.code, run_id=run.pk)
    return _close_page(request, day_form=form, status=status)


@staff_view(RUN_CLOSE)
@require_POST
def close_month(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = _month_form(coop, request.POST)
    status = 400
    if form.is_valid():
        year, month = form.cleaned_data["month"]
        try:
            with transaction.atomic():
                run = services.start_month_close(
                    cooperative=coop, actor=request.user, year=year, month=month
                )
                _queue(run)
        except ServiceError as exc:
            add_service_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("The month-end close of %(month)02d/%(year)d has started.")
                % {"month": month, "year": year},
            )
            return redirect("closing:run", code=coop.code, run_id=run.pk)
    return _close_page(request, month_form=form, status=status)


# --- One run -----------------------------------------------------------------------------------


def _run_context(request: HttpRequest, run: CloseRun) -> dict[str, Any]:
    coop = _coop(request)
    active = run.status in selectors.ACTIVE
    # A share for the progress bar (integers only).
    percent = 100 * run.done_batches // run.total_batches if run.total_batches else None
    return {
        "run": run,
        "steps": selectors.run_steps(run=run),
        "active": active,
        "current_label": selectors.step_label(run.current_step) if run.current_step else "",
        "percent": percent,
        "duration": selectors.duration(run),
        "progress_url": reverse(
            "closing:run_progress", kwargs={"code": coop.code, "run_id": run.pk}
        ),
    }


@staff_view(VIEW_LEDGER)
@require_GET
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run(cooperative=_coop(request), run_id=run_id)
    return render(request, "closing/run.html", _run_context(request, run))


@staff_view(VIEW_LEDGER)
@require_GET
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The live part of the run page; htmx asks for it every 2 s while the run is under way."""
    run = selectors.run(cooperative=_coop(request), run_id=run_id)
    return render(request, "closing/_run_live.html", _run_context(request, run))


# --- History -----------------------------------------------------------------------------------


@staff_view(VIEW_LEDGER)
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    page = peek_page(
        selectors.runs(cooperative=_coop(request)), request.GET.get("page"), HISTORY_PAGE_SIZE
    )
    _with_figures(page.rows)
    return render(request, "closing/history.html", {"page": page})


# --- Withholding list (final tax on savings interest) -------------------------------------------


@staff_view(VIEW_LEDGER)
@require_GET
def withholding(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    coop = _coop(request)
    data = selectors.withholding(cooperative=coop, year=year, month=month)
    if request.GET.get("format") == "xlsx":
        return _withholding_xlsx(coop, year, month, data)
    context = {
        "year": year,
        "month": month,
        "data": data,
        "closed": selectors.is_month_closed(cooperative=coop, year=year, month=month),
    }
    return render(request, "closing/withholding.html", context)


def _withholding_xlsx(
    coop: Cooperative, year: int, month: int, data: selectors.Withholding
) -> HttpResponse:
    widths = {"B": 32, "C": 20, "D": 18, "E": 18, "F": 18}
    sheet = Sheet(_("Final tax"), widths=widths)
    sheet.row(coop.name)
    sheet.row(_("Final tax on savings interest"), f"{month:02d}/{year}")
    sheet.row()
    sheet.row(
        _("Member no."), _("Name"), _("NIK"), _("Gross interest"), _("Tax"), _("Net"), bold=True
    )
    # Names as text (never formulas), amounts as numbers: common.xlsx. The NIK stays text (16
    # digits would lose their last ones as a number).
    for row in data.rows:
        sheet.row(row.number, row.name, row.nik, row.gross, row.tax, row.net)
    sheet.row("", _("Total"), "", data.gross, data.tax, data.net, bold=True)
    return sheet.response(f"pph-jasa-simpanan-{coop.code}-{year:04d}-{month:02d}.xlsx")
