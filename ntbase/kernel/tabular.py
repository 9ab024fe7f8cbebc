"""CSV and XLSX in and out, in one place: every upload and export of NTBase uses it.

Reading (``read_table``) turns an upload into rows of text, or refuses it with a
``TableError`` (a ``DomainError`` on the field ``file``) that says what to do:

- CSV in UTF-8 (with or without the BOM Excel adds) or GB18030, the superset of the GBK
  that Excel on Chinese Windows writes; ``\\r\\n``, ``\\n`` and old Mac ``\\r`` all end a
  row, and quoted cells may hold line breaks. Only the delimiter may be guessed.
- XLSX through openpyxl with cached values only (``data_only``): a formula is never
  evaluated or kept. A workbook that would unpack to more than ``max_unpacked`` bytes is
  refused before openpyxl opens it (openpyxl reads a whole part into memory: a zip bomb).
  Formulas saved without their result (files written by scripts) are named cell by cell
  instead of silently reading as empty, unless the caller opts out.
- Size, row and column limits are the caller's; counting stops at the first row over the
  limit, so a million-row file is not read to the end to be refused.

Each refusal has a generic translated message; a caller may word any of them its own way
(``messages={"too_many_rows": _l("At most %(n)s courses per file: split the file.")}``);
the placeholders ``%(n)s`` (rows), ``%(mb)s``, ``%(cells)s`` and ``%(error)s`` are filled in.

Writing (``to_csv``, ``to_xlsx``, ``download``) escapes every cell a spreadsheet would run
as a formula (OWASP "CSV injection", plus the full-width signs East Asian Excel also
reads): ``escape_cell`` gives it a leading apostrophe. CSV is UTF-8 with a BOM, so Excel
opens Chinese text correctly; XLSX cells lose the control characters XML cannot hold.
"""
from __future__ import annotations

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from functools import partial
from urllib.parse import quote

import openpyxl
from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter

from ntbase.kernel.errors import DomainError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
ZIP_MAGIC = b"PK\x03\x04"
ENCODINGS = ("utf-8-sig", "gb18030")

MESSAGES = {
    "empty": _l("The file is empty."),
    "file_type": _l("Upload a .csv or .xlsx file."),
    "xls": _l("Old .xls workbooks are not read: save the file as .xlsx or .csv."),
    "too_large": _l("The file is larger than %(mb)s MB. Split it into smaller files."),
    "too_many_rows": _l("The file has more than %(n)s rows. Split it into smaller files."),
    "not_xlsx": _l("This file is not an Excel workbook (.xlsx). Save it as .xlsx or .csv and try again."),
    "unpacked_too_large": _l("The workbook is too large once unpacked. Save it as CSV, or split it into "
                             "smaller files."),
    "formulas_without_results": _l("Cells %(cells)s hold formulas whose results are not saved in the file. "
                                   "Open the file in Excel or WPS and save it again, or paste the values "
                                   "instead of the formulas."),
    "not_csv": _l("This file is not a CSV text file. Save it as .csv (UTF-8) or .xlsx and try again."),
    "bad_csv": _l("This CSV file cannot be read (%(error)s). Save it again from Excel or WPS as “CSV UTF-8” "
                  "and try again."),
    "cell_too_long": _l("A cell of this file is far too long. Shorten it and try again."),
    # read_template: a file made from a download template (a row of column titles, then data)
    "missing_columns": _l("The first row must hold the column titles of the template. Missing: %(cols)s."),
    "no_rows": _l("The file has no rows under the column titles."),
}


class TableError(DomainError):
    """An upload that cannot be read as a table; ``problem`` is the key of its message."""

    def __init__(self, problem: str, message: str):
        super().__init__(message, field="file")
        self.problem = problem


@dataclass
class Table:
    file_format: str                      # "csv" or "xlsx"
    rows: list[tuple[int, list[str]]]     # (row number in the file, its cells as text); blank rows left out


Refuse = Callable[..., TableError]


def refusal(problem: str, messages: Mapping[str, object] | None = None, **params: object) -> TableError:
    """The ``TableError`` for ``problem``, in the caller's words if ``messages`` has them."""
    text = str((messages or {}).get(problem) or MESSAGES[problem])
    return TableError(problem, text % params if "%(" in text else text)


