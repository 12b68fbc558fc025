"""Reading an uploaded CSV or XLSX file into rows, for every import (members, payroll).

Problems are reported per row as the user sees the file (header = row 1), in the user's
language, so one list tells them everything to fix.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.conf import settings
from django.utils.translation import gettext_lazy as _

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row number as the user sees it in the file (header = row 1); 0 = file
    field: str | None  # column name as written in the file, or None for a whole-row problem
    code: str
    message: str  # in the active language


class FileRefused(Exception):
    """The file cannot be read at all, or a problem that refuses it whole."""

    def __init__(self, errors: list[RowError]):
        super().__init__(errors[0].message)
        self.errors = errors


def file_error(code: str, message: Any) -> FileRefused:
    return FileRefused([RowError(0, None, code, str(message))])


def read_rows(file_name: str, content: bytes) -> Iterator[tuple[int, list[Any]]]:
    """Non-blank rows as (row number in the file, cell values); the first is the header."""
    if len(content) > settings.MAX_UPLOAD_BYTES:
        raise file_error(
            "too_large",
            _("The file is too large (at most %(mb)s MB).")
            % {"mb": round(settings.MAX_UPLOAD_BYTES / 1024 / 1024, 1)},
        )
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in ("csv", "xlsx"):
        raise file_error("bad_file", _("Upload a CSV or Excel (.xlsx) file."))
    if not content.strip():
        raise file_error("empty_file", _("The file is empty."))
    raw = _csv_rows(content) if extension == "csv" else _xlsx_rows(content)
    rows = ((n, cells) for n, cells in raw if any(text(c) for c in cells))
    first = next(rows, None)
    if first is None:
        raise file_error("empty_file", _("The file is empty."))
    yield first
    yield from rows


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(
            "bad_file", _('The file cannot be read. Save it as "CSV UTF-8" and try again.')
        ) from None
    if "\x00" in text:
        raise file_error("bad_file", _("This is not a CSV file."))
    # Excel with Indonesian regional settings separates with ";": pick what the header uses.
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=header_line.count)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise file_error(
            "bad_file", _("The CSV file is malformed: %(error)s") % {"error": exc}
        ) from exc


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    if not content.startswith(ZIP_MAGIC):
        raise file_error("bad_file", _("This is not an Excel (.xlsx) file."))
    bad = file_error("bad_file", _("The Excel file cannot be read; it may be damaged."))
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any parser failure on an uploaded file means a bad file
        raise bad from exc
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # don't trust the stored size: some writers get it wrong
        # openpyxl yields every row from 1 (filling gaps), so enumerate gives the Excel row.
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(values)
    except Exception as exc:
        raise bad from exc
    finally:
        book.close()


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
