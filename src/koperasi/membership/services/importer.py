"""Bulk registration of members from a CSV or XLSX file: every row valid, or nothing written.

A cooperative moving onto the platform brings its member list as a spreadsheet. The whole file
is read and every row validated first, so the user gets one list of all problems (row, column,
what is wrong) to fix in the file; only a file without a single problem is registered, in one
transaction, through the set-based `register_members_bulk` service (same rules as the form).
"""

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.nik import parse_nik
from koperasi.errors import InvalidInput, ServiceError
from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.membership.services import joining as membership
from koperasi.savings import services as savings
from koperasi.tabular import REPORTED_PROBLEMS, RowError, problems_stopped
from koperasi.tabular import FileRefused as _Refused
from koperasi.tabular import file_error as _file_error
from koperasi.tabular import read_rows as _read_rows
from koperasi.tabular import shown as _shown
from koperasi.tabular import text as _text
from koperasi.tenancy.models import Cooperative

# Header (normalised: lower case, spaces/dashes/slashes as "_") → MemberInput field.
# The first name of each field is the one shown to users (Indonesian).
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("nama", "name", "nama_lengkap"),
    "nik": ("nik", "no_nik"),
    "sex": ("jenis_kelamin", "sex", "jk"),
    "birth_date": ("tanggal_lahir", "birth_date", "tgl_lahir"),
    "birth_place": ("tempat_lahir", "birth_place"),
    "phone": ("telepon", "hp", "phone", "no_hp", "telp"),
    "address": ("alamat", "address"),
    "village": ("desa", "village", "kelurahan", "desa_kelurahan"),
    "district": ("kecamatan", "district"),
    "regency": ("kabupaten", "kota", "regency", "kabupaten_kota"),
    "province": ("provinsi", "province"),
    "occupation": ("pekerjaan", "occupation"),
    "joined_on": ("tanggal_masuk", "joined_on", "tgl_masuk"),
}
ALIASES = {alias: field for field, names in COLUMN_NAMES.items() for alias in names}
REQUIRED_COLUMNS = ("name", "nik", "district", "regency", "province")
TEXT_FIELDS = (
    "name",
    "birth_place",
    "phone",
    "address",
    "village",
    "district",
    "regency",
    "province",
    "occupation",
)
SEX_WORDS = {
    "L": "L",
    "LAKI-LAKI": "L",
    "LAKI LAKI": "L",
    "LAKI": "L",
    "PRIA": "L",
    "P": "P",
    "PEREMPUAN": "P",
    "WANITA": "P",
}
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y")
# What Excel writes for a long number: "3.20101E+15" (or "3,20101E+15" in Indonesian locale).
_SCIENTIFIC_RE = re.compile(r"^\d+([.,]\d+)?[eE][+]?\d+$")
_HEADER_SEPARATORS_RE = re.compile(r"[\s\-/]+")


@dataclass(frozen=True)
class ImportResult:
    """`created` is the number of members registered (with dry_run: that would be registered)."""

    created: int
    errors: list[RowError]
    members: list[int]

    @property
    def ok(self) -> bool:
        return not self.errors


def import_members(
    *,
    cooperative: Cooperative,
    actor: Any,
    file_name: str,
    content: bytes,
    pay_pokok: bool = False,
    dry_run: bool = False,
) -> ImportResult:
    """Validate every row of the file; register them all (one transaction) only if all are valid.

    With `pay_pokok` each new member's simpanan pokok is also paid in cash, which activates them.
    With `dry_run` nothing is written.
    """
    try:
        rows = _read_rows(file_name, content)
        header_row, header = next(rows, (0, []))
        columns, labels = _columns(header_row, header)
        data_rows = list(rows)  # read_rows stops at the upload limits (settings.UPLOAD_MAX_*)
        if not data_rows:
            raise _file_error("empty_file", _("The file has no member rows."))
    except _Refused as refused:
        return ImportResult(0, refused.errors, [])
    valid, errors = _validate(cooperative, data_rows, columns, labels)
    if errors:
        return ImportResult(0, errors, [])
    if dry_run:
        return ImportResult(len(valid), [], [])
    try:
        ids = _register(cooperative, actor, file_name, valid, labels, pay_pokok=pay_pokok)
    except _Refused as refused:
        return ImportResult(0, refused.errors, [])
    return ImportResult(len(ids), [], ids)


