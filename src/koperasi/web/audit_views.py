"""The audit log page: who did what, when and from where (supervisors, board, manager).

The records are the audit app's; the page lives here, above the apps whose plumbing it uses.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.audit import selectors
from koperasi.common.decorators import staff_view
from koperasi.common.paging import peek_page
from koperasi.common.xlsx import list_download
from koperasi.web import audit_labels

PAGE_SIZE = 50


@require_GET
@staff_view("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    action = request.GET.get("action", "").strip()[:60]
    qs = selectors.audit_log(cooperative=request.cooperative, action=action)  # type: ignore[attr-defined]
    page = peek_page(qs, request.GET.get("page"), PAGE_SIZE)
    # The filter offers each group of actions and each action by name; any code prefix works.
    context = {"page": page, "action": action, "choices": audit_labels.filter_choices()}
    return render(request, "audit/log.html", context)


@require_GET
@staff_view("audit.view")
def audit_log_xlsx(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    action = request.GET.get("action", "").strip()[:60]
    records = selectors.audit_log(cooperative=coop, action=action)
    rows = (
        (
            r.created_at,
            r.actor.get_username() if r.actor else "",
            audit_labels.action_label(r.action) or r.action,
            audit_labels.summary(r),
            r.ip_address or "",
        )
        for r in records.iterator(chunk_size=2000)
    )
    headers = (_("Time"), _("User"), _("Action"), _("Summary"), _("IP address"))
    return list_download(
        _("Audit log"),
        f"audit-{coop.code}.xlsx",
        headers,
        rows,
        widths={"A": 18, "B": 16, "C": 32, "D": 60, "E": 16},
    )
