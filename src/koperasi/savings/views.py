"""Teller pages: find a member, deposit, withdraw, transfer, receipts and statements.

Views parse the form, call a service or selector and render; every rule lives in the services.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koperasi.common.booking import booked_later_notice, taken_on
from koperasi.common.decorators import staff_view
from koperasi.common.forms import DateRangeForm, ReverseForm, add_service_error
from koperasi.common.pdf import pdf_response
from koperasi.common.xlsx import Sheet
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.members import selectors as member_selectors
from koperasi.members.models import Member
from koperasi.savings import selectors, services
from koperasi.savings.forms import (
    AccountFilterForm,
    DepositForm,
    MoneyForm,
    OpenAccountForm,
    TransferForm,
    WithdrawForm,
)
from koperasi.savings.models import SavingsAccount, SavingsKind, SavingsTransaction
from koperasi.savings.receipts import receipt_pdf
from koperasi.tenancy.models import Cooperative

SEARCH_RESULTS = 10
PAGE_SIZE = 50
STATEMENT_LIMIT = 500
REVERSING_ROLES = ("admin", "manager")


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _member_id(request: HttpRequest) -> int | None:
    raw = request.POST.get("member") or request.GET.get("member") or ""
    return int(raw) if raw.isdigit() else None


# --- Teller screen ----------------------------------------------------------------------------


@staff_view("savings.transact")
def teller(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    member_id = _member_id(request)
    if member_id is None:
        if request.method == "POST":
            return HttpResponse(_("Choose a member first."), status=400)
        query = request.GET.get("q", "").strip()
        results = (
            list(member_selectors.search_members(cooperative=coop, query=query)[:SEARCH_RESULTS])
            if query
            else []
        )
        context = {"q": query, "results": results}
        if getattr(request, "htmx", False):
            return render(request, "savings/_member_results.html", context)
        return render(request, "savings/teller.html", context)

    member = member_selectors.member(cooperative=coop, member_id=member_id)  # 404 if not ours
    accounts = list(selectors.accounts(cooperative=coop, member=member))
    products = [
        p
        for p in selectors.products(cooperative=coop)
        if p.is_active and p.kind in (SavingsKind.SUKARELA, SavingsKind.BERJANGKA)
    ]
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if action else None
    forms: dict[str, Any] = {
        "deposit": DepositForm(data if action == "deposit" else None, accounts=accounts),
        "withdraw": WithdrawForm(data if action == "withdraw" else None, accounts=accounts),
        "transfer": TransferForm(data if action == "transfer" else None, accounts=accounts),
        "open": OpenAccountForm(data if action == "open" else None, products=products),
    }
    if action in forms:
        response = _TELLER_ACTIONS[action](request, member, forms[action])
        if response is not None:
            return response
    elif request.method == "POST":
        return HttpResponse(_("Unknown action."), status=400)
    context = {"member": member, "accounts": accounts, "forms": forms, "action": action}
    return render(request, "savings/teller.html", context, status=400 if action else 200)


def _post_money(
    request: HttpRequest, form: MoneyForm, run: Callable[[dict[str, Any]], SavingsTransaction]
) -> HttpResponse | None:
    """Validate, call the service, and on success redirect to the receipt (POST/redirect/GET)."""
    if not form.is_valid():
        return None
    try:
        txn = run(form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc)
        return None
    coop = _coop(request)
    notice = _booked_notice(coop, txn)
    if notice:
        messages.warning(request, notice)  # dated the next business day: say so at the counter
    return redirect("savings:receipt", code=coop.code, txn_id=txn.pk)


def _booked_notice(coop: Cooperative, txn: SavingsTransaction) -> str | None:
    return booked_later_notice(txn.business_date, taken_on(txn.created_at, coop.time_zone))


def _cash(service: Callable[..., SavingsTransaction]) -> Callable[..., HttpResponse | None]:
    """A deposit or withdrawal form handler: the same fields, another service."""

    def handle(request: HttpRequest, member: Member, form: MoneyForm) -> HttpResponse | None:
        return _post_money(
            request,
            form,
            lambda data: service(
                cooperative=_coop(request),
                actor=request.user,
                account_id=data["account"],
                amount=data["amount"],
                note=data["note"],
                idempotency_key=str(data["idempotency_key"]),
            ),
        )

    return handle


_deposit = _cash(services.deposit)
_withdraw = _cash(services.withdraw)


def _transfer(request: HttpRequest, member: Member, form: MoneyForm) -> HttpResponse | None:
    def run(data: dict[str, Any]) -> SavingsTransaction:
        out, _into = services.transfer(
            cooperative=_coop(request),
            actor=request.user,
            from_account_id=data["from_account"],
            to_account_id=data["to_account"],
            amount=data["amount"],
            note=data["note"],
            idempotency_key=str(data["idempotency_key"]),
        )
        return out

    return _post_money(request, form, run)


def _open(request: HttpRequest, member: Member, form: OpenAccountForm) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        account = services.open_account(
            cooperative=_coop(request),
            actor=request.user,
            member=member,
            product=form.products[form.cleaned_data["product"]],
        )
    except ServiceError as exc:
        add_service_error(form, exc)
        return None
    messages.success(request, _("Account %(number)s opened.") % {"number": account.number})
    url = reverse("savings:teller", kwargs={"code": _coop(request).code})
    return redirect(f"{url}?member={member.pk}")


_TELLER_ACTIONS: dict[str, Callable[..., HttpResponse | None]] = {
    "deposit": _deposit,
    "withdraw": _withdraw,
    "transfer": _transfer,
    "open": _open,
}


# --- Receipt (kwitansi) -----------------------------------------------------------------------


def _receipt_context(request: HttpRequest, txn_id: int) -> dict[str, Any]:
    coop = _coop(request)
    txn = selectors.transaction(cooperative=coop, transaction_id=txn_id)
    teller_name = ""
    if txn.actor is not None:
        teller_name = txn.actor.get_full_name() or txn.actor.get_username()
    return {
        "txn": txn,
        "amount": abs(txn.amount),
        "teller_name": teller_name,
        "booked_notice": _booked_notice(coop, txn),
    }


@staff_view("savings.view")
def receipt(request: HttpRequest, txn_id: int) -> HttpResponse:
    return render(request, "savings/receipt.html", _receipt_context(request, txn_id))


@staff_view("savings.view")
def receipt_pdf_view(request: HttpRequest, txn_id: int) -> HttpResponse:
    context = _receipt_context(request, txn_id)
    response = HttpResponse(receipt_pdf(request, context), content_type="application/pdf")
    filename = f"kwitansi-{context['txn'].receipt_number}.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- Account page and statement ---------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[DateRangeForm, dt.date, dt.date]:
    today = business_today(_coop(request))
    return DateRangeForm.recent(request.GET, today)


def _can_reverse(request: HttpRequest) -> bool:
    return (
        "savings.transact" in request.permissions  # type: ignore[attr-defined]
        and request.staff_role in REVERSING_ROLES  # type: ignore[attr-defined]
    )


def _statement_rows(movements: QuerySet[SavingsTransaction], limit: int) -> list[dict[str, Any]]:
    final = (SavingsTransaction.Kind.REVERSAL, SavingsTransaction.Kind.REFUND)
    rows = []
    for txn in movements.select_related("reversed_by")[:limit]:
        # A missing reverse one-to-one raises an AttributeError subclass, hence hasattr.
        reversed_ = hasattr(txn, "reversed_by")
        rows.append(
            {
                "txn": txn,
                "money_out": -txn.amount if txn.amount < 0 else None,
                "money_in": txn.amount if txn.amount > 0 else None,
                "reversed": reversed_,
                "reversible": txn.kind not in final and not reversed_,
            }
        )
    return rows


def _account_page(
    request: HttpRequest,
    account: SavingsAccount,
    *,
    reverse_form: ReverseForm | None = None,
    reverse_txn_id: int | None = None,
    status: int = 200,
) -> HttpResponse:
    coop = _coop(request)
    form, date_from, date_to = _period(request)
    opening, movements = selectors.statement(
        cooperative=coop, account=account, date_from=date_from, date_to=date_to
    )
    rows = _statement_rows(movements, STATEMENT_LIMIT + 1)
    context = {
        "account": account,
        "filter_form": form,
        "date_from": date_from,
        "date_to": date_to,
        "opening": opening,
        "rows": rows[:STATEMENT_LIMIT],
        "truncated": len(rows) > STATEMENT_LIMIT,
        "limit": STATEMENT_LIMIT,
        "can_reverse": _can_reverse(request),
        "reverse_form": reverse_form,
        "reverse_txn_id": reverse_txn_id,
        "new_reverse_form": ReverseForm,
        "query": urlencode({"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}),
    }
    return render(request, "savings/account.html", context, status=status)


@staff_view("savings.view")
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = selectors.account(cooperative=_coop(request), account_id=account_id)
    return _account_page(request, account)


@staff_view("savings.transact")
@require_POST
def reverse_transaction(request: HttpRequest, txn_id: int) -> HttpResponse:
    if not _can_reverse(request):
        raise DjangoPermissionDenied
    coop = _coop(request)
    txn = selectors.transaction(cooperative=coop, transaction_id=txn_id)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.reverse_transaction(
                cooperative=coop,
                actor=request.user,
                transaction_id=txn.pk,
                reason=form.cleaned_data["reason"],
                idempotency_key=str(form.cleaned_data["idempotency_key"]),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The movement was reversed."))
            url = reverse(
                "savings:account", kwargs={"code": coop.code, "account_id": txn.account_id}
            )
            return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    return _account_page(request, txn.account, reverse_form=form, reverse_txn_id=txn.pk, status=400)


@staff_view("savings.view")
def statement_xlsx(request: HttpRequest, account_id: int) -> HttpResponse:
    coop = _coop(request)
    account = selectors.account(cooperative=coop, account_id=account_id)
    _form, date_from, date_to = _period(request)
    opening, movements = selectors.statement(
        cooperative=coop, account=account, date_from=date_from, date_to=date_to
    )
    widths = {"A": 12, "B": 14, "C": 24, "D": 30, "E": 18, "F": 18, "G": 18}
    sheet = Sheet(_("Statement"), widths=widths)
    # Names and notes as text (never formulas), amounts as numbers: common.xlsx.
    sheet.row(coop.name)
    sheet.row(_("Account"), account.number, account.product.name)
    sheet.row(_("Member"), account.member.number, account.member.name)
    sheet.row(_("Period"), date_from, date_to)
    sheet.row()
    header = [_("Date"), _("Receipt"), _("Description"), _("Note"), _("Out"), _("In"), _("Balance")]
    sheet.row(*header, bold=True)
    sheet.row(date_from, "", _("Opening balance"), "", None, None, opening)
    for txn in movements.iterator(chunk_size=2000):
        sheet.row(
            txn.business_date,
            txn.receipt_number,
            txn.get_kind_display(),
            txn.note,
            -txn.amount if txn.amount < 0 else None,
            txn.amount if txn.amount > 0 else None,
            txn.balance_after,
        )
    return sheet.response(f"mutasi-{account.number}-{date_from}-{date_to}.xlsx")


@staff_view("savings.view")
def statement_pdf(request: HttpRequest, account_id: int) -> HttpResponse:
    coop = _coop(request)
    account = selectors.account(cooperative=coop, account_id=account_id)
    _form, date_from, date_to = _period(request)
    document = selectors.statement_document(
        cooperative=coop, account=account, date_from=date_from, date_to=date_to
    )
    filename = f"mutasi-{account.number}-{date_from}-{date_to}.pdf"
    return pdf_response(
        request, "savings/statement_pdf.html", {"coop": coop, "doc": document}, filename
    )


# --- Accounts list ----------------------------------------------------------------------------


def keyset_page(
    qs: QuerySet[Any], request: HttpRequest, size: int = PAGE_SIZE
) -> tuple[list[Any], int | None, int | None]:
    """One page by primary key: (rows, id to continue after, id to go back before).

    No COUNT and no OFFSET: fetching size + 1 rows tells whether another page exists, and the
    key condition uses the index, so page 20,000 is as fast as page 1.
    """
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    if before.isdigit():
        rows = list(qs.filter(pk__lt=int(before)).order_by("-pk")[: size + 1])
        has_prev = len(rows) > size
        rows = rows[:size][::-1]
        return rows, (rows[-1].pk if rows else None), (rows[0].pk if has_prev and rows else None)
    if after.isdigit():
        qs = qs.filter(pk__gt=int(after))
    rows = list(qs.order_by("pk")[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    next_after = rows[-1].pk if has_next else None
    prev_before = rows[0].pk if after.isdigit() and rows else None
    return rows, next_after, prev_before


@staff_view("savings.view")
def account_list(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = AccountFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_bound and form.is_valid() else ""
    rows, next_after, prev_before = keyset_page(
        selectors.accounts(cooperative=coop, kind=kind), request, PAGE_SIZE
    )
    base = {"kind": kind} if kind else {}
    context = {
        "filter_form": form,
        "accounts": rows,
        "next_query": urlencode({**base, "after": next_after}) if next_after else "",
        "prev_query": urlencode({**base, "before": prev_before}) if prev_before else "",
        "first_query": urlencode(base),
        "paged": bool(request.GET.get("after") or request.GET.get("before")),
    }
    return render(request, "savings/accounts.html", context)
