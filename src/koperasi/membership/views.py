"""Staff pages for members: list and search, detail, register, edit, exit, portal login, import.

Views stay thin: a form parses the request, a service writes, a selector reads.
"""

import csv
import io
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from koperasi.common.decorators import staff_view
from koperasi.common.paging import peek_page
from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.members import selectors, services
from koperasi.members.models import Member
from koperasi.membership import services as membership
from koperasi.membership.forms import (
    ExitForm,
    ImportForm,
    MemberForm,
    PortalLoginForm,
    RegisterForm,
)
from koperasi.membership.services import importer
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsKind
from koperasi.tabular import problem_count

PAGE_SIZE = 25
IMPORT_COLUMNS = (
    "nama",
    "nik",
    "jenis_kelamin",
    "tanggal_lahir",
    "tempat_lahir",
    "telepon",
    "alamat",
    "desa",
    "kecamatan",
    "kabupaten",
    "provinsi",
    "pekerjaan",
)


def _coop(request: HttpRequest) -> Any:
    return request.cooperative  # type: ignore[attr-defined]


def _can(request: HttpRequest, permission: str) -> bool:
    return permission in getattr(request, "permissions", ())


@require_GET
@staff_view("members.view")
def member_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "")
    if status not in Member.Status.values:
        status = ""
    qs = selectors.search_members(cooperative=_coop(request), query=query, status=status)
    page = peek_page(qs, request.GET.get("page"), PAGE_SIZE)
    context = {
        "page": page,
        "q": query,
        "status": status,
        "statuses": Member.Status.choices,
        "can_manage": _can(request, "members.manage"),
        "can_import": _can(request, "members.import"),
    }
    # htmx live search swaps only the table; a plain request (no JS, or a history restore)
    # gets the whole page from the same URL.
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request
    template = "members/_table.html" if partial else "members/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _detail_context(
    request: HttpRequest,
    member: Member,
    *,
    portal_form: PortalLoginForm | None = None,
    exit_form: ExitForm | None = None,
) -> dict[str, Any]:
    coop = _coop(request)
    accounts = list(savings_selectors.accounts(cooperative=coop, member=member))
    today = ledger.business_today(coop)
    return {
        "member": member,
        "accounts": accounts,
        "savings_total": sum((a.balance for a in accounts), start=ZERO),
        "arrears": savings_selectors.wajib_arrears(cooperative=coop, member=member, as_of=today),
        "today": today,
        "can_manage": _can(request, "members.manage"),
        "has_exited": member.status in services.EXIT_STATUSES,
        "portal_form": portal_form or PortalLoginForm(),
        "exit_form": exit_form or ExitForm(),
    }


@require_GET
@staff_view("members.view")
def member_detail(request: HttpRequest, member_id: int) -> HttpResponse:
    member = selectors.member(cooperative=_coop(request), member_id=member_id)
    return render(request, "members/detail.html", _detail_context(request, member))


@require_POST
@staff_view("members.manage")
def portal_login(request: HttpRequest, member_id: int) -> HttpResponse:
    coop = _coop(request)
    member = selectors.member(cooperative=coop, member_id=member_id)
    form = PortalLoginForm(request.POST)
    if form.is_valid():
        try:
            password_validation.validate_password(form.cleaned_data["password"])
            user = services.create_portal_login(
                cooperative=coop,
                actor=request.user,
                member=member,
                password=form.cleaned_data["password"],
                username=form.cleaned_data["username"].strip(),
            )
        except ValidationError as exc:
            form.add_error("password", exc)
        except ServiceError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Portal login created. The member logs in as %(username)s.")
                % {"username": user.username},
            )
            return redirect("members:detail", code=coop.code, member_id=member.pk)
    messages.error(request, _("The portal login was not created. See the form below."))
    context = _detail_context(request, member, portal_form=form)
    return render(request, "members/detail.html", context, status=400)


@require_POST
@staff_view("members.manage")
def member_exit(request: HttpRequest, member_id: int) -> HttpResponse:
    coop = _coop(request)
    member = selectors.member(cooperative=coop, member_id=member_id)
    form = ExitForm(request.POST)
    if form.is_valid():
        try:
            membership.exit_member(
                cooperative=coop,
                actor=request.user,
                member=member,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                idempotency_key=f"exit:{form.cleaned_data['idempotency_key']}",
            )
        except ServiceError as exc:
            if exc.code != "already_exited":
                form.add_service_error(exc)
            else:
                # A double click: the first submit already did the work.
                messages.info(request, str(exc.message))
                return redirect("members:detail", code=coop.code, member_id=member.pk)
        else:
            messages.success(
                request, _("The membership has ended and the savings were refunded in cash.")
            )
            return redirect("members:detail", code=coop.code, member_id=member.pk)
    messages.error(request, _("The membership was not ended. See the form below."))
    context = _detail_context(request, member, exit_form=form)
    return render(request, "members/detail.html", context, status=400)


