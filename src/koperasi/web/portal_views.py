"""The member portal (/saya/): a member's own savings, statements and profile, nothing else."""

import calendar
import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from koperasi.common.decorators import member_view
from koperasi.common.forms import RupiahField, ServiceErrorsMixin, date_field
from koperasi.common.pdf import pdf_response
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO
from koperasi.domain.periods import add_months
from koperasi.domain.savings_interest import FINAL_TAX_THRESHOLD, BalanceSpan, savings_interest
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.savings import selectors as savings_selectors
from koperasi.savings.models import SavingsAccount, SavingsProduct
from koperasi.tenancy import selectors as tenancy_selectors
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Cooperative

STATEMENT_ROWS = 500  # a phone screen's worth many times over; narrow the dates for more


class StatementFilter(forms.Form):
    date_from = date_field(_("From"))
    date_to = date_field(_("To"))


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


def _own_account(request: HttpRequest, account_id: int) -> SavingsAccount:
    member, coop = _member_context(request)
    # Only the member's own accounts: any other id is "not found", whoever owns it.
    account = (
        savings_selectors.accounts(cooperative=coop, member=member).filter(pk=account_id).first()
    )
    if account is None:
        raise Http404
    return account


def _statement_period(
    request: HttpRequest, coop: Cooperative
) -> tuple["StatementFilter", dt.date | None, dt.date | None, bool]:
    """The filter form, the period it asks for, and whether it was valid."""
    today = ledger.business_today(coop)
    default_from = add_months(today.replace(day=1), -2)
    form = StatementFilter(request.GET or None)
    if not form.is_bound:
        return StatementFilter(initial={"date_from": default_from}), default_from, None, True
    if not form.is_valid():
        return form, default_from, None, False
    return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"], True


@member_view
def portal_statement(request: HttpRequest, account_id: int) -> HttpResponse:
    _member, coop = _member_context(request)
    account = _own_account(request, account_id)
    form, date_from, date_to, valid = _statement_period(request, coop)
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
        "query": request.GET.urlencode(),
    }
    return render(request, "web/portal_statement.html", context, status=200 if valid else 400)


@member_view
def portal_statement_pdf(request: HttpRequest, account_id: int) -> HttpResponse:
    """The same period as the statement page, as a PDF; a bad period shows the page's error."""
    _member, coop = _member_context(request)
    account = _own_account(request, account_id)
    _form, date_from, date_to, valid = _statement_period(request, coop)
    if not valid:
        return portal_statement(request, account_id)
    date_from = date_from or account.opened_on
    date_to = date_to or ledger.business_today(coop)
    document = savings_selectors.statement_document(
        cooperative=coop, account=account, date_from=date_from, date_to=date_to
    )
    filename = f"mutasi-{account.number}-{date_from}-{date_to}.pdf"
    return pdf_response(
        request, "savings/statement_pdf.html", {"coop": coop, "doc": document}, filename
    )


def mask_nik(nik: str) -> str:
    """Only the last four digits: enough for the member to recognise, useless to a shoulder."""
    return "•" * max(0, len(nik) - 4) + nik[-4:]


class ContactForm(ServiceErrorsMixin, forms.Form):
    """Shape only: `members.services.update_contact` normalises and checks."""

    phone = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812 3456 7890"}
        ),
    )
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "placeholder": "nama@contoh.id"}),
    )


