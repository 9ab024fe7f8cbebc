"""Bulk verification of certificate and statement codes (CSV or XLSX in, same file out).

Reading: CSV (UTF-8 or GB18030, as Chinese Excel writes it) or XLSX through openpyxl with
``data_only=True`` — formulas are never evaluated, only cached values are read. At most
``MAX_ROWS`` rows: counting stops at the first row over the limit.

Checking: one ``UNION ALL`` query per ``lookup.CHUNK`` codes over certificates and
statements, so 10,000 rows cost 10 statements. Optional holder name / ID number columns
are cross-checked (the ID by its keyed hash, never stored in clear).

Processing is resumable by any server: the parsed rows are stored encrypted in a
``BulkJob`` and each step appends a ``BulkChunk`` of results, guarded by a conditional
UPDATE so two concurrent steps cannot process the same rows.

Exports escape every cell that a spreadsheet would read as a formula (CSV/formula
injection): a leading = + - @ tab or CR (or their full-width forms) gets a leading
apostrophe. Full ID numbers never come back in clear: the file's ID column, and any
cell that is an ID number, is masked in the result file and on the page.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ntbase.certificates import codes
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Category, LabeledEnum
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import decrypt_pii, encrypt_pii, id_hash, mask_id_number, redact_ids
from ntbase.office.models import BulkChunk, BulkJob
from ntbase.verification import lookup

MAX_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a 20 MB workbook that unpacks to more is a zip bomb
MAX_ROWS = 100_000
MAX_COLUMNS = 50
STEP_ROWS = 5000          # rows per progress step (one HTTP request)
JOB_TTL = timedelta(days=1)


class Result(LabeledEnum):
    VALID = "valid"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    NAME_MISMATCH = "name_mismatch"
    ID_MISMATCH = "id_mismatch"
    MALFORMED = "malformed"

    @classmethod
    def _titles(cls):
        return {"valid": _l("Valid"), "revoked": _l("Revoked"), "unknown": _l("Unknown code"),
                "name_mismatch": _l("Name does not match"), "id_mismatch": _l("ID number does not match"),
                "malformed": _l("Malformed code")}


# ---------------------------------------------------------------- escaping
# OWASP's list, plus the full-width forms East Asian Excel may also read as a formula
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_cell(value) -> str:
    """Text a spreadsheet shows as text: never a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def xml_safe(text) -> str:
    """XLSX cells cannot hold control characters (openpyxl raises): drop them."""
    return _ILLEGAL_XML.sub("", "" if text is None else str(text))


# ---------------------------------------------------------------- reading
@dataclass
class Table:
    file_format: str
    header: list[str] | None
    rows: list[tuple[int, list[str]]]   # (row number in the file, cells)
    code_col: int
    name_col: int | None = None
    id_col: int | None = None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _too_many_rows() -> DomainError:
    return DomainError(_("The file has more than %(n)s rows. Split it into smaller files.",
                         n=format(MAX_ROWS, ",")), field="file")


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost anything
        raise DomainError(_("The file is not readable text (save it as UTF-8 CSV)."), field="file")
    try:  # only the delimiter is guessed; quoting stays Excel's (the sniffer misreads it)
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
        for lineno, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if len(rows) > MAX_ROWS:  # header + MAX_ROWS data rows at most
                raise _too_many_rows()
            rows.append((lineno, [c.strip() for c in cells[:MAX_COLUMNS]]))
    except csv.Error as exc:
        raise DomainError(_("The CSV file could not be read: %(err)s", err=str(exc)), field="file") from exc
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DomainError(_("The file is not a valid XLSX workbook."), field="file") from exc
    if unpacked > MAX_XLSX_UNPACKED:
        # openpyxl reads the whole shared-strings part into memory: refuse before it does
        raise DomainError(_("The workbook is too large once unpacked. Save it as CSV, or split it into "
                            "smaller files."), field="file")
    try:
        # data_only: cached values, formulas are never evaluated or kept
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DomainError(_("The file is not a valid XLSX workbook."), field="file") from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for rowno, values in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            cells = [_cell_text(v) for v in values]
            if not any(cells):
                continue
            if len(rows) > MAX_ROWS:
                raise _too_many_rows()
            while cells and not cells[-1]:
                cells.pop()
            rows.append((rowno, cells))
        return rows
    finally:
        wb.close()


_ID_HEADERS = ("身份证", "身份号码", "证件号", "id number", "id_number", "idnumber", "id no", "id card")
_CODE_HEADERS = ("编号", "验证码", "code")
_NAME_HEADERS = ("姓名", "name", "holder")


def _find(header: list[str], keys: tuple[str, ...], skip: set[int]) -> int | None:
    for i, h in enumerate(header):
        low = h.lower()
        if i not in skip and any(k in low for k in keys):
            return i
    return None