@staff_view("members.manage")
def member_register(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    form = RegisterForm(request.POST or None, cooperative=coop)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member = _register(request, coop, form)
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is registered as member number %(number)s.")
                    % {"name": member.name, "number": member.number},
                )
                for warning in member.nik_warnings:
                    messages.warning(request, warning["message"])
                return redirect("members:detail", code=coop.code, member_id=member.pk)
        messages.error(request, _("The member was not registered. Please correct the form."))
        status = 400
    context = {"form": form, "title": _("Register a member"), "member": None}
    return render(request, "members/form.html", context, status=status)


def _register(request: HttpRequest, coop: Any, form: RegisterForm) -> Member:
    # Both or neither: a member whose pokok payment failed is not half-registered.
    with transaction.atomic():
        member = membership.register_member(
            cooperative=coop, actor=request.user, data=form.member_input()
        )
        if form.cleaned_data["pay_pokok"] and coop.pokok_amount > 0:
            pokok = savings_selectors.accounts(
                cooperative=coop, member=member, kind=SavingsKind.POKOK
            ).first()
            if pokok is not None:
                savings.deposit(
                    cooperative=coop,
                    actor=request.user,
                    account_id=pokok.pk,
                    amount=coop.pokok_amount,
                    idempotency_key=f"pokok:{form.cleaned_data['idempotency_key']}",
                    note=_("Simpanan pokok paid at registration"),
                )
                member.refresh_from_db()
    return member


@staff_view("members.manage")
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    coop = _coop(request)
    member = selectors.member(cooperative=coop, member_id=member_id)
    form = MemberForm(request.POST or None, initial=MemberForm.initial_from(member))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                member = services.update_member(
                    cooperative=coop, actor=request.user, member=member, data=form.member_input()
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The member's details were saved."))
                for warning in member.nik_warnings:
                    messages.warning(request, warning["message"])
                return redirect("members:detail", code=coop.code, member_id=member.pk)
        messages.error(request, _("Nothing was saved. Please correct the form."))
        status = 400
    context = {
        "form": form,
        "title": _("Edit member %(number)s") % {"number": member.number},
        "member": member,
    }
    return render(request, "members/form.html", context, status=status)


@staff_view("members.import")
def member_import(request: HttpRequest) -> HttpResponse:
    coop = _coop(request)
    if request.method != "POST":
        return render(request, "members/import.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    upload = request.FILES.get("file")
    if ImportForm.too_large(upload):
        limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
        messages.error(
            request,
            _("The file is too large. The limit is %(limit)s MB; split it into smaller files.")
            % {"limit": f"{limit_mb:g}"},
        )
        return render(request, "members/import.html", {"form": ImportForm()}, status=413)
    if not form.is_valid():
        messages.error(request, _("Nothing was imported. Please correct the form."))
        return render(request, "members/import.html", {"form": form}, status=400)
    dry_run = form.cleaned_data["dry_run"]
    try:
        result = importer.import_members(
            cooperative=coop,
            actor=request.user,
            file_name=upload.name,
            content=upload.read(),
            pay_pokok=form.cleaned_data["pay_pokok"],
            dry_run=dry_run,
        )
    except ServiceError as exc:
        form.add_error("file", str(exc.message))
        messages.error(request, _("Nothing was imported."))
        return render(request, "members/import.html", {"form": form}, status=400)
    if not result.ok:
        messages.error(
            request,
            _(
                "Nothing was imported: %(n)s problems were found. Correct the file and upload "
                "it again."
            )
            % {"n": problem_count(result.errors)},
        )
        context = {"form": form, "errors": result.errors}
        return render(request, "members/import.html", context, status=400)
    if dry_run:
        messages.success(
            request,
            _("The file is correct: %(n)s members can be imported. Nothing was saved yet.")
            % {"n": result.created},
        )
        return render(request, "members/import.html", {"form": ImportForm()})
    messages.success(request, _("%(n)s members imported.") % {"n": result.created})
    return redirect("members:list", code=coop.code)


@require_GET
@staff_view("members.import")
def import_template(request: HttpRequest) -> HttpResponse:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(IMPORT_COLUMNS)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="template-anggota.csv"'
    return response
