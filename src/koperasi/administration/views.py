"""The administrator's settings pages: the cooperative's identity and AD/ART settings, staff,
savings products, and editing an account of the chart.

Views stay thin: a form parses the request, a service checks and writes, a selector reads.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from koperasi.administration import services as administration
from koperasi.administration.forms import (
    AccountEditForm,
    ActiveForm,
    PasswordForm,
    ProductEditForm,
    ProductForm,
    RoleForm,
    SettingsForm,
    StaffForm,
    percent_text,
)
from koperasi.common.decorators import View, staff_view
from koperasi.common.paging import peek_page
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import selectors as ledger_selectors
from koperasi.ledger import services as ledger
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.savings.models import LOCKED_KINDS, SavingsProduct
from koperasi.tenancy import selectors, services
from koperasi.tenancy.models import Cooperative, Role
from koperasi.tenancy.permissions import MANAGE_LEDGER, MANAGE_SETTINGS

STAFF_PAGE_SIZE = 50


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def staff_view_any(*permissions: str) -> Callable[[View], View]:
    """Like `staff_view`, for a page open to a role holding any one of `permissions`."""

    def decorator(view: View) -> View:
        guarded = [staff_view(permission)(view) for permission in permissions]

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Each guard answers a stranger with 404 and a login page for the anonymous; only
            # "role lacks this permission" moves on to the next permission.
            for guard in guarded[:-1]:
                try:
                    return guard(request, *args, **kwargs)
                except DjangoPermissionDenied:
                    continue
            return guarded[-1](request, *args, **kwargs)

        return wrapped

    return decorator


# --- The cooperative --------------------------------------------------------------------------


@staff_view(MANAGE_SETTINGS)
def settings_page(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    pokok_locked = savings.any_pokok_paid(cooperative=coop)
    form = SettingsForm(
        request.POST or None, initial=SettingsForm.initial_from(coop), pokok_locked=pokok_locked
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                administration.update_cooperative(
                    cooperative=coop, actor=request.user, **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The cooperative's settings were saved."))
                return redirect("settings:settings", code=coop.code)
        messages.error(request, _("Nothing was saved. Please correct the form."))
        status = 400
    context = {"form": form, "pokok_locked": pokok_locked, "section": "settings"}
    return render(request, "settings/settings.html", context, status=status)


# --- Staff ------------------------------------------------------------------------------------


def _staff_page(
    request: HttpRequest, form: StaffForm | None = None, status: int = 200
) -> HttpResponse:
    coop = _coop(request)
    page = peek_page(
        selectors.staff_members(cooperative=coop), request.GET.get("page"), STAFF_PAGE_SIZE
    )
    context = {
        "page": page,
        "form": form or StaffForm(),
        "roles": Role.choices,
        "section": "staff",
    }
    return render(request, "settings/staff.html", context, status=status)


@staff_view(MANAGE_SETTINGS)
def staff(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _staff_page(request)
    coop = _coop(request)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            membership = services.create_staff_user(
                cooperative=coop, actor=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("%(name)s can now log in as %(username)s.")
                % {"name": membership.user.first_name, "username": membership.user.username},
            )
            return redirect("settings:staff", code=coop.code)
    messages.error(request, _("The staff member was not added. Please correct the form."))
    return _staff_page(request, form, status=400)


def _refused(request: HttpRequest, exc: ServiceError | None = None) -> HttpResponse:
    """A refused row action: the staff page again with the reason on top, nothing changed."""
    messages.error(request, str(exc.message) if exc else _("Nothing was changed."))
    return _staff_page(request, status=400)


@require_POST
@staff_view(MANAGE_SETTINGS)
def staff_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    coop = _coop(request)
    membership = selectors.staff_membership(cooperative=coop, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, ServiceError("invalid_role", _("Unknown role.")))
    try:
        services.set_staff_role(
            cooperative=coop,
            actor=request.user,
            membership_id=membership.pk,
            role=form.cleaned_data["role"],
        )
    except ServiceError as exc:
        return _refused(request, exc)
    messages.success(
        request, _("%(username)s's role was changed.") % {"username": membership.user.username}
    )
    return redirect("settings:staff", code=coop.code)


@require_POST
@staff_view(MANAGE_SETTINGS)
def staff_active(request: HttpRequest, membership_id: int) -> HttpResponse:
    coop = _coop(request)
    membership = selectors.staff_membership(cooperative=coop, membership_id=membership_id)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        return _refused(request)
    is_active = form.cleaned_data["is_active"]
    try:
        services.set_staff_active(
            cooperative=coop, actor=request.user, membership_id=membership.pk, is_active=is_active
        )
    except ServiceError as exc:
        return _refused(request, exc)
    text = (
        _("%(username)s is active again.")
        if is_active
        else _("%(username)s can no longer open this cooperative.")
    )
    messages.success(request, text % {"username": membership.user.username})
    return redirect("settings:staff", code=coop.code)


@require_POST
@staff_view(MANAGE_SETTINGS)
def staff_password(request: HttpRequest, membership_id: int) -> HttpResponse:
    coop = _coop(request)
    membership = selectors.staff_membership(cooperative=coop, membership_id=membership_id)
    form = PasswordForm(request.POST)
    if not form.is_valid():
        return _refused(request, ServiceError("required", _("Enter the new password.")))
    try:
        services.reset_staff_password(
            cooperative=coop,
            actor=request.user,
            membership_id=membership.pk,
            password=form.cleaned_data["password"],
        )
    except ServiceError as exc:
        return _refused(request, exc)
    if membership.user_id == request.user.pk:
        # Changing one's own password would otherwise end this very session.
        membership.user.refresh_from_db()
        update_session_auth_hash(request, membership.user)
    messages.success(
        request,
        _("The password of %(username)s was changed; tell them the new one privately.")
        % {"username": membership.user.username},
    )
    return redirect("settings:staff", code=coop.code)


# --- Savings products -------------------------------------------------------------------------


@staff_view(MANAGE_SETTINGS)
def products(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = ProductForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                product = savings.create_product(
                    cooperative=coop, actor=request.user, **form.product_args()
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Product %(code)s was added.") % {"code": product.code})
                return redirect("settings:products", code=coop.code)
        messages.error(request, _("The product was not added. Please correct the form."))
        status = 400
    rows = list(savings_selectors.products(cooperative=coop).order_by("code"))
    for product in rows:
        product.rate_text = percent_text(product.annual_rate)  # type: ignore[attr-defined]
    context = {
        "products": rows,
        "savings_cap": percent_text(coop.savings_rate_cap),
        "form": form,
        "section": "products",
    }
    return render(request, "settings/products.html", context, status=status)


def _product(coop: Cooperative, product_id: int) -> SavingsProduct:
    product = savings_selectors.products(cooperative=coop).filter(pk=product_id).first()
    if product is None:
        raise NotFound()
    return product


@staff_view(MANAGE_SETTINGS)
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    coop = _coop(request)
    product = _product(coop, product_id)
    form = ProductEditForm(request.POST or None, initial=ProductEditForm.initial_from(product))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                savings.update_product(
                    cooperative=coop,
                    actor=request.user,
                    product_id=product.pk,
                    **form.cleaned_data,
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Product %(code)s was saved.") % {"code": product.code})
                return redirect("settings:products", code=coop.code)
        messages.error(request, _("Nothing was saved. Please correct the form."))
        status = 400
    context = {
        "product": product,
        "form": form,
        "is_capital": product.kind in LOCKED_KINDS,
        "section": "products",
    }
    return render(request, "settings/product_edit.html", context, status=status)


# --- Chart of accounts ------------------------------------------------------------------------


@staff_view_any(MANAGE_LEDGER, MANAGE_SETTINGS)
def account_edit(request: HttpRequest, account_code: str) -> HttpResponse:
    coop = _coop(request)
    account = ledger_selectors.account(cooperative=coop, code=account_code)
    initial = {"name": account.name, "is_active": account.is_active}
    form = AccountEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ledger.update_account(
                    cooperative=coop, actor=request.user, code=account.code, **form.cleaned_data
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("Account %(code)s was saved.") % {"code": account.code})
                if "ledger.view" in request.permissions:  # type: ignore[attr-defined]
                    return redirect("ledger:accounts", code=coop.code)
                return redirect("settings:account_edit", code=coop.code, account_code=account.code)
        messages.error(request, _("Nothing was saved. Please correct the form."))
        status = 400
    context = {"account": account, "form": form, "section": "accounts"}
    return render(request, "settings/account_edit.html", context, status=status)
