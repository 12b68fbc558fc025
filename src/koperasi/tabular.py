"""Reading an uploaded CSV or XLSX file into rows, for every import (members, payroll).

Problems are reported per row as the user sees the file (header = row 1), in the user's
language, so one list tells them everything to fix.

Every upload path (the import pages, `koperasi import-members`) reads through `read_rows`, so
one set of limits (settings `UPLOAD_MAX_*`, docs/operations.md) bounds the memory and time a
file can take. An XLSX is a zip of XML: before openpyxl parses anything, the archive's declared
sizes and compression ratios are checked (without extracting) and each XML part is streamed
once through expat, which holds nothing, to refuse what would make openpyxl hold a lot: a DTD
(entity expansion), a row with more cells than Excel allows, or a mass of elements that its
parser keeps. Then the sheet's declared dimension is checked, and reading stops at the row,
column and cell-size limits (a declared dimension can lie).
"""

import csv
import datetime as dt
import io
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

import openpyxl
from django.conf import settings
from django.utils.translation import gettext_lazy as _

ZIP_MAGIC = b"PK\x03\x04"
# Checking stops after this many problems: the list stays readable and the page small.
REPORTED_PROBLEMS = 200
STOPPED = "too_many_problems"
# Excel's own widest row (column XFD): a row with more cells was not made by a spreadsheet.
EXCEL_COLUMNS = 16_384
# Elements inside one row (or one shared string): cells, values, rich-text runs.
CONTAINER_ELEMENTS = 4 * EXCEL_COLUMNS
# Elements of one XML part outside its rows / shared strings: openpyxl keeps these in memory
# (styles, merged cells, …); a real workbook has a few thousand.
OTHER_ELEMENTS = 100_000
# Parts smaller than this are not checked for their compression ratio (styles, themes and
# small sheets compress well and cost nothing).
RATIO_FLOOR = 1024 * 1024
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW = f"{_MAIN_NS} row"
_SHARED_STRING = f"{_MAIN_NS} si"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_SPREADSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_SHARED_STRINGS_TYPE = f"{_SPREADSHEET_TYPE}sharedStrings+xml"
_WORKBOOK_TYPES = (  # in the order openpyxl looks for them
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    f"{_SPREADSHEET_TYPE}template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    f"{_SPREADSHEET_TYPE}sheet.main+xml",
)


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


def file_error(code: str, message: Any, row: int = 0) -> FileRefused:
    return FileRefused([RowError(row, None, code, str(message))])


@dataclass(frozen=True)
class Limits:
    """What an uploaded file may hold; from the settings (docs/operations.md)."""

    max_bytes: int
    max_rows: int  # data rows below the header
    max_columns: int
    max_cell_chars: int
    max_inflated_bytes: int  # an XLSX's parts, uncompressed, together
    max_compression_ratio: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            max_bytes=settings.MAX_UPLOAD_BYTES,
            max_rows=settings.UPLOAD_MAX_ROWS,
            max_columns=settings.UPLOAD_MAX_COLUMNS,
            max_cell_chars=settings.UPLOAD_MAX_CELL_CHARS,
            max_inflated_bytes=settings.UPLOAD_MAX_INFLATED_BYTES,
            max_compression_ratio=settings.UPLOAD_MAX_COMPRESSION_RATIO,
        )


def too_large(size: int) -> FileRefused | None:
    """The refusal for a file of `size` bytes, or None when it may be read."""
    if size <= settings.MAX_UPLOAD_BYTES:
        return None
    return file_error(
        "too_large",
        _("The file is too large (at most %(mb)s MB).")
        % {"mb": _megabytes(settings.MAX_UPLOAD_BYTES)},
    )


