"""The accountant's pages: chart of accounts, ledgers, trial balance, journal, month close.

Views parse the form, call a service or selector and render; every rule lives in the services.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.forms import DateRangeForm, ReverseForm, add_service_error
from koperasi.common.xlsx import Sheet
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.ledger import selectors, services
from koperasi.ledger.forms import (
    SOURCE_LABELS,
    AccountForm,
    AsOfForm,
    CloseMonthForm,
    JournalFilterForm,
    ManualEntryForm,
)
from koperasi.ledger.models import Account, JournalEntry
from koperasi.tenancy.models import Cooperative

PAGE_SIZE = 50
LEDGER_LIMIT = 500


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _may(request: HttpRequest, permission: str) -> bool:
    return permission in request.permissions  # type: ignore[attr-defined]


# --- Chart of accounts ------------------------------------------------------------------------


def _with_depth(accounts: list[Account]) -> list[tuple[Account, int]]:
    """Each account with its depth below the top-level headers, for indenting."""
    by_pk = {a.pk: a for a in accounts}
    depth: dict[int, int] = {}

    def level(account: Account) -> int:
        if account.pk not in depth:
            parent = by_pk.get(account.parent_id) if account.parent_id else None
            depth[account.pk] = 0 if parent is None else level(parent) + 1
        return depth[account.pk]

    return [(a, level(a)) for a in accounts]


@staff_view("ledger.view")
def chart(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    accounts = list(selectors.accounts(cooperative=coop))
    can_manage = _may(request, "ledger.manage")
    headers = [a for a in accounts if a.is_header]
    form = AccountForm(request.POST or None, parents=headers)
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise DjangoPermissionDenied
        if form.is_valid():
            try:
                account = services.create_account(
                    cooperative=coop,
                    actor=request.user,
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                    parent_code=form.cleaned_data["parent"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Account %(code)s added.") % {"code": account.code})
                return redirect("ledger:accounts", code=coop.code)
        status = 400
    context = {"rows": _with_depth(accounts), "form": form, "can_manage": can_manage}
    return render(request, "ledger/accounts.html", context, status=status)


# --- General ledger of one account ------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[DateRangeForm, dt.date, dt.date]:
    today = services.business_today(_coop(request))
    return DateRangeForm.recent(request.GET, today)


@staff_view("ledger.view")
def account_ledger(request: HttpRequest, account_code: str) -> HttpResponse:
    coop = _coop(request)
    account = selectors.account(cooperative=coop, code=account_code)
    form, date_from, date_to = _period(request)
    opening, lines = selectors.account_ledger(
        cooperative=coop,
        account=account,
        date_from=date_from,
        date_to=date_to,
        limit=LEDGER_LIMIT + 1,
    )
    context = {
        "account": account,
        "filter_form": form,
        "date_from": date_from,
        "date_to": date_to,
        "opening": opening,
        "lines": lines[:LEDGER_LIMIT],
        "truncated": len(lines) > LEDGER_LIMIT,
        "limit": LEDGER_LIMIT,
    }
    return render(request, "ledger/account.html", context)


# --- Trial balance ----------------------------------------------------------------------------


def _trial_balance(request: HttpRequest) -> dict[str, Any]:
    form = AsOfForm(request.GET or None)
    as_of = form.cleaned_data.get("as_of") if form.is_bound and form.is_valid() else None
    rows, total_debit, total_credit = selectors.trial_balance(
        cooperative=_coop(request), as_of=as_of
    )
    return {
        "form": form,
        "as_of": as_of,
        "rows": rows,
        "total_debit": total_debit,
        "total_credit": total_credit,
        "balanced": total_debit == total_credit,
        "query": urlencode({"as_of": as_of.isoformat()}) if as_of else "",
    }


@staff_view("ledger.view")
def trial_balance(request: HttpRequest) -> HttpResponse:
    return render(request, "ledger/trial_balance.html", _trial_balance(request))


@staff_view("ledger.view")
def trial_balance_xlsx(request: HttpRequest) -> HttpResponse:
    data = _trial_balance(request)
    coop = _coop(request)
    as_of = data["as_of"] or services.business_today(coop)
    # Names as text (never formulas), amounts as numbers: common.xlsx.
    sheet = Sheet(_("Trial balance"), widths={"B": 40, "C": 20, "D": 20})
    sheet.row(coop.name)
    sheet.row(_("Trial balance"), as_of)
    sheet.row()
    sheet.row(_("Code"), _("Account"), _("Debit"), _("Credit"), bold=True)
    for row in data["rows"]:
        sheet.row(row.account.code, row.account.name, row.debit, row.credit)
    sheet.row("", _("Total"), data["total_debit"], data["total_credit"], bold=True)
    return sheet.response(f"neraca-saldo-{coop.code}-{as_of.isoformat()}.xlsx")


# --- Journal ----------------------------------------------------------------------------------


@staff_view("ledger.view")
def journal(request: HttpRequest) -> HttpResponse:
    form = JournalFilterForm(request.GET or None)
    date_from, date_to = form.period(None, None)
    source = form.cleaned_data.get("source", "") if form.is_bound and form.is_valid() else ""
    raw_page = request.GET.get("page", "1")
    page = max(1, int(raw_page)) if raw_page.isdigit() else 1
    entries = selectors.journal(
        cooperative=_coop(request), date_from=date_from, date_to=date_to, source=source
    ).annotate(total=Sum("postings__debit"))
    # No COUNT: one row more than a page tells whether a next page exists.
    start = (page - 1) * PAGE_SIZE
    rows = list(entries[start : start + PAGE_SIZE + 1])
    for row in rows:
        row.source_label = SOURCE_LABELS.get(row.source, row.source)
    base = {
        k: v
        for k, v in (
            ("date_from", date_from.isoformat() if date_from else ""),
            ("date_to", date_to.isoformat() if date_to else ""),
            ("source", source),
        )
        if v
    }
    context = {
        "filter_form": form,
        "entries": rows[:PAGE_SIZE],
        "page": page,
        "next_query": urlencode({**base, "page": page + 1}) if len(rows) > PAGE_SIZE else "",
        "prev_query": urlencode({**base, "page": page - 1}) if page > 1 else "",
        "can_manage": _may(request, "ledger.manage"),
    }
    return render(request, "ledger/journal.html", context)


def _entry_page(
    request: HttpRequest, entry: JournalEntry, form: ReverseForm | None = None, status: int = 200
) -> HttpResponse:
    postings = list(entry.postings.select_related("account").order_by("id"))
    # A missing reverse one-to-one raises an AttributeError subclass, hence getattr.
    reversed_by = getattr(entry, "reversed_by", None)
    can_reverse = (
        entry.source == "manual" and reversed_by is None and _may(request, "ledger.manage")
    )
    context = {
        "entry": entry,
        "source_label": SOURCE_LABELS.get(entry.source, entry.source),
        "postings": postings,
        "total_debit": sum((p.debit for p in postings), ZERO),
        "total_credit": sum((p.credit for p in postings), ZERO),
        "reversed_by": reversed_by,
        "can_reverse": can_reverse,
        "form": form or ReverseForm(),
    }
    return render(request, "ledger/entry.html", context, status=status)


@staff_view("ledger.view")
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _entry_page(request, selectors.entry(cooperative=_coop(request), entry_id=entry_id))


@staff_view("ledger.manage")
@require_POST
def reverse_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    coop = _coop(request)
    entry = selectors.entry(cooperative=coop, entry_id=entry_id)
    form = ReverseForm(request.POST)
    if entry.source != "manual":
        # Savings and loan entries are corrected through their sub-ledger so it stays reconciled.
        form.add_error(None, _("Only manual entries are reversed here."))
    elif form.is_valid():
        try:
            reversal = services.reverse_entry(
                cooperative=coop,
                actor=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Entry %(number)s reversed.") % {"number": entry.number})
            return redirect("ledger:entry", code=coop.code, entry_id=reversal.pk)
    return _entry_page(request, entry, form, status=400)


# --- Manual journal entry ---------------------------------------------------------------------


def _postable(coop: Cooperative) -> list[Account]:
    """Accounts a person may post to by hand: not headers, not sub-ledger control accounts."""
    return [
        a
        for a in selectors.accounts(cooperative=coop)
        if not a.is_header and not a.is_control and a.is_active
    ]


@staff_view("ledger.manage")
def new_entry(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = ManualEntryForm(
        request.POST or None,
        accounts=_postable(coop),
        initial={"business_date": services.business_today(coop)},
    )
    if request.method != "POST":
        return render(request, "ledger/new_entry.html", {"form": form})
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.post_manual_entry(
                cooperative=coop,
                actor=request.user,
                lines=data["lines"],
                memo=data["memo"],
                idempotency_key=str(data["idempotency_key"]),
                business_date=data["business_date"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Entry %(number)s posted.") % {"number": entry.number})
            return redirect("ledger:entry", code=coop.code, entry_id=entry.pk)
    return render(request, "ledger/new_entry.html", {"form": form}, status=400)


# --- Month close ------------------------------------------------------------------------------


def _next_month_to_close(coop: Cooperative) -> tuple[int, int]:
    if coop.books_closed_through:
        following = coop.books_closed_through + dt.timedelta(days=1)
        return following.year, following.month
    last_month = add_months(services.business_today(coop).replace(day=1), -1)
    return last_month.year, last_month.month


@staff_view("ledger.close")
def close(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    year, month = _next_month_to_close(coop)
    form = CloseMonthForm(request.POST or None, initial={"year": year, "month": month})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                period = services.close_month(
                    cooperative=coop,
                    actor=request.user,
                    year=form.cleaned_data["year"],
                    month=form.cleaned_data["month"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(month)02d/%(year)d is closed.")
                    % {"month": period.month, "year": period.year},
                )
                return redirect("ledger:close", code=coop.code)
        status = 400
    context = {
        "form": form,
        "closed": selectors.closed_periods(cooperative=coop),
        "closed_through": coop.books_closed_through,
    }
    return render(request, "ledger/close.html", context, status=status)