# ---------------------------------------------------------------- reading
def read_table(filename: str, data: bytes, *, max_bytes: int, max_rows: int, max_unpacked: int,
               max_columns: int | None = None, delimiters: str = ",", any_name_is_csv: bool = False,
               formulas_need_results: bool = True, messages: Mapping[str, object] | None = None) -> Table:
    """The rows of a CSV file or of a workbook's first sheet, or a ``TableError``.

    ``max_rows``: rows under a header row (so ``max_rows + 1`` non-blank rows at most).
    ``max_columns``: cells beyond it are dropped. ``delimiters``: more than one is guessed
    from the start of a CSV file. ``any_name_is_csv``: a file not named .xlsx/.xls (and
    not a zip) is read as CSV, whatever its name; otherwise only .csv is.
    ``formulas_need_results=False`` skips the second pass that names uncached formulas
    (they read as empty cells), for files too large to read twice.
    """
    refuse = partial(refusal, messages=messages, n=format(max_rows, ","), mb=max_bytes // (1024 * 1024))
    if not data:
        raise refuse("empty")
    if len(data) > max_bytes:
        raise refuse("too_large")
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise refuse("xls")
    if name.endswith(".xlsx") or data.startswith(ZIP_MAGIC):
        return Table("xlsx", _xlsx_rows(data, refuse, max_rows=max_rows, max_columns=max_columns,
                                        max_unpacked=max_unpacked, formulas_need_results=formulas_need_results))
    if name.endswith(".csv") or any_name_is_csv:
        return Table("csv", _csv_rows(data, refuse, max_rows=max_rows, max_columns=max_columns,
                                      delimiters=delimiters))
    raise refuse("file_type")


def read_template(filename: str, data: bytes, *, columns: Sequence[tuple[str, str, bool]],
                  header_key: Callable[[str], str | None], max_bytes: int, max_rows: int, max_unpacked: int,
                  join: Callable[[Iterable[str]], str] | None = None,
                  messages: Mapping[str, object] | None = None) -> list[tuple[int, dict[str, str]]]:
    """The rows of a file filled in from a template, as (row number, {column key: text}).

    The first row holds the column titles: ``header_key`` names the column key of a title
    (None: a column the importer ignores); ``columns`` are the template's
    (key, title, required) and a required one missing is refused with its title, the
    titles joined by ``join`` (default: the locale's list separator). Rows whose known
    cells are all blank are left out. Refusals are ``TableError``s: those of ``read_table``
    (the limits are its own), then ``empty``, ``missing_columns`` and ``no_rows``, in the
    caller's words where ``messages`` has them.
    """
    table = read_table(filename, data, max_bytes=max_bytes, max_rows=max_rows, max_unpacked=max_unpacked,
                       messages=messages)
    if not table.rows:
        raise refusal("empty", messages)
    (_first, header), body = table.rows[0], table.rows[1:]
    keys = [header_key(h) for h in header]
    missing = [title for key, title, required in columns if required and key not in keys]
    if missing:
        raise refusal("missing_columns", messages, cols=(join or _(", ").join)(missing))
    out = []
    for number, cells in body:
        values = {key: cells[i] if i < len(cells) else "" for i, key in enumerate(keys) if key}
        if any(v.strip() for v in values.values()):
            out.append((number, values))
    if not out:
        raise refusal("no_rows", messages)
    return out


def cell_text(value) -> str:
    """A spreadsheet value as the text a person typed: 40 not 40.0, dates as 2026-09-12 or
    2026-09-12 09:00, TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _trimmed(cells: list[str]) -> list[str]:
    """Without the empty cells at the end (an all-blank row becomes [])."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _decode(data: bytes) -> str | None:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None  # pragma: no cover - GB18030 decodes almost anything


def _csv_rows(data: bytes, refuse: Refuse, *, max_rows: int, max_columns: int | None,
              delimiters: str) -> list[tuple[int, list[str]]]:
    text = None if b"\x00" in data[:4096] else _decode(data)
    if text is None:
        raise refuse("not_csv")
    delimiter = delimiters[0]
    if len(delimiters) > 1:
        try:  # only the delimiter is guessed; quoting stays Excel's (the sniffer misreads it)
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=delimiters).delimiter
        except csv.Error:
            pass
    rows: list[tuple[int, list[str]]] = []
    try:
        # newline="": quoted cells may hold line breaks; \r\n, \n and \r all end a row
        reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
        for number, raw in enumerate(reader, start=1):
            cells = _trimmed([c.strip() for c in raw[:max_columns]])
            if not cells:
                continue
            if len(rows) > max_rows:  # a header and max_rows rows at most
                raise refuse("too_many_rows")
            rows.append((number, cells))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise refuse("cell_too_long") from exc
        raise refuse("bad_csv", error=str(exc)) from exc
    return rows


