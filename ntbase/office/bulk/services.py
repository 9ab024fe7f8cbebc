"""Bulk verification of certificate and statement codes: a CSV or XLSX file in, the same
file out with the results appended.

Reading is ``ntbase.kernel.tabular``'s (UTF-8 or GB18030 CSV with a guessed delimiter, or
XLSX with cached values only: formulas are never evaluated), with this room's limits; this
module finds the code, name and ID number columns. Checking is ``checks.check_items``.

Processing is resumable by any server: the parsed rows are stored encrypted in a
``BulkJob`` and each step appends a ``BulkChunk`` of results, guarded by a conditional
UPDATE so two concurrent steps cannot process the same rows.

Exports escape every cell a spreadsheet would read as a formula (``tabular``). Full ID
numbers never come back in clear: the file's ID column, and any cell that is an ID
number, is masked in the result file and on the page.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ntbase.certificates import codes
from ntbase.kernel import audit, tabular
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.jobs import enqueue_after_commit
from ntbase.kernel.security import decrypt_pii, encrypt_pii, mask_id_number, redact_ids
from ntbase.office.bulk.checks import Item, Result, category_title, check_items
from ntbase.office.bulk.models import BulkChunk, BulkJob

audit.register_actions({
    "bulk.upload": _l("Uploaded a bulk verification file"),
    "bulk.download": _l("Downloaded bulk verification results"),
})

MAX_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNPACKED = 200 * 1024 * 1024  # a 20 MB workbook that unpacks to more is a zip bomb
MAX_ROWS = 100_000
MAX_COLUMNS = 50
STEP_ROWS = 5000          # rows per progress step (one HTTP request)
JOB_TTL = timedelta(days=1)


# ---------------------------------------------------------------- reading
@dataclass
class CodeTable:
    file_format: str
    header: list[str] | None
    rows: list[tuple[int, list[str]]]   # (row number in the file, cells)
    code_col: int
    name_col: int | None = None
    id_col: int | None = None


_ID_HEADERS = ("身份证", "身份号码", "证件号", "id number", "id_number", "idnumber", "id no", "id card")
_CODE_HEADERS = ("编号", "验证码", "code")
_NAME_HEADERS = ("姓名", "name", "holder")


def _find(header: list[str], keys: tuple[str, ...], skip: set[int]) -> int | None:
    for i, h in enumerate(header):
        low = h.lower()
        if i not in skip and any(k in low for k in keys):
            return i
    return None


def _looks_like_id(text: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dXx]", (text or "").strip()))


def _too_many_rows() -> DomainError:
    return tabular.refusal("too_many_rows", n=format(MAX_ROWS, ","))


def read_table(filename: str, data: bytes) -> CodeTable:
    """Parse an upload and find its columns; raise DomainError (field ``file``) with a clear message."""
    table = tabular.read_table(
        filename, data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS,
        max_unpacked=MAX_XLSX_UNPACKED, delimiters=",;\t", any_name_is_csv=True,
        # a 100,000-row workbook is not read twice: an uncached formula reads as an empty cell
        # and its row is reported as having no code
        formulas_need_results=False)
    rows = table.rows
    if not rows:
        raise DomainError(_("The file has no rows."), field="file")
    first = rows[0][1]
    code_cols = [i for i, c in enumerate(first) if codes.parse(c)]
    if code_cols:  # no header row: the first row already holds a code
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
        id_cols = [i for i, c in enumerate(first) if i not in code_cols and _looks_like_id(c)]
        return CodeTable(table.file_format, None, rows, code_cols[0], None, id_cols[0] if id_cols else None)
    header, body = first, rows[1:]
    id_col = _find(header, _ID_HEADERS, set())
    code_col = _find(header, _CODE_HEADERS, {id_col} if id_col is not None else set())
    if code_col is None and body:
        found = [i for i, c in enumerate(body[0][1]) if codes.parse(c)]
        code_col = found[0] if found else None
    if code_col is None:
        raise DomainError(_("No column of certificate codes was found. Put the codes in a column "
                            "headed “证书编号” (or “code”)."), field="file")
    skip = {code_col} | ({id_col} if id_col is not None else set())
    return CodeTable(table.file_format, header, body, code_col, _find(header, _NAME_HEADERS, skip), id_col)


# ---------------------------------------------------------------- jobs
def create_job(owner, filename: str, data: bytes, at: datetime | None = None) -> BulkJob:
    table = read_table(filename, data)
    purge_jobs()  # expired uploads go as new ones come, even if the daily purge is not scheduled
    filename = redact_ids(filename or "")
    payload = {"header": table.header, "rows": [[rowno, cells] for rowno, cells in table.rows]}
    job = BulkJob(owner_id=owner.id, filename=(filename or "codes.csv")[-200:], file_format=table.file_format,
                  columns={"code": table.code_col, "name": table.name_col, "id": table.id_col},
                  row_count=len(table.rows), processed=0,
                  rows_enc=encrypt_pii(json.dumps(payload, ensure_ascii=False, separators=(",", ":"))),
                  created_at=at or now())
    db.session.add(job)
    db.session.flush()
    audit.record("bulk.upload", owner, object_type="bulk_job", object_id=job.id,
                 detail=f"{job.filename}: {job.row_count} rows")
    enqueue_after_commit("office.bulk_step", job.id)  # the worker checks it; the page only watches
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
    rows = _payload(job)["rows"][start:start + max_rows]
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


def export_rows(job: BulkJob) -> tuple[list[str], list[list[str]]]:
    """The file's rows with the result columns appended; ID numbers masked."""
    payload = _payload(job)
    width = max([len(payload["header"] or [])] + [len(c) for _n, c in payload["rows"]])
    header = [""] * width
    if payload["header"] is not None:
        header = list(payload["header"]) + [""] * (width - len(payload["header"]))
    id_col = (job.columns or {}).get("id")
    out = []
    for (_rowno, cells), res in zip(payload["rows"], job_results(job), strict=False):
        padded = list(cells) + [""] * (width - len(cells))
        if id_col is not None and id_col < width and padded[id_col]:
            padded[id_col] = mask_id_number(padded[id_col])
        out.append([redact_ids(c) for c in padded] + _result_cells(res))
    return header + result_headers(), out


def export_bytes(job: BulkJob, file_format: str) -> bytes:
    header, rows = export_rows(job)
    return tabular.table_bytes(header, rows, file_format, sheet=_("Verification"))