@member_view
def portal_profile(request: HttpRequest) -> HttpResponse:
    """The member's details; they may change their own phone and email here."""
    member, coop = _member_context(request)
    initial = {"phone": member.phone, "email": member.email}
    form = ContactForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                members.update_contact(
                    cooperative=coop, actor=request.user, member=member, **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Your phone and email were saved."))
                return redirect("portal_profile")
    tokens = list(tenancy_selectors.live_tokens(cooperative=coop, user=request.user))
    for token in tokens:
        token.revoke_url = reverse("portal_token_revoke", kwargs={"token_id": token.pk})
    context = {"member": member, "masked_nik": mask_nik(member.nik), "form": form, "tokens": tokens}
    return render(request, "web/portal_profile.html", context, status=status)


@require_POST
@member_view
def portal_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """A member revokes one of their own API tokens (anyone else's is 404)."""
    _member, coop = _member_context(request)
    token = tenancy.revoke_cooperative_token(
        cooperative=coop, actor=request.user, token_id=token_id, user=request.user
    )
    messages.success(request, token.revoked_text())
    return redirect("portal_profile")


def _change_balance() -> RupiahField:
    # Empty means "no change" here, not a balance of zero.
    return RupiahField(
        label=_("the balance becomes"), required=False, allow_zero=True, blank_is_zero=False
    )


class InterestSimulation(forms.Form):
    """What a member's savings would earn this month: a starting balance and up to three
    changes during the month, under the product's own method, rate and day count."""

    product = forms.ChoiceField(label=_("Savings product"))
    balance = RupiahField(label=_("Balance at the start of the month"), allow_zero=True)
    change_day_1 = forms.IntegerField(label=_("On day"), required=False, min_value=2, max_value=31)
    change_balance_1 = _change_balance()
    change_day_2 = forms.IntegerField(label=_("On day"), required=False, min_value=2, max_value=31)
    change_balance_2 = _change_balance()
    change_day_3 = forms.IntegerField(label=_("On day"), required=False, min_value=2, max_value=31)
    change_balance_3 = _change_balance()

    def __init__(self, *args: Any, products: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = {str(p.pk): p for p in products}
        self.fields["product"].choices = [
            (str(p.pk), f"{p.name} ({p.get_interest_method_display()}, {p.annual_rate:.2f} %)")
            for p in products
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        spans: list[BalanceSpan] = []
        if data.get("balance") is not None:
            spans.append(BalanceSpan(1, data["balance"]))
        for n in (1, 2, 3):
            if f"change_day_{n}" in self.errors or f"change_balance_{n}" in self.errors:
                continue  # the field says what is wrong
            day, amount = data.get(f"change_day_{n}"), data.get(f"change_balance_{n}")
            if day is None and amount is None:
                continue
            if day is None or amount is None:
                self.add_error(f"change_day_{n}", _("Give both the day and the new balance."))
                continue
            spans.append(BalanceSpan(day, amount))
        data["spans"] = sorted(spans, key=lambda span: span.from_day)
        return data


@member_view
def portal_interest_simulation(request: HttpRequest) -> HttpResponse:
    """ "Simulasi jasa simpanan": the same calculation as the month-end close."""
    member, coop = _member_context(request)
    products = list(
        SavingsProduct.objects.filter(cooperative=coop, is_active=True)
        .exclude(interest_method=SavingsProduct.InterestMethod.NONE)
        .order_by("code")
    )
    accounts = {
        a.product_id: a for a in savings_selectors.accounts(cooperative=coop, member=member)
    }
    today = ledger.business_today(coop)
    result = None
    status = 200
    if request.GET:
        form = InterestSimulation(request.GET, products=products)
        if form.is_valid():
            product = form.products[form.cleaned_data["product"]]
            days, year_days = (
                (30, 360)
                if product.day_count == SavingsProduct.DayCount.D30_360
                else (calendar.monthrange(today.year, today.month)[1], 365)
            )
            try:
                result = savings_interest(
                    method=product.interest_method,
                    annual_rate=product.annual_rate,
                    days_in_period=days,
                    year_days=year_days,
                    balances=[s for s in form.cleaned_data["spans"] if s.from_day <= days],
                )
            except DomainError as exc:
                form.add_error(None, str(ServiceError.from_domain(exc).message))
                status = 400
        else:
            status = 400
    else:
        first = products[0] if products else None
        account = accounts.get(first.pk) if first else None
        form = InterestSimulation(
            initial={"balance": f"{account.balance:.0f}" if account else "1000000"},
            products=products,
        )
    context = {
        "form": form,
        "result": result,
        "threshold": FINAL_TAX_THRESHOLD,
        "month": today,
    }
    return render(request, "web/portal_interest.html", context, status=status)