def read_rows(file_name: str, content: bytes) -> Iterator[tuple[int, list[Any]]]:
    """Non-blank rows as (row number in the file, cell values); the first is the header."""
    limits = Limits.from_settings()
    refusal = too_large(len(content))
    if refusal is not None:
        raise refusal
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in ("csv", "xlsx"):
        raise file_error("bad_file", _("Upload a CSV or Excel (.xlsx) file."))
    if not content.strip():
        raise file_error("empty_file", _("The file is empty."))
    raw = _csv_rows(content, limits) if extension == "csv" else _xlsx_rows(content, limits)
    rows = ((n, cells) for n, cells in _bounded(raw, limits) if any(text(c) for c in cells))
    first = next(rows, None)
    if first is None:
        raise file_error("empty_file", _("The file is empty."))
    yield first
    yield from rows


def problems_stopped(row: int) -> RowError:
    """The last entry of a list of problems cut at REPORTED_PROBLEMS."""
    return RowError(
        row,
        None,
        STOPPED,
        str(
            _(
                "Checking stopped after %(max)s problems. Correct them and upload the file again "
                "to check the rest."
            )
            % {"max": REPORTED_PROBLEMS}
        ),
    )


def problem_count(errors: list[RowError]) -> int:
    return sum(1 for error in errors if error.code != STOPPED)


def shown(label: str, limit: int = 40) -> str:
    """A value from the file as a message may quote it: never the file's contents in bulk."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g}"


def _bounded(
    rows: Iterator[tuple[int, list[Any]]], limits: Limits
) -> Iterator[tuple[int, list[Any]]]:
    """Stop at the first row past the limits, blank or not (a sheet may have a million)."""
    for number, cells in rows:
        if number > limits.max_rows + 1:
            raise _too_many_rows(limits)
        # As wide as its last cell, empty or not: the width the sheet's dimension declares.
        if len(cells) > limits.max_columns:
            raise _too_many_columns(len(cells), limits, number)
        for value in cells:
            if isinstance(value, str) and len(value) > limits.max_cell_chars:
                raise file_error(
                    "cell_too_long",
                    _("A cell holds more than %(max)s characters.")
                    % {"max": _thousands(limits.max_cell_chars)},
                    row=number,
                )
        yield number, cells


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _too_many_columns(count: int, limits: Limits, row: int = 0) -> FileRefused:
    return file_error(
        "too_many_columns",
        _(
            "The sheet has %(count)s columns; at most %(max)s are accepted. Delete the columns "
            "to the right of the data and save the file again."
        )
        % {"count": _thousands(count), "max": limits.max_columns},
        row=row,
    )


# --- CSV -------------------------------------------------------------------------------------


def _csv_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(
            "bad_file", _('The file cannot be read. Save it as "CSV UTF-8" and try again.')
        ) from None
    if "\x00" in text:
        raise file_error("bad_file", _("This is not a CSV file."))
    # Excel with Indonesian regional settings separates with ";": pick what the header uses.
    delimiter = max((",", ";", "\t"), key=_first_line(text).count)
    # The csv module refuses a field over 128 KiB with an English error; the upload size bounds
    # a field anyway and _bounded says what is wrong. (The limit is process-wide: only raised.)
    field_limit = min(limits.max_bytes, 2**31 - 1)  # a C long
    if csv.field_size_limit() < field_limit:
        csv.field_size_limit(field_limit)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise file_error(
            "bad_file",
            _("The CSV file is malformed near line %(line)s.") % {"line": reader.line_num},
        ) from exc


def _first_line(text: str) -> str:
    """The first non-blank line, without splitting the whole file into lines."""
    start = 0
    while True:
        end = text.find("\n", start)
        line = text[start:] if end < 0 else text[start:end]
        if line.strip() or end < 0:
            return line
        start = end + 1


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    if not content.startswith(ZIP_MAGIC):
        raise file_error("bad_file", _("This is not an Excel (.xlsx) file."))
    bad = file_error("bad_file", _("The Excel file cannot be read; it may be damaged."))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise bad from exc
    with archive:
        _check_archive(archive, limits, bad)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any parser failure on an uploaded file means a bad file
        raise bad from exc
    try:
        try:
            sheet = book.worksheets[0]
        except IndexError as exc:
            raise bad from exc
        _check_declared_size(sheet, limits)
        sheet.reset_dimensions()  # don't trust the stored size: some writers get it wrong
        # openpyxl yields every row from 1 (filling gaps), so enumerate gives the Excel row; a
        # row is as wide as its last cell, which the limits stop at the first wide row.
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        while True:
            try:
                number, values = next(rows)
            except StopIteration:
                return
            except Exception as exc:
                raise bad from exc
            yield number, list(values)
    finally:
        book.close()


def _check_declared_size(sheet: Any, limits: Limits) -> None:
    """Refuse on the sheet's own <dimension> before reading a row of it."""
    if sheet.max_column is not None and sheet.max_column > limits.max_columns:
        raise _too_many_columns(sheet.max_column, limits)
    if sheet.max_row is not None and sheet.max_row > limits.max_rows + 1:
        raise file_error(
            "too_many_rows",
            _(
                "The sheet has %(count)s rows; at most %(max)s are accepted. Split it into "
                "several files."
            )
            % {"count": _thousands(sheet.max_row), "max": _thousands(limits.max_rows)},
        )


