"""The year-end close page under /k/<code>/shu/: each year, whether it can be closed, and the
SHU of every closed year with its members' and non-members' parts."""

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import IsoDateInput, KeyedForm, add_service_error
from koperasi.domain.money import format_rupiah
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.savings.models import SavingsKind
from koperasi.shu import figures, selectors, services
from koperasi.shu.models import ShuSettings
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import CLOSE_PERIOD, MANAGE_SETTINGS, VIEW_LEDGER


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]


@staff_view(VIEW_LEDGER)
def year_close(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    may_close = CLOSE_PERIOD in request.permissions  # type: ignore[attr-defined]
    error, status = "", 200
    if request.method == "POST":
        if not may_close:
            raise PermissionDenied
        raw = request.POST.get("year", "")
        try:
            year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
            if not year:
                raise ServiceError("invalid_year", _("Enter a year such as 2026."), "year")
            shu = services.close_year(cooperative=coop, actor=request.user, year=year)
        except ServiceError as exc:
            error, status = str(exc.message), exc.status
        else:
            messages.success(
                request,
                _("The year %(year)s is closed: SHU %(amount)s.")
                % {"year": shu.year, "amount": format_rupiah(shu.surplus)},
            )
            return redirect("shu:year_close", code=coop.code)
    today = ledger.business_today(coop)
    context = {
        "years": selectors.years(cooperative=coop, today=today),
        "may_close": may_close,
        "error": error,
    }
    return render(request, "shu/year_close.html", context, status=status)


class DistributeForm(KeyedForm):
    approved_on = forms.DateField(
        label=gettext_lazy("Approved by the RAT on"), widget=IsoDateInput()
    )
    approval_reference = forms.CharField(
        label=gettext_lazy("RAT decision (number or minutes)"), max_length=200
    )
    pay_into_savings = forms.BooleanField(
        label=gettext_lazy("Pay the shares into the members' sukarela savings now"),
        required=False,
        initial=True,
    )


# --- The rules and the proposal ---------------------------------------------------------------


def _allocation_from(data: Any, funds: list[str]) -> dict[str, str]:
    """The percents typed per fund (fund_<name>), and a new fund (new_fund, new_percent)."""
    allocation = {f: data.get(f"fund_{f}", "").strip() for f in funds}
    allocation = {f: p for f, p in allocation.items() if p}
    new_name = data.get("new_fund", "").strip().lower().replace(" ", "_")[:64]
    if new_name and data.get("new_percent", "").strip():
        allocation[new_name] = data.get("new_percent", "").strip()
    return allocation


@staff_view(VIEW_LEDGER)
def shu_settings(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    may_change = MANAGE_SETTINGS in request.permissions  # type: ignore[attr-defined]
    current = figures.settings_of(coop)
    error, status = "", 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        try:
            services.update_settings(
                cooperative=coop,
                actor=request.user,
                allocation=_allocation_from(request.POST, list(current.allocation)),
                savings_kinds=request.POST.getlist("savings_kinds"),
                transaction_weights={k: request.POST.get(k, "0") for k in services.WEIGHT_KEYS},
                rounding=request.POST.get("rounding", ""),
                savings_basis=request.POST.get("savings_basis", current.savings_basis),
            )
        except ServiceError as exc:
            error, status = str(exc.message), exc.status
        else:
            messages.success(request, _("The SHU rules were saved."))
            return redirect("shu:settings", code=coop.code)
    context = {
        "settings": current,
        "kinds": SavingsKind.choices,
        "chosen_kinds": current.savings_kinds or list(figures.DEFAULT_KINDS),
        "roundings": services.ROUNDINGS,
        "bases": ShuSettings.SavingsBasis.choices,
        "may_change": may_change,
        "error": error,
    }
    return render(request, "shu/settings.html", context, status=status)


@staff_view(VIEW_LEDGER)
def proposal(request: HttpRequest, year: int) -> HttpResponse:
    """The SHU proposal for a closed year by the cooperative's rules, and a scenario beside it
    with other percentages (nothing is saved); its distribution once the RAT approved it."""
    return _proposal_page(request, year, DistributeForm(), 200)


def _proposal_page(
    request: HttpRequest, year: int, form: DistributeForm, status: int
) -> HttpResponse:
    coop = _coop(request)
    base = figures.simulate(cooperative=coop, year=year)
    scenario, error = None, ""
    funds = list(base.allocation.percents)
    if request.GET.get("scenario"):
        try:
            scenario = figures.simulate(
                cooperative=coop, year=year, allocation=_allocation_from(request.GET, funds)
            )
        except ServiceError as exc:
            error = str(exc.message)
    shown = base.result.members[:PROPOSAL_ROWS]
    numbers = base.numbers(shown)
    context = {
        "base": base,
        "scenario": scenario,
        "error": error,
        "funds": [
            (f, str(scenario.allocation.percents.get(f, "")) if scenario else "") for f in funds
        ],
        "members": [(numbers.get(share.id, share.id), share) for share in shown],
        "more": max(len(base.result.members) - PROPOSAL_ROWS, 0),
        "distribution": getattr(base.year, "distribution", None),
        "form": form,
        "may_distribute": CLOSE_PERIOD in request.permissions,  # type: ignore[attr-defined]
    }
    return render(request, "shu/proposal.html", context, status=400 if error else status)


PROPOSAL_ROWS = 50


@require_POST
@staff_view(CLOSE_PERIOD)
def distribute(request: HttpRequest, year: int) -> HttpResponse:
    coop = _coop(request)
    form = DistributeForm(request.POST)
    if form.is_valid():
        try:
            services.distribute(
                cooperative=coop,
                actor=request.user,
                year=year,
                approved_on=form.cleaned_data["approved_on"],
                approval_reference=form.cleaned_data["approval_reference"],
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
                pay_into_savings=form.cleaned_data["pay_into_savings"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
            return _proposal_page(request, year, form, exc.status)
        messages.success(request, _("The SHU of %(year)s was distributed.") % {"year": year})
        return redirect("shu:distribution", code=coop.code, year=year)
    return _proposal_page(request, year, form, 400)
