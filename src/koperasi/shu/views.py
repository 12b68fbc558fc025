"""The year-end close page under /k/<code>/shu/: each year, whether it can be closed, and the
SHU of every closed year with its members' and non-members' parts."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from koperasi.common.decorators import staff_view
from koperasi.domain.money import format_rupiah
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.shu import selectors, services
from koperasi.tenancy.models import Cooperative
from koperasi.tenancy.permissions import CLOSE_PERIOD, VIEW_LEDGER


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
            year = int(raw) if raw.isdigit() and len(raw) == 4 else 0
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
