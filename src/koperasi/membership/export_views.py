"""The member list as XLSX, with the page's search and status filter."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.xlsx import list_download
from koperasi.members import selectors
from koperasi.members.models import Member


@require_GET
@staff_view("members.view")
def member_list_xlsx(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in Member.Status.values:
        status = ""
    members = selectors.search_members(cooperative=coop, query=query, status=status)
    rows = (
        (
            m.number,
            m.name,
            m.nik,
            m.get_sex_display(),
            m.phone,
            m.district,
            m.regency,
            m.get_status_display(),
            m.joined_on,
        )
        for m in members.iterator(chunk_size=2000)
    )
    headers = (
        _("Member number"),
        _("Name"),
        "NIK",
        _("Sex"),
        _("Phone"),
        _("District"),
        _("Regency/city"),
        _("Status"),
        _("Joined on"),
    )
    return list_download(
        _("Members"),
        f"anggota-{coop.code}.xlsx",
        headers,
        rows,
        widths={"A": 12, "B": 32, "C": 20, "F": 18, "G": 18},
    )
