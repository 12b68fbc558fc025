"""The journal as XLSX (one row per line of each entry), with the page's filters."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.xlsx import list_download
from koperasi.ledger import selectors
from koperasi.ledger.forms import SOURCE_LABELS, JournalFilterForm
from koperasi.ledger.models import Posting


@require_GET
@staff_view("ledger.view")
def journal_xlsx(request: HttpRequest) -> HttpResponse:
    coop = request.cooperative  # type: ignore[attr-defined]
    form = JournalFilterForm(request.GET or None)
    date_from, date_to = form.period(None, None)
    source = form.cleaned_data.get("source", "") if form.is_bound and form.is_valid() else ""
    entries = selectors.journal(
        cooperative=coop, date_from=date_from, date_to=date_to, source=source
    ).values("pk")
    lines = (
        Posting.objects.filter(cooperative=coop, entry_id__in=entries)
        .select_related("entry", "account")
        .order_by("-entry__business_date", "-entry_id", "id")
    )
    rows = (
        (
            p.entry.business_date,
            p.entry.number,
            str(SOURCE_LABELS.get(p.entry.source, p.entry.source)),
            p.entry.memo,
            p.account.code,
            p.account.name,
            p.debit,
            p.credit,
        )
        for p in lines.iterator(chunk_size=2000)
    )
    headers = (
        _("Date"),
        _("Entry"),
        _("Source"),
        _("Description"),
        _("Code"),
        _("Account"),
        _("Debit"),
        _("Credit"),
    )
    return list_download(
        _("Journal"),
        f"jurnal-{coop.code}.xlsx",
        headers,
        rows,
        widths={"B": 12, "C": 18, "D": 40, "F": 30, "G": 16, "H": 16},
    )
