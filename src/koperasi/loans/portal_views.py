"""The member portal's "my loans" (/saya/pinjaman/): own loans and applications, nothing else.

Every loan and application is looked up with the member as a filter, so another member's id
is "not found" (404) whoever owns it.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from koperasi.common.decorators import member_view
from koperasi.common.forms import RupiahField, add_service_error
from koperasi.domain.money import ZERO
from koperasi.domain.schedule import MAX_PERIODS
from koperasi.errors import ServiceError
from koperasi.ledger.services import business_today
from koperasi.loans import selectors
from koperasi.loans import services as loans
from koperasi.loans.documents import rate_text, schedule_lines
from koperasi.loans.models import Loan, LoanApplication, LoanProduct, LoanTransaction
from koperasi.loans.receipts import has_receipt
from koperasi.members.models import Member
from koperasi.tenancy.models import Cooperative

LIST_LIMIT = 50  # a member with more loans than this is a matter for the office
OPEN_STATUSES = (LoanApplication.Status.SUBMITTED, LoanApplication.Status.ANALYSED)


class ApplyForm(forms.Form):
    product = forms.TypedChoiceField(label=gettext_lazy("Loan product"), coerce=int)
    principal = RupiahField(label=gettext_lazy("Amount (Rp)"), placeholder="5.000.000")
    term = forms.IntegerField(
        label=gettext_lazy("Number of instalments"), min_value=1, max_value=MAX_PERIODS
    )
    purpose = forms.CharField(
        label=gettext_lazy("What is the loan for?"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, products: list[LoanProduct], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "---------")] + [(p.pk, p.name) for p in products]


def _member(request: HttpRequest) -> tuple[Member, Cooperative]:
    return request.member, request.cooperative  # type: ignore[attr-defined]  # member_view


def _own_loans(cooperative: Cooperative, member: Member) -> list[Loan]:
    where = selectors.PortfolioFilter(status="", member=member)
    return list(selectors.portfolio(cooperative=cooperative, where=where)[:LIST_LIMIT])


def _overdue_total(arrears: selectors.ArrearsView | None) -> Decimal:
    if arrears is None:
        return ZERO
    return arrears.overdue_principal + arrears.overdue_interest + arrears.penalty_due


@require_GET
@member_view
def loan_list(request: HttpRequest) -> HttpResponse:
    member, coop = _member(request)
    today = business_today(coop)
    own = _own_loans(coop, member)
    loan_rows = []
    for loan in own:
        arrears = (
            selectors.arrears(loan=loan, as_of=today) if loan.status == Loan.Status.ACTIVE else None
        )
        loan_rows.append((loan, arrears, _overdue_total(arrears)))
    loan_by_application = {loan.application_id: loan for loan in own}
    applications = [
        (application, loan_by_application.get(application.pk))
        for application in selectors.applications(cooperative=coop, member=member)[:LIST_LIMIT]
    ]
    context = {
        "member": member,
        "loans": loan_rows,
        "applications": applications,
        "today": today,
        "can_apply": selectors.products(cooperative=coop, active_only=True).exists(),
    }
    return render(request, "loans/portal_list.html", context)


@require_GET
@member_view
def loan_detail(request: HttpRequest, loan_id: int) -> HttpResponse:
    member, coop = _member(request)
    loan = selectors.loan(cooperative=coop, loan_id=loan_id, member=member)  # 404 if not own
    today = business_today(coop)
    history = list(selectors.history(loan=loan))
    quote = None
    if loan.status == Loan.Status.ACTIVE:
        try:
            quote = loans.settlement_quote(cooperative=coop, loan_id=loan.pk, on=today)
        except ServiceError:
            quote = None  # e.g. nothing left to quote; the page still shows the schedule
    reversed_ids = {t.reverses_id for t in history if t.reverses_id is not None}
    arrears = (
        selectors.arrears(loan=loan, as_of=today) if loan.status == Loan.Status.ACTIVE else None
    )
    context = {
        "loan": loan,
        "lines": schedule_lines(loan, selectors.schedule(loan=loan), history, today),
        "arrears": arrears,
        "overdue_total": _overdue_total(arrears),
        # What the member paid or received (principal as a positive figure: a repayment
        # lowers the debt); penalty assessments are shown on the schedule rows instead.
        "history": [
            (txn, txn.pk in reversed_ids, abs(txn.principal), has_receipt(txn))
            for txn in history
            if txn.kind != LoanTransaction.Kind.PENALTY
        ],
        "quote": quote,
        "rate_text": rate_text(loan.rate, loan.rate_period),
        "method_label": LoanProduct.Method(loan.method).label
        if loan.method in LoanProduct.Method.values
        else loan.method,
        "today": today,
    }
    return render(request, "loans/portal_detail.html", context)


@member_view
def apply(request: HttpRequest) -> HttpResponse:
    member, coop = _member(request)
    products = list(selectors.products(cooperative=coop, active_only=True))
    form = ApplyForm(request.POST or None, products=products)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = loans.apply(
                    cooperative=coop,
                    actor=request.user,
                    member_id=member.pk,
                    product_id=data["product"],
                    principal=data["principal"],
                    term=data["term"],
                    purpose=data["purpose"],
                    channel=LoanApplication.Channel.PORTAL,
                )
            except ServiceError as exc:  # NotFound too: an inactive product is a form error
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Application %(number)s sent. The loan officer will contact you.")
                    % {"number": application.number},
                )
                return redirect("myloans:application", application_id=application.pk)
        messages.error(request, _("The application was not sent. Please correct the form."))
    context = {
        "form": form,
        "products": [
            (product, rate_text(product.rate, product.rate_period)) for product in products
        ],
    }
    return render(request, "loans/portal_apply.html", context, status=status)


@member_view
def application_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    member, coop = _member(request)
    application = selectors.application(
        cooperative=coop, application_id=application_id, member=member
    )  # 404 if not own
    status = 200
    if request.method == "POST":
        if request.POST.get("action") != "cancel":
            return HttpResponse(_("Unknown action."), status=400)
        try:
            loans.cancel(
                cooperative=coop,
                actor=request.user,
                member=member,
                application_id=application.pk,
            )
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            status = 400
        else:
            messages.success(request, _("Your application has been withdrawn."))
            return redirect("myloans:application", application_id=application.pk)
    open_ = application.status in OPEN_STATUSES
    estimate = None
    if open_:
        try:
            estimate = loans.assess_application(
                cooperative=coop, application=application
            ).monthly_instalment
        except ServiceError:
            estimate = None  # the product's terms changed since; the officer will say
    loan = (
        selectors.portfolio(
            cooperative=coop, where=selectors.PortfolioFilter(status="", member=member)
        )
        .filter(application=application)
        .first()
    )
    context = {
        "application": application,
        "open": open_,
        "estimate": estimate,
        "loan": loan,
        "rate_text": rate_text(application.product.rate, application.product.rate_period),
    }
    return render(request, "loans/portal_application.html", context, status=status)