def read_table(filename: str, data: bytes) -> Table:
    """Parse an upload; raise DomainError (field ``file``) with a clear message."""
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than 20 MB. Split it into smaller files."), field="file")
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:2] == b"PK":
        file_format, rows = "xlsx", _read_xlsx(data)
    elif name.endswith(".xls"):
        raise DomainError(_("Old .xls workbooks are not read: save the file as .xlsx or .csv."), field="file")
    else:
        file_format, rows = "csv", _read_csv(data)
    if not rows:
        raise DomainError(_("The file has no rows."), field="file")
    first = rows[0][1]
    code_cols = [i for i, c in enumerate(first) if codes.parse(c)]
    if code_cols:  # no header row: the first row already holds a code
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
        id_cols = [i for i, c in enumerate(first) if i not in code_cols and _looks_like_id(c)]
        return Table(file_format, None, rows, code_cols[0], None, id_cols[0] if id_cols else None)
    header, body = first, rows[1:]
    if len(body) > MAX_ROWS:
        raise _too_many_rows()
    id_col = _find(header, _ID_HEADERS, set())
    code_col = _find(header, _CODE_HEADERS, {id_col} if id_col is not None else set())
    if code_col is None and body:
        sample = body[0][1]
        found = [i for i, c in enumerate(sample) if codes.parse(c)]
        code_col = found[0] if found else None
    if code_col is None:
        raise DomainError(_("No column of certificate codes was found. Put the codes in a column "
                            "headed “证书编号” (or “code”)."), field="file")
    skip = {code_col} | ({id_col} if id_col is not None else set())
    name_col = _find(header, _NAME_HEADERS, skip)
    return Table(file_format, header, body, code_col, name_col, id_col)


def _looks_like_id(text: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dXx]", (text or "").strip()))


# ---------------------------------------------------------------- checking
@dataclass
class Item:
    code: str
    name: str = ""
    id_number: str = ""


def _norm_name(name: str) -> str:
    return re.sub(r"\s+", "", name or "").casefold()


def category_title(value: str) -> str:
    if value == "statement":
        return _("Yearly hours statement")
    try:
        return Category(value).title
    except ValueError:
        return value or ""


def _hours_text(value) -> str:
    if value is None:
        return ""
    d = Decimal(str(value)).quantize(Decimal("0.1"))
    return f"{d.normalize():f}" if d == d.to_integral() else f"{d:f}"


def check_items(items: list[Item]) -> list[dict]:
    """One result dict per item, in order: ``ceil(codes / lookup.CHUNK)`` SQL statements."""
    canon = [codes.parse(it.code) for it in items]
    found = lookup.lookup_codes([c for c in canon if c])
    return [_judge(item, code, found) for item, code in zip(items, canon, strict=True)]


def _judge(item: Item, code: str | None, found: dict[str, lookup.CodeRecord]) -> dict:
    out = {"result": "", "kind": "", "code": item.code, "holder": "", "course": "", "base": "",
           "category": "", "hours": "", "year": "", "note": ""}
    if not (item.code or "").strip():
        out.update(result=Result.MALFORMED.value, note=_("No code in this row."))
        return out
    if code is None:
        # what was typed is echoed (page, stored results): never a full ID number in clear
        out.update(code=redact_ids(item.code), result=Result.MALFORMED.value,
                   note=lookup.malformed_message(item.code))
        return out
    out["code"] = codes.display(code)
    record = found.get(code)
    if record is None:
        out.update(result=Result.UNKNOWN.value, note=_("No certificate or statement has this code."))
        return out
    r = record.result
    is_statement = r.kind == "statement"
    out.update(kind=r.kind, holder=f"{r.holder_name_masked} {record.holder_id_masked}".strip(),
               course=r.course_title or "", base=r.base_name or "",
               category="statement" if is_statement else (r.category or ""),
               hours=_hours_text(r.counted_total if is_statement else r.hours), year=str(r.year or ""))
    notes = []
    result = Result.VALID
    if (item.id_number or "").strip() and id_hash(item.id_number) != record.holder_id_hash:
        result = Result.ID_MISMATCH
        notes.append(_("The ID number given (%(masked)s) is not the holder's.",
                       masked=mask_id_number(item.id_number)))
    if (item.name or "").strip() and _norm_name(item.name) != _norm_name(record.holder_name):
        if result == Result.VALID:
            result = Result.NAME_MISMATCH
        notes.append(_("The name given is not the holder's."))
    if r.state == "revoked":
        result = Result.REVOKED
        notes.insert(0, _("This certificate has been revoked."))
    out["result"] = result.value
    out["note"] = " ".join(notes)
    return out


def display_result(r: dict) -> dict:
    """The translated, human form of a result row (for pages and exports)."""
    return dict(r, result_title=Result(r["result"]).title, category_title=category_title(r["category"]))


# ---------------------------------------------------------------- jobs
def _rows_of(table: Table) -> list[list]:
    out = []
    for rowno, cells in table.rows:
        out.append([rowno, cells])
    return out


