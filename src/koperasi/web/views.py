"""Entry pages: login, the landing redirect and the staff dashboard."""

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from koperasi.common.decorators import staff_view
from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.reports import selectors as reports
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
    series = reports.trends(cooperative=coop, today=today)
    morning = reports.morning(cooperative=coop, today=today)
    # Today's point of the NPL line is the portfolio as it stands now.
    npl = [*series.npl[:-1], morning.npl_ratio]
    # Amounts travel as strings, not floats: the page converts them only to draw the lines.
    charts = {
        "books": {
            "labels": series.labels,
            "series": [
                {"label": str(_("Assets")), "values": [str(v) for v in series.assets]},
                {"label": str(_("Loans")), "values": [str(v) for v in series.loans]},
                {"label": str(_("Savings")), "values": [str(v) for v in series.savings]},
            ],
        },
        "quality": {
            "labels": series.labels,
            "series": [
                {
                    "label": str(_("NPL ratio (%)")),
                    "values": [None if v is None else str(v) for v in npl],
                },
                {
                    "label": str(_("PAR 30 (%)")),
                    "values": [None if v is None else str(v) for v in series.par30],
                },
            ],
        },
        "members": {
            "labels": series.labels,
            "series": [{"label": str(_("Members")), "values": series.members}],
        },
    }
    context: dict[str, Any] = {
        "active_members": counts.get(Member.Status.ACTIVE, 0),
        "applicants": counts.get(Member.Status.APPLICANT, 0),
        "savings_totals": [(SavingsKind(kind).label, total) for kind, total in totals.items()],
        "savings_total": sum(totals.values(), ZERO),
        "cash": cash,
        "charts": charts,
        "morning": morning,
        "today": today,
    }
    return render(request, "web/dashboard.html", context)
