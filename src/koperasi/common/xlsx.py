"""Every XLSX the project produces is written here: one place decides how a value becomes a cell.

Text goes in as text, never as a formula. openpyxl makes a formula of any str that starts with
"=" (and an error cell of "#N/A"), so a member named `=HYPERLINK("http://x","klik")` would be
a live link in the statement. Each str cell is given the string type explicitly instead: Excel
and LibreOffice show a string cell exactly as typed and evaluate only formula cells, so the
name stays visible unchanged, with no added character. (The CSV defence, a leading apostrophe,
would be part of the text of an XLSX cell and show; "+", "-", "@", tab and CR only start a
formula when typed or imported from CSV, not in a string cell.)

Amounts (Decimal) are real numbers with a money format, exact (never through float); dates
are dates. The workbook is written row by row (openpyxl's write-only mode), so a long statement
does not sit in memory as cell objects.
"""

import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
# Control characters that XML 1.0 cannot carry (openpyxl refuses them): shown as U+FFFD. A CR
# would reach every reader as LF (XML's line-end rule), so it is written as LF.
_UNWRITABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
_BOLD = Font(bold=True)


class Sheet:
    """A workbook of one sheet, written row by row; `response()` sends it as a download."""

    def __init__(self, title: str, widths: Mapping[str, float] | None = None):
        self._book = Workbook(write_only=True)
        # Excel's rules for a sheet name: at most 31 characters, none of \ / * ? : [ ].
        self._sheet = self._book.create_sheet(_SHEET_TITLE_FORBIDDEN.sub(" ", str(title))[:31])
        # Column widths go before the first row in a write-only sheet.
        for column, width in (widths or {}).items():
            self._sheet.column_dimensions[column].width = width

    def row(self, *values: Any, bold: bool = False) -> None:
        self._sheet.append([self._cell(value, bold) for value in values])

    def _cell(self, value: Any, bold: bool) -> Cell:
        cell = WriteOnlyCell(self._sheet)
        if isinstance(value, Promise):
            value = str(value)
        if value is None or value == "":
            pass
        elif isinstance(value, str):
            cell.value = _UNWRITABLE.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))
            cell.data_type = "s"  # not "f" (a leading "=") nor "e" (a leading "#")
        elif isinstance(value, bool):
            cell.value = value
        elif isinstance(value, Decimal):
            cell.value = value
            cell.number_format = MONEY_FORMAT
        elif isinstance(value, int):
            cell.value = value
        elif isinstance(value, dt.datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            cell.value = local.replace(tzinfo=None)
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            cell.value = value
            cell.number_format = DATE_FORMAT
        else:
            # Money is Decimal only; anything else has no agreed form in a cell.
            raise TypeError(f"No XLSX cell for {type(value).__name__}")
        if bold:
            cell.font = _BOLD
        return cell

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self._book.save(buffer)
        return buffer.getvalue()

    def response(self, filename: str) -> HttpResponse:
        response = HttpResponse(self.content(), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# A list page's download stops here: past it, the list is narrowed by its filters first.
LIST_ROW_LIMIT = 100_000


def list_download(
    title: str | Promise,
    filename: str,
    headers: Sequence[str | Promise],
    rows: Iterable[Sequence[Any]],
    widths: Mapping[str, float] | None = None,
) -> HttpResponse:
    """A list page as XLSX: its header row, then its rows (read as they are written), at most
    LIST_ROW_LIMIT of them; a last line says when the list was cut."""
    sheet = Sheet(title, widths)
    sheet.row(*headers, bold=True)
    for n, row in enumerate(rows):
        if n == LIST_ROW_LIMIT:
            sheet.row(
                _("Only the first %(count)s rows: narrow the filter to download the rest.")
                % {"count": f"{LIST_ROW_LIMIT:,}".replace(",", ".")}
            )
            break
        sheet.row(*row)
    return sheet.response(filename)
