"""Entry pages: login, the landing redirect and the staff dashboard."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from koperasi.common.decorators import staff_view
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsKind
from koperasi.tenancy import selectors as tenancy


def home(request: HttpRequest) -> HttpResponse:
    """Send each user where they work: the portal, their cooperative, or a list to choose from."""
    if not request.user.is_authenticated:
        return redirect("login")
    coops = list(tenancy.cooperatives_for(request.user))
    member = member_selectors.member_for_user(request.user)
    if member is not None and not coops:
        return redirect("portal_home")
    if len(coops) == 1 and member is None:
        return redirect("dashboard", code=coops[0].code)
    return render(request, "web/home.html", {"cooperatives": coops, "member": member})


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, asked for by browsers and tools that do not read the page's icon link."""
    return redirect(static("web/favicon.ico"), permanent=True)


def demo_logins() -> list[tuple[str, str]]:
    """The demo's users (shown on the login page only when settings.DEMO_MODE is on)."""
    from koperasi.demo import STAFF
    from koperasi.tenancy.models import Role

    logins = [(username, str(Role(role).label)) for username, role, _name in STAFF]
    return [*logins, ("A0001", str(_("Member (portal)")))]


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            from koperasi.demo import DEMO_PASSWORD

            context["demo_logins"] = demo_logins()
            context["demo_password"] = DEMO_PASSWORD
        return context


@staff_view("members.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    counts = member_selectors.count_by_status(cooperative=coop)
    totals = savings_selectors.totals_by_kind(cooperative=coop)
    try:
        cash = ledger.account_by_role(coop, "cash").normal_balance
    except ServiceError:
        cash = None  # a cooperative without a cash account still gets its dashboard
    today = ledger.business_today(coop)
    first_month = add_months(today.replace(day=1), -11)
    # TruncMonth may give a datetime on some backends: key the flows by plain date.
    flows = {
        (m.date() if isinstance(m, dt.datetime) else m): total
        for m, total in savings_selectors.monthly_net_flows(cooperative=coop, since=first_month)
    }
    chart: dict[str, list[str]] = {"labels": [], "values": []}
    for i in range(12):
        month = add_months(first_month, i)
        chart["labels"].append(f"{month.month:02d}/{month.year}")
        # Strings, not floats: the page converts them only to draw the bars.
        chart["values"].append(str(flows.get(month, ZERO)))
    context: dict[str, Any] = {
        "active_members": counts.get(Member.Status.ACTIVE, 0),
        "applicants": counts.get(Member.Status.APPLICANT, 0),
        "savings_totals": [(SavingsKind(kind).label, total) for kind, total in totals.items()],
        "savings_total": sum(totals.values(), ZERO),
        "cash": cash,
        "chart": chart,
        "today": today,
    }
    return render(request, "web/dashboard.html", context)
