"""The payroll deduction (potong gaji) import page: upload → preview → confirm.

Upload validates and reconciles the employer's file without posting (`dry_run`). A file with
any bad row is refused whole and nothing is kept. A good file is stored under MEDIA_ROOT in a
folder named by a random token, and the token is the idempotency key's tail: confirming reads
the same bytes back and posts them with the same key, so a double click, a resubmitted page or a
confirm after a crash posts once; every confirm but the one that posted answers 409.
"""

import json
import re
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from koperasi.common.decorators import staff_view
from koperasi.errors import Conflict, ServiceError
from koperasi.loans import payroll as deductions
from koperasi.tabular import RowError, problem_count
from koperasi.tenancy.models import Cooperative

UPLOAD_DIR = "payroll-uploads"
POSTED_MARKER = "posted.json"
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
TEMPLATE = "loans/payroll.html"


class PayrollUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Deduction file (.csv or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(
                gettext_lazy("Upload a .csv or .xlsx file."), code="file_type"
            )
        if upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                gettext_lazy("The file is too large. The limit is %(limit)s MB.")
                % {"limit": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):g}"},
                code="too_large",
            )
        return upload


# --- the stored upload ------------------------------------------------------------------------


def idempotency_key(token: str) -> str:
    return f"payroll:{token}"


def _folder(cooperative: Cooperative, token: str) -> str:
    # The cooperative is part of the path: another cooperative's token finds nothing here.
    return f"{UPLOAD_DIR}/{cooperative.pk}/{token}"


def store_upload(cooperative: Cooperative, file_name: str, content: bytes, token: str) -> str:
    name = get_valid_filename(file_name.replace("\\", "/").rsplit("/", 1)[-1]) or "potong.csv"
    default_storage.save(f"{_folder(cooperative, token)}/{name}", ContentFile(content))
    return token


def load_upload(cooperative: Cooperative, token: str) -> tuple[str, bytes] | None:
    """(file name, content) of a stored upload, or None for an unknown or malformed token."""
    if not _TOKEN_RE.match(token):
        return None
    folder = _folder(cooperative, token)
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return None
    names = [name for name in files if name != POSTED_MARKER]
    if len(names) != 1:
        return None
    with default_storage.open(f"{folder}/{names[0]}", "rb") as handle:
        return names[0], handle.read()


def posted_record(cooperative: Cooperative, token: str) -> dict[str, Any] | None:
    path = f"{_folder(cooperative, token)}/{POSTED_MARKER}"
    if not _TOKEN_RE.match(token) or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return dict(json.loads(handle.read()))


def _mark_posted(cooperative: Cooperative, token: str, posted: int, actor: Any) -> None:
    record = {
        "posted": posted,
        "at": timezone.now().isoformat(),
        "by": actor.get_username(),
    }
    default_storage.save(
        f"{_folder(cooperative, token)}/{POSTED_MARKER}",
        ContentFile(json.dumps(record).encode()),
    )


# --- the page ---------------------------------------------------------------------------------


def _coop(request: HttpRequest) -> Cooperative:
    return request.cooperative  # type: ignore[attr-defined]  # set by staff_view


def _page(
    request: HttpRequest,
    form: PayrollUploadForm,
    *,
    result: deductions.PayrollResult | None = None,
    token: str = "",
    file_name: str = "",
    posted: bool = False,
    status: int = 200,
) -> HttpResponse:
    counts = result.counts if result is not None else {}
    postable = sum(counts.get(s, (0,))[0] for s in ("matched", "partial", "over"))
    context = {
        "form": form,
        "result": result,
        "errors": result.errors if result is not None else [],
        "counts": [
            (status_, *counts[status_]) for status_ in deductions.STATUSES if status_ in counts
        ],
        # (line, amount − due): what the employer paid more (+) or less (−) than was due.
        "lines": [
            (line, line.amount - line.due if line.status != "unknown" else None)
            for line in (result.lines if result is not None else [])
        ],
        "postable": postable,
        "token": token,
        "file_name": file_name,
        "posted": posted,
        "columns": {
            "identifier": deductions.IDENTIFIER_COLUMNS,
            "amount": deductions.AMOUNT_COLUMNS,
        },
    }
    return render(request, TEMPLATE, context, status=status)


def _file_problem(message: str) -> deductions.PayrollResult:
    return deductions.PayrollResult(errors=[RowError(0, None, "bad_file", message)])


def _upload(request: HttpRequest) -> HttpResponse:
    """Check and reconcile the file without posting; keep it only when it is good."""
    coop = _coop(request)
    form = PayrollUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Nothing was posted. Please correct the form."))
        return _page(request, form, status=400)
    upload = form.cleaned_data["file"]
    content = upload.read()
    token = uuid.uuid4().hex
    try:
        result = deductions.import_deductions(
            cooperative=coop,
            actor=request.user,
            file_name=upload.name,
            content=content,
            idempotency_key=idempotency_key(token),
            dry_run=True,
        )
    except ServiceError as exc:
        result = _file_problem(str(exc.message))
    if not result.ok:
        messages.error(
            request,
            _(
                "Nothing was posted: %(n)s problems were found. Correct the file and upload "
                "it again."
            )
            % {"n": problem_count(result.errors)},
        )
        return _page(request, PayrollUploadForm(), result=result, status=400)
    token = store_upload(coop, upload.name, content, token)
    messages.info(
        request,
        _("The file is correct. Check the reconciliation below, then confirm to post it."),
    )
    return _page(request, PayrollUploadForm(), result=result, token=token, file_name=upload.name)


def _confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Post the stored file with the key made at upload: a second confirm posts nothing."""
    coop = _coop(request)
    stored = load_upload(coop, token)
    if stored is None:
        messages.error(request, _("This upload was not found. Upload the file again."))
        return _page(request, PayrollUploadForm(), status=404)
    file_name, content = stored
    done = posted_record(coop, token)
    if done is not None:
        messages.warning(
            request,
            _("This file was already posted (%(n)s repayments). Nothing was posted again.")
            % {"n": done.get("posted", 0)},
        )
        return _page(request, PayrollUploadForm(), file_name=file_name, posted=True, status=409)
    try:
        result = deductions.import_deductions(
            cooperative=coop,
            actor=request.user,
            file_name=file_name,
            content=content,
            idempotency_key=idempotency_key(token),
            dry_run=False,
        )
    except Conflict as exc:
        # Posted meanwhile by another confirm (another window, a double click that raced).
        messages.warning(request, str(exc.message))
        return _page(request, PayrollUploadForm(), file_name=file_name, posted=True, status=409)
    except ServiceError as exc:
        result = _file_problem(str(exc.message))
    if not result.ok:
        messages.error(request, _("Nothing was posted: the file can no longer be posted as it is."))
        return _page(request, PayrollUploadForm(), result=result, file_name=file_name, status=400)
    _mark_posted(coop, token, result.posted, request.user)
    messages.success(
        request,
        _("%(n)s repayments posted from %(file)s.") % {"n": result.posted, "file": file_name},
    )
    return _page(request, PayrollUploadForm(), result=result, file_name=file_name, posted=True)


@staff_view("loans.payroll")
def payroll_page(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, PayrollUploadForm())
    if request.POST.get("action") == "confirm":
        return _confirm(request, request.POST.get("token", ""))
    return _upload(request)