def _xlsx_rows(data: bytes, refuse: Refuse, *, max_rows: int, max_columns: int | None, max_unpacked: int,
               formulas_need_results: bool) -> list[tuple[int, list[str]]]:
    if not data.startswith(ZIP_MAGIC):
        raise refuse("not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refuse("not_xlsx") from exc
    if unpacked > max_unpacked:  # refused before openpyxl reads a part of it into memory
        raise refuse("unpacked_too_large")
    try:
        values = []
        with closing(_sheet_rows(data, data_only=True, max_columns=max_columns)) as rows:
            for number, raw in rows:
                if len(values) > max_rows:  # a header and max_rows rows at most
                    raise refuse("too_many_rows")
                values.append((number, raw))
        missing = _uncached_formulas(data, dict(values), max_rows, max_columns) \
            if formulas_need_results and any(v is None for _n, raw in values for v in raw) else []
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors on broken files
        raise refuse("not_xlsx") from exc
    if missing:
        cells = _(", ").join(missing[:10]) + ("…" if len(missing) > 10 else "")
        raise refuse("formulas_without_results", cells=cells)
    return [(number, _trimmed([cell_text(v) for v in raw])) for number, raw in values]


def _sheet_rows(data: bytes, *, data_only: bool, max_columns: int | None) -> Iterator[tuple[int, list]]:
    """(row number, raw values) of the first sheet's non-blank rows."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        ws = wb.worksheets[0]
        for number, raw in enumerate(ws.iter_rows(values_only=True, max_col=max_columns), start=1):
            if any(cell_text(v) for v in raw):
                yield number, list(raw)
    finally:
        wb.close()


def _uncached_formulas(data: bytes, values: dict[int, list], max_rows: int, max_columns: int | None) -> list[str]:
    """Cells (A1 names) holding a formula whose result the file does not keep: Excel and
    WPS save each result next to its formula; files written by scripts often do not."""
    missing = []
    with closing(_sheet_rows(data, data_only=False, max_columns=max_columns)) as rows:
        for number, formulas in itertools.islice(rows, max_rows + 1):
            cached = values.get(number, [])
            for col, formula in enumerate(formulas):
                value = cached[col] if col < len(cached) else None
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    missing.append(f"{get_column_letter(col + 1)}{number}")
    return missing


# ---------------------------------------------------------------- writing
# OWASP's list, plus the full-width forms East Asian Excel may also read as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NOT_IN_SHEET_TITLE = re.compile(r"[\[\]:*?/\\]")


def escape_cell(value):
    """A cell a spreadsheet shows as it is, never runs: text starting like a formula gets a
    leading apostrophe. Numbers and dates stay numbers and dates; None is empty."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal | date | time):  # (bool and datetime too)
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def xml_safe(text) -> str:
    """XLSX cells cannot hold control characters (openpyxl raises): drop them."""
    return _ILLEGAL_XML.sub("", "" if text is None else str(text))


def _xlsx_cell(value):
    value = escape_cell(value)
    return xml_safe(value) if isinstance(value, str) else value


def sheet_title(name, default: str = "Sheet1") -> str:
    """A worksheet name Excel accepts: 31 characters, none of []:*?/\\."""
    return _NOT_IN_SHEET_TITLE.sub("", str(name or ""))[:31] or default


def to_csv(header: Sequence, rows: Sequence[Sequence]) -> bytes:
    """CSV with a BOM (Excel on Chinese Windows opens UTF-8 only with it); cells escaped."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([escape_cell(c) for c in header])
    writer.writerows([escape_cell(c) for c in row] for row in rows)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(header: Sequence, rows: Sequence[Sequence], sheet: str = "Sheet1") -> bytes:
    """One sheet: the header frozen, columns as wide as their first 200 rows; cells escaped."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(sheet))
    sample = [header, *rows[:200]]
    for col in range(max(len(r) for r in sample)):
        width = max(len(str(r[col])) if col < len(r) and r[col] is not None else 0 for r in sample) + 2
        ws.column_dimensions[get_column_letter(col + 1)].width = min(max(width, 8), 40)
    ws.freeze_panes = "A2"
    ws.append([_xlsx_cell(c) for c in header])
    for row in rows:
        ws.append([_xlsx_cell(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_bytes(header: Sequence, rows: Sequence[Sequence], file_format: str, sheet: str = "Sheet1") -> bytes:
    return to_xlsx(header, rows, sheet) if file_format == "xlsx" else to_csv(header, rows)


def content_disposition(filename: str, file_format: str) -> str:
    """``attachment`` with an ASCII name and the UTF-8 one. The name may come from an upload:
    no quotes, separators or control characters get into the header."""
    filename = re.sub(r'[\x00-\x1f\x7f"\\/;]+', "_", filename or "").strip() or f"export.{file_format}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_.")
    if not ascii_name or ascii_name == file_format:
        ascii_name = f"export.{file_format}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def download_response(data: bytes, filename: str, file_format: str) -> Response:
    """A CSV or XLSX file to save, never kept by the browser or a proxy."""
    resp = Response(data, mimetype=XLSX_TYPE if file_format == "xlsx" else CSV_TYPE)
    resp.headers["Content-Disposition"] = content_disposition(filename, file_format)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def download(header: Sequence, rows: Sequence[Sequence], file_format: str, filename: str,
             sheet: str = "Sheet1") -> Response:
    """``header`` and ``rows`` as a CSV or XLSX download."""
    return download_response(table_bytes(header, rows, file_format, sheet), filename, file_format)


__all__ = ["MESSAGES", "Table", "TableError", "refusal", "read_table", "cell_text", "escape_cell", "xml_safe",
           "sheet_title", "to_csv", "to_xlsx", "table_bytes", "content_disposition", "download_response",
           "download", "XLSX_TYPE", "CSV_TYPE"]