# --- reading ---------------------------------------------------------------------------------


def _columns(header_row: int, header: list[Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Map each field to its column index, and to the column's name as the user wrote it."""
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        label = _shown(_text(cell))
        if not label:
            continue  # an unnamed (usually empty, formatted) column
        key = _HEADER_SEPARATORS_RE.sub("_", label.lower().rstrip("*").strip())
        field = ALIASES.get(key)
        if field is None:
            errors.append(
                RowError(
                    header_row,
                    label,
                    "unknown_column",
                    str(
                        _('Unknown column "%(column)s". Known columns: %(known)s.')
                        % {"column": label, "known": ", ".join(n[0] for n in COLUMN_NAMES.values())}
                    ),
                )
            )
        elif field in columns:
            errors.append(
                RowError(
                    header_row,
                    label,
                    "duplicate_column",
                    str(
                        _('Column "%(column)s" repeats column "%(other)s".')
                        % {"column": label, "other": labels[field]}
                    ),
                )
            )
        else:
            columns[field] = index
            labels[field] = label
    for field in REQUIRED_COLUMNS:
        if field not in columns:
            name = COLUMN_NAMES[field][0]
            errors.append(
                RowError(
                    header_row,
                    name,
                    "missing_column",
                    str(_('The file needs a column "%(column)s".') % {"column": name}),
                )
            )
    if errors:
        raise _Refused(errors)
    for field in COLUMN_NAMES:
        labels.setdefault(field, COLUMN_NAMES[field][0])
    return columns, labels


# --- cell values -----------------------------------------------------------------------------


def _date_value(value: Any) -> dt.date | str | None:
    """An Excel date cell as a date; text as typed (the service parses it); blank as None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return _text(value) or None


def _parse_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ValidRow:
    row: int
    clean: members.CleanMember
    joined_on: dt.date | None


def _validate(
    cooperative: Cooperative,
    rows: list[tuple[int, list[Any]]],
    columns: dict[str, int],
    labels: dict[str, str],
) -> tuple[list[_ValidRow], list[RowError]]:
    # One query for the registered NIKs instead of one per row.
    existing = set(Member.objects.filter(cooperative=cooperative).values_list("nik", flat=True))
    first_row_of: dict[str, int] = {}
    valid: list[_ValidRow] = []
    errors: list[RowError] = []
    for number, cells in rows:
        if len(errors) >= REPORTED_PROBLEMS:
            errors.append(problems_stopped(number))
            break
        cell = {f: cells[i] if i < len(cells) else None for f, i in columns.items()}
        row_errors: list[ServiceError] = []
        data = members.MemberInput(
            **{f: _text(cell.get(f)) for f in TEXT_FIELDS},
            nik=_nik_text(cell.get("nik"), row_errors),
            sex=SEX_WORDS.get(_text(cell.get("sex")).upper(), _text(cell.get("sex"))),
            birth_date=_date_value(cell.get("birth_date")),
        )
        joined_on = _joined_on(cell.get("joined_on"), row_errors)
        for f in TEXT_FIELDS:
            limit = Member._meta.get_field(f).max_length
            if limit and len(getattr(data, f)) > limit:
                row_errors.append(
                    ServiceError("too_long", _("At most %(max)s characters.") % {"max": limit}, f)
                )
        clean = None
        try:
            clean = members.clean_member_input(cooperative, data, existing_niks=existing)
        except InvalidInput as exc:
            row_errors.extend(_relevant(exc.errors, row_errors, data))
        nik = _normalized_nik(data.nik)
        if nik is not None:
            if nik in first_row_of:
                row_errors.append(
                    ServiceError(
                        "duplicate_in_file",
                        _("This NIK is already in row %(row)s of this file.")
                        % {"row": first_row_of[nik]},
                        "nik",
                    )
                )
            else:
                first_row_of[nik] = number
        if row_errors:
            errors.extend(
                RowError(number, labels.get(e.field or "", e.field), e.code, str(e.message))
                for e in row_errors
            )
        elif clean is not None:
            valid.append(_ValidRow(number, clean, joined_on))
    return valid, errors


def _nik_text(value: Any, errors: list[ServiceError]) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _text(value).lstrip("'")  # a leading apostrophe is how Excel users force text
    if isinstance(value, float) or _SCIENTIFIC_RE.match(text):
        # Excel keeps 15 digits of a number, so the NIK's last digit is already lost.
        errors.append(
            ServiceError(
                "nik_as_number",
                _(
                    "Excel turned this NIK into a number and lost digits. Format the NIK column as "
                    "Text, type the NIKs again and re-upload."
                ),
                "nik",
            )
        )
    return text


def _joined_on(value: Any, errors: list[ServiceError]) -> dt.date | None:
    raw = _date_value(value)
    if raw is None:
        return None
    joined = _parse_date(raw)
    if joined is None:
        errors.append(ServiceError("invalid_date", _("Enter the date as DD/MM/YYYY."), "joined_on"))
    elif joined > dt.date.today():
        errors.append(ServiceError("future_date", _("The date is in the future."), "joined_on"))
    return joined


def _normalized_nik(raw: str) -> str | None:
    try:
        return parse_nik(raw).nik
    except DomainError:
        return None


def _relevant(
    found: list[ServiceError], ours: list[ServiceError], data: members.MemberInput
) -> list[ServiceError]:
    """Drop the service's errors that only repeat a NIK problem already reported.

    A bad NIK also leaves sex and birth date (derived from it when blank) unknown; telling the
    user three times about one mistake would hide the cause.
    """
    nik_bad = any(e.field == "nik" for e in ours + found)
    kept = []
    for error in found:
        if error.field == "nik" and any(e.field == "nik" for e in ours):
            continue
        if nik_bad and error.field == "sex" and not data.sex:
            continue
        if nik_bad and error.field == "birth_date" and not data.birth_date:
            continue
        kept.append(error)
    return kept


# --- writing ---------------------------------------------------------------------------------


def _register(
    cooperative: Cooperative,
    actor: Any,
    file_name: str,
    rows: list[_ValidRow],
    labels: dict[str, str],
    *,
    pay_pokok: bool,
) -> list[int]:
    """Set-based: a few statements for the whole file, in one transaction."""
    try:
        with transaction.atomic():
            created = membership.register_members_bulk(
                cooperative=cooperative,
                actor=actor,
                members_in=[(row.clean, row.joined_on) for row in rows],
            )
            ids = [member.pk for member in created]
            if pay_pokok:
                savings.pay_pokok_bulk(
                    cooperative=cooperative,
                    actor=actor,
                    member_ids=ids,
                    idempotency_key=f"import-{uuid.uuid4().hex}",
                    note=file_name,
                )
            audit.record(
                cooperative=cooperative,
                actor=actor,
                action="members.import",
                summary=f"{file_name}: {len(ids)}",
                data={
                    "file_name": file_name,
                    "count": len(ids),
                    "pay_pokok": pay_pokok,
                    "numbers": [created[0].number, created[-1].number] if created else [],
                },
            )
    except ServiceError as exc:
        # Something changed since validation (e.g. the same NIK registered meanwhile): the
        # transaction is rolled back, so nothing of this file is kept.
        found = exc.errors if isinstance(exc, InvalidInput) else [exc]
        raise _Refused(
            [RowError(0, labels.get(e.field or "", e.field), e.code, str(e.message)) for e in found]
        ) from exc
    return ids
