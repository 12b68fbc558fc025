"""The loan portfolio list as XLSX, with the page's filters."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.xlsx import list_download
from koperasi.domain.loan_quality import CLASS_NAMES
from koperasi.loans import selectors
from koperasi.loans.forms import PortfolioFilterForm
from koperasi.tenancy import selectors as tenancy
from koperasi.tenancy.permissions import VIEW_LOANS


@require_GET
@staff_view(VIEW_LOANS)
def portfolio_xlsx(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    officers = [
        (m.user_id, str(m.user.get_full_name() or m.user.get_username()))
        for m in tenancy.staff_members(cooperative=coop)
    ]
    form = PortfolioFilterForm(
        request.GET or None, products=selectors.products(cooperative=coop), officers=officers
    )
    loans = selectors.portfolio(cooperative=coop, where=form.where()).select_related("officer")
    rows = (
        (
            loan.number,
            loan.member.number,
            loan.member.name,
            loan.product.code,
            loan.disbursed_on,
            loan.maturity_date,
            loan.principal,
            loan.outstanding_principal,
            loan.days_past_due,
            str(CLASS_NAMES.get(loan.collectibility, loan.collectibility)),
            str(loan.officer.get_full_name() or loan.officer.get_username())
            if loan.officer
            else "",
            loan.get_status_display(),
        )
        for loan in loans.iterator(chunk_size=2000)
    )
    headers = (
        _("Loan number"),
        _("Member number"),
        _("Name"),
        _("Product"),
        _("Disbursed on"),
        _("Maturity"),
        _("Principal"),
        _("Outstanding"),
        _("Days past due"),
        _("Class"),
        _("Officer"),
        _("Status"),
    )
    return list_download(
        _("Loan portfolio"),
        f"portofolio-{coop.code}.xlsx",
        headers,
        rows,
        widths={"A": 16, "C": 30, "G": 16, "H": 16, "J": 18, "K": 20},
    )
