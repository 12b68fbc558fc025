"""Staff pages for loan products: list, create and edit."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from koperasi.common.decorators import staff_view
from koperasi.common.forms import add_service_error
from koperasi.errors import ServiceError
from koperasi.loans import selectors, services
from koperasi.loans.application_views import _coop
from koperasi.loans.product_forms import ProductForm
from koperasi.loans.simulation import percent_text
from koperasi.tenancy.permissions import (
    MANAGE_LOAN_PRODUCTS,
)


@require_GET
@staff_view(MANAGE_LOAN_PRODUCTS)
def products(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.products(cooperative=_coop(request)))
    for product in rows:
        product.rate_text = percent_text(product.rate)
    return render(request, "loans/staff_products.html", {"products": rows})


@staff_view(MANAGE_LOAN_PRODUCTS)
def product_new(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = ProductForm(request.POST or None, creating=True, initial=ProductForm.defaults())
    if request.method == "POST" and form.is_valid():
        settings = form.settings()
        name = settings.pop("name")
        try:
            product = services.create_product(
                cooperative=coop,
                actor=request.user,
                code=form.cleaned_data["code"],
                name=name,
                **settings,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Product %(code)s was created.") % {"code": product.code})
            return redirect("lending:products", code=coop.code)
    status = 400 if form.errors else 200
    context = {"form": form, "product": None}
    return render(request, "loans/staff_product_form.html", context, status=status)


@staff_view(MANAGE_LOAN_PRODUCTS)
def product_edit(request: HttpRequest, product_id: int) -> HttpResponse:
    coop = _coop(request)
    product = selectors.product(cooperative=coop, product_id=product_id)
    form = ProductForm(
        request.POST or None, creating=False, initial=ProductForm.initial_from(product)
    )
    if request.method == "POST" and form.is_valid():
        # Only what changed goes to the service, so the audit record says what was changed.
        changes = {k: v for k, v in form.settings().items() if getattr(product, k) != v}
        try:
            if changes:
                services.update_product(
                    cooperative=coop, actor=request.user, product_id=product.pk, **changes
                )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Product %(code)s was saved.") % {"code": product.code})
            return redirect("lending:products", code=coop.code)
    status = 400 if form.errors else 200
    context = {"form": form, "product": product}
    return render(request, "loans/staff_product_form.html", context, status=status)
