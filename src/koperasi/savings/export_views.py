"""The savings account list as XLSX, with the page's filter."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.xlsx import list_download
from koperasi.savings import selectors
from koperasi.savings.forms import AccountFilterForm


@require_GET
@staff_view("savings.view")
def account_list_xlsx(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    form = AccountFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else ""
    accounts = selectors.accounts(cooperative=coop, kind=kind)
    rows = (
        (
            a.number,
            a.member.number,
            a.member.name,
            a.product.name,
            a.get_status_display(),
            a.opened_on,
            a.balance,
        )
        for a in accounts.iterator(chunk_size=2000)
    )
    headers = (
        _("Account number"),
        _("Member number"),
        _("Name"),
        _("Product"),
        _("Status"),
        _("Opened on"),
        _("Balance"),
    )
    return list_download(
        _("Savings accounts"),
        f"rekening-simpanan-{coop.code}.xlsx",
        headers,
        rows,
        widths={"A": 16, "B": 12, "C": 32, "D": 22, "G": 18},
    )
