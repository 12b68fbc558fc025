"""Every CSV the project produces is written here, with the same defence as `common.xlsx`.

A spreadsheet opening a CSV evaluates a cell that starts with = + - @ (or a tab or CR before
one), so a member named `=HYPERLINK(...)` would become a live formula. Text cells starting with
one of those characters get a leading apostrophe, which Excel and LibreOffice show as text.
Numbers are written as numbers (a negative amount keeps its minus sign: it is not text).
The file is UTF-8 with a byte order mark, so Excel reads the Indonesian names right.
"""

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.functional import Promise

CONTENT_TYPE = "text/csv; charset=utf-8"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell(value: Any) -> str:
    if isinstance(value, Promise):
        value = str(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"No CSV cell for {type(value).__name__}")


class CsvFile:
    """Rows of cells, sent as a download by `response()`."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def row(self, *values: Any) -> None:
        self._writer.writerow([cell(value) for value in values])

    def content(self) -> bytes:
        return self._buffer.getvalue().encode("utf-8-sig")

    def response(self, filename: str) -> HttpResponse:
        response = HttpResponse(self.content(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