def create_job(owner, filename: str, data: bytes, at: datetime | None = None) -> BulkJob:
    table = read_table(filename, data)
    purge_jobs()  # expired uploads go as new ones come, even if the daily purge is not scheduled
    filename = redact_ids(filename or "")
    payload = {"header": table.header, "rows": _rows_of(table)}
    job = BulkJob(owner_id=owner.id, filename=(filename or "codes.csv")[-200:], file_format=table.file_format,
                  columns={"code": table.code_col, "name": table.name_col, "id": table.id_col},
                  row_count=len(table.rows), processed=0,
                  rows_enc=encrypt_pii(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))),
                  created_at=at or now())
    db.session.add(job)
    db.session.flush()
    audit.record("bulk.upload", owner, object_type="bulk_job", object_id=job.id,
                 detail=f"{job.filename}: {job.row_count} rows")
    return job


def _payload(job: BulkJob) -> dict:
    return json.loads(decrypt_pii(job.rows_enc))


def _item(cells: list[str], columns: dict) -> Item:
    def cell(key):
        i = columns.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    return Item(code=cell("code"), name=cell("name"), id_number=cell("id"))


def run_step(job: BulkJob, max_rows: int | None = None, at: datetime | None = None) -> int:
    """Check the next rows of ``job``; returns how many rows are done in total.

    Safe under concurrency: a step claims its rows with a conditional UPDATE, so a second
    server running the same step finds nothing to do.
    """
    max_rows = max_rows or STEP_ROWS
    start = job.processed
    if start >= job.row_count:
        return job.processed
    payload = _payload(job)
    rows = payload["rows"][start:start + max_rows]
    results = check_items([_item(cells, job.columns) for _rowno, cells in rows])
    for (rowno, _cells), res in zip(rows, results, strict=True):
        res["row"] = rowno
    end = start + len(rows)
    claimed = db.session.execute(
        sa.update(BulkJob).where(BulkJob.id == job.id, BulkJob.processed == start)
        .values(processed=end, finished_at=(at or now()) if end >= job.row_count else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.refresh(job)
        return job.processed
    try:
        with db.session.begin_nested():
            db.session.add(BulkChunk(job_id=job.id, start=start, results=results))
    except IntegrityError:  # pragma: no cover - the conditional UPDATE already excludes it
        pass
    db.session.refresh(job)
    return job.processed


def run_all(job: BulkJob) -> None:
    while not job.done:
        run_step(job)


def job_results(job: BulkJob) -> list[dict]:
    chunks = db.session.scalars(sa.select(BulkChunk).where(BulkChunk.job_id == job.id)
                                .order_by(BulkChunk.start)).all()
    return [r for c in chunks for r in c.results]


def summarize(results: list[dict]) -> dict:
    counts = {r.value: 0 for r in Result}
    for r in results:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    malformed = [r for r in results if r["result"] == Result.MALFORMED.value]
    return {"counts": counts, "malformed": malformed[:500], "malformed_total": len(malformed)}


def get_job(job_id: int, user) -> BulkJob | None:
    """A job is seen by its owner (and admins)."""
    job = db.session.get(BulkJob, job_id)
    if job is None or (job.owner_id != user.id and not user.is_admin):
        return None
    return job


def purge_jobs(before: datetime | None = None) -> int:
    """Delete jobs (and their encrypted rows) older than a day."""
    before = before or (now() - JOB_TTL)
    old = sa.select(BulkJob.id).where(BulkJob.created_at < before)
    db.session.execute(sa.delete(BulkChunk).where(BulkChunk.job_id.in_(old)))
    return db.session.execute(sa.delete(BulkJob).where(BulkJob.created_at < before)).rowcount


# ---------------------------------------------------------------- export
def result_headers() -> list[str]:
    return [_("Result"), _("Code checked"), _("Kind"), _("Holder (masked)"), _("Course"), _("Base"),
            _("Category"), _("Hours"), _("Year"), _("Note")]


def _result_cells(r: dict) -> list[str]:
    kind = {"certificate": _("Certificate"), "statement": _("Yearly hours statement")}.get(r["kind"], "")
    return [Result(r["result"]).title, r["code"], kind, r["holder"], r["course"], r["base"],
            category_title(r["category"]), r["hours"], r["year"], r["note"]]


def export_rows(job: BulkJob) -> tuple[list[str] | None, list[list[str]]]:
    """The file's rows with result columns appended (all cells escaped)."""
    payload = _payload(job)
    results = job_results(job)
    width = max([len(payload["header"] or [])] + [len(c) for _n, c in payload["rows"]])
    header = None
    if payload["header"] is not None:
        header = [escape_cell(h) for h in payload["header"]] + [""] * (width - len(payload["header"]))
        header += result_headers()
    id_col = (job.columns or {}).get("id")
    out = []
    for (_rowno, cells), res in zip(payload["rows"], results, strict=False):
        padded = list(cells) + [""] * (width - len(cells))
        if id_col is not None and id_col < width and padded[id_col]:
            padded[id_col] = mask_id_number(padded[id_col])
        out.append([escape_cell(redact_ids(c)) for c in padded] + [escape_cell(c) for c in _result_cells(res)])
    if header is None:
        header = [""] * width + result_headers()
    return header, out


def export_bytes(job: BulkJob, file_format: str) -> bytes:
    header, rows = export_rows(job)
    if file_format == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(_("Verification"))
        for row in [header, *rows]:
            ws.append([xml_safe(c) for c in row])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens UTF-8 Chinese correctly