def _suspicious() -> FileRefused:
    return file_error(
        "suspicious_file",
        _(
            "This Excel file is built unlike a normal spreadsheet, so it was not opened. Save it "
            "again from Excel or LibreOffice, or upload it as CSV."
        ),
    )


def _check_archive(archive: zipfile.ZipFile, limits: Limits, bad: FileRefused) -> None:
    """Sizes from the zip's directory (a member never inflates past its declared size: zipfile
    stops there and a wrong CRC fails), then one streaming pass over every XML part."""
    parts = archive.infolist()
    total = 0
    for part in parts:
        total += part.file_size
        if total > limits.max_inflated_bytes:
            raise file_error(
                "too_large",
                _(
                    "The Excel file unpacks to more than %(mb)s MB. Split it into several files, "
                    "or upload it as CSV."
                )
                % {"mb": _megabytes(limits.max_inflated_bytes)},
            )
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise _suspicious()
    names = {part.filename for part in parts}
    streamed = _streamed_parts(archive, names, limits, bad)
    for part in parts:
        _scan_part(archive, part, streamed.get(part.filename), bad)


@dataclass(frozen=True)
class _Container:
    """An element that openpyxl (read-only) parses one at a time and then drops: a row of a
    worksheet, a string of the shared strings. It keeps every other element of a part."""

    name: str
    most: int  # how many a part may have
    refusal: Callable[[], FileRefused]


def _streamed_parts(
    archive: zipfile.ZipFile, names: set[str], limits: Limits, bad: FileRefused
) -> dict[str, _Container]:
    """Which parts openpyxl streams, found as it finds them (reader/excel.py): the shared
    strings and the workbook from [Content_Types].xml, the sheets from the workbook's rels."""
    overrides: list[tuple[str, str]] = []  # (part, content type), in the file's order
    defaults: set[str] = set()

    def content_type(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_TYPES_NS} Override":
            overrides.append((attrs.get("PartName", "").lstrip("/"), attrs.get("ContentType", "")))
        elif name == f"{_TYPES_NS} Default":
            defaults.add(attrs.get("ContentType", ""))

    _scan_part(archive, "[Content_Types].xml", None, bad, content_type)

    def first(*kinds: str) -> str | None:
        return next((part for kind in kinds for part, of in overrides if of == kind), None)

    workbook = first(*_WORKBOOK_TYPES) or (
        "xl/workbook.xml" if defaults & set(_WORKBOOK_TYPES) else ""
    )
    folder, base = posixpath.split(workbook)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    sheets: dict[str, bool] = {}  # target → streamed (a worksheet named once)

    def relationship(name: str, attrs: dict[str, str]) -> None:
        if name == f"{_RELS_NS} Relationship":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            path = posixpath.normpath(path)
            kind = attrs.get("Type", "")
            if "chartsheet" in kind or path in sheets:
                sheets[path] = False  # a chartsheet is read whole
            elif kind.endswith("/worksheet"):
                sheets[path] = True

    if rels in names:
        _scan_part(archive, rels, None, bad, relationship)
    streamed: dict[str, _Container] = {}
    strings_part = first(_SHARED_STRINGS_TYPE)
    if strings_part is not None:
        # Up to ten distinct texts a row (a member row has about seven).
        streamed[strings_part] = _Container(_SHARED_STRING, 10 * (limits.max_rows + 1), _suspicious)
    rows = _Container(_ROW, limits.max_rows + 1, lambda: _too_many_rows(limits))
    for path, is_worksheet in sheets.items():
        if is_worksheet:
            streamed[path] = rows
        else:
            streamed.pop(path, None)
    # The parts openpyxl reads whole, by their fixed names or as a workbook, never stream.
    whole = {"[Content_Types].xml", "_rels/.rels", "xl/styles.xml", "docProps/core.xml"}
    whole |= {"docProps/custom.xml", workbook, rels}
    whole |= {part for part, kind in overrides if kind in _WORKBOOK_TYPES}
    return {name: container for name, container in streamed.items() if name not in whole}


