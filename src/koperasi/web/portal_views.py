"""The member portal (/saya/): a member's own savings, statements and profile, nothing else."""

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.savings import selectors as savings_selectors
from koperasi.web.decorators import member_view

STATEMENT_ROWS = 500  # a phone screen's worth many times over; narrow the dates for more


class StatementFilter(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _member_context(request: HttpRequest) -> tuple[Any, Any]:
    return request.member, request.cooperative  # type: ignore[attr-defined]


@member_view
def portal_home(request: HttpRequest) -> HttpResponse:
    member, coop = _member_context(request)
    accounts = list(savings_selectors.accounts(cooperative=coop, member=member))
    today = ledger.business_today(coop)
    context = {
        "member": member,
        "accounts": accounts,
        "total": sum((a.balance for a in accounts), start=ZERO),
        "arrears": savings_selectors.wajib_arrears(cooperative=coop, member=member, as_of=today),
        "today": today,
    }
    return render(request, "web/portal_home.html", context)


@member_view
def portal_statement(request: HttpRequest, account_id: int) -> HttpResponse:
    member, coop = _member_context(request)
    # Only the member's own accounts: any other id is "not found", whoever owns it.
    account = (
        savings_selectors.accounts(cooperative=coop, member=member).filter(pk=account_id).first()
    )
    if account is None:
        raise Http404
    today = ledger.business_today(coop)
    default_from = add_months(today.replace(day=1), -2)
    form = StatementFilter(request.GET or None)
    date_from: dt.date | None = default_from
    date_to: dt.date | None = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            date_from = form.cleaned_data["date_from"]
            date_to = form.cleaned_data["date_to"]
        else:
            status = 400
    else:
        form = StatementFilter(initial={"date_from": default_from})
    opening, movements = savings_selectors.statement(
        cooperative=coop, account=account, date_from=date_from, date_to=date_to
    )
    rows = list(movements[: STATEMENT_ROWS + 1])
    context = {
        "account": account,
        "form": form,
        "opening": opening,
        "rows": rows[:STATEMENT_ROWS],
        "truncated": len(rows) > STATEMENT_ROWS,
        "closing": rows[min(len(rows), STATEMENT_ROWS) - 1].balance_after if rows else opening,
        "date_from": date_from,
        "date_to": date_to,
    }
    return render(request, "web/portal_statement.html", context, status=status)


def mask_nik(nik: str) -> str:
    """Only the last four digits: enough for the member to recognise, useless to a shoulder."""
    return "•" * max(0, len(nik) - 4) + nik[-4:]


@member_view
def portal_profile(request: HttpRequest) -> HttpResponse:
    member, _coop = _member_context(request)
    return render(
        request, "web/portal_profile.html", {"member": member, "masked_nik": mask_nik(member.nik)}
    )