def _too_many_rows(limits: Limits) -> FileRefused:
    return file_error(
        "too_many_rows",
        _("The file has more than %(max)s rows. Split it into several files.")
        % {"max": _thousands(limits.max_rows)},
    )


class _Refuse(Exception):
    def __init__(self, refusal: FileRefused):
        self.refusal = refusal


class _PartScan:
    """Counts elements as expat streams a part; raises _Refuse past the bounds."""

    def __init__(
        self,
        container: _Container | None,
        collect: Callable[[str, dict[str, str]], None] | None,
    ):
        self.container = container.name if container is not None else None
        self.container_rule = container
        self.collect = collect
        self.depth = 0  # inside a container: its depth (1 = the container itself)
        self.inside = 0
        self.containers = 0
        self.outside = 0

    def start(self, name: str, attrs: list[str]) -> None:
        if self.depth:
            self.depth += 1
            self.inside += 1
            if self.inside > CONTAINER_ELEMENTS:
                raise _Refuse(_suspicious())
        elif name == self.container and self.container_rule is not None:
            self.depth, self.inside = 1, 0
            self.containers += 1
            if self.containers > self.container_rule.most:
                raise _Refuse(self.container_rule.refusal())
        else:
            self.outside += 1
            if self.outside > OTHER_ELEMENTS:
                raise _Refuse(_suspicious())
            if self.collect is not None:
                self.collect(name, dict(zip(attrs[::2], attrs[1::2], strict=True)))

    def end(self, _name: str) -> None:
        if self.depth:
            self.depth -= 1

    def doctype(self, *_args: Any) -> None:
        # A DTD is how entity-expansion bombs work; no part of a real workbook has one.
        raise _Refuse(_suspicious())


def _scan_part(
    archive: zipfile.ZipFile,
    part: str | zipfile.ZipInfo,
    container: _Container | None,
    bad: FileRefused,
    collect: Callable[[str, dict[str, str]], None] | None = None,
) -> None:
    scan = _PartScan(container, collect)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.ordered_attributes = True  # a list, cheaper than a dict per element
    parser.StartElementHandler = scan.start
    parser.EndElementHandler = scan.end
    parser.StartDoctypeDeclHandler = scan.doctype
    try:
        with archive.open(part) as stream:
            while chunk := stream.read(1 << 16):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refuse as refused:
        raise refused.refusal from None
    except expat.ExpatError:
        # Not XML (an image), or broken XML: openpyxl's parser (expat too) stops at the same
        # place, so nothing past it is ever read.
        return
    except (zipfile.BadZipFile, KeyError, ValueError, RuntimeError, OSError, EOFError) as exc:
        raise bad from exc  # NotImplementedError (an unknown compression) is a RuntimeError


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
