"""Import courses from CSV or XLSX: read → check every row → preview → write all or none.

Checking runs the real ``create_course`` for each row inside a SAVEPOINT that is rolled
back, so the preview applies exactly the rules a saved course obeys (including overlaps
with other rows of the same file). Between preview and confirmation the raw rows travel
signed in the page (no server memory: any app server can take the confirmation), and
are checked again before they are written in one transaction.

Reading the file (encodings, limits, zip bombs, formulas) is ``ntbase.kernel.tabular``'s;
this module knows the template's columns and what each cell means.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from openpyxl import Workbook
from openpyxl.styles import Font

from ntbase.bases.models import TrainingBase
from ntbase.bases.services import fen_to_yuan_text, join_list, load_disclosure, parse_yuan
from ntbase.catalog.models import Course, CourseMode
from ntbase.catalog.services import (
    CourseInput,
    FeeLineInput,
    SessionInput,
    create_course,
    parse_hours,
)
from ntbase.kernel import tabular
from ntbase.kernel.db import db
from ntbase.kernel.enums import PROFESSION_SERIES, Category
from ntbase.kernel.errors import DomainError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 300
# a course sheet of 300 rows unpacks to a few MB; more is images, other sheets, or a zip bomb
MAX_XLSX_EXPANDED_BYTES = 50 * 1024 * 1024
PAYLOAD_MAX_AGE = 3600

# (key, header in the template, required)
COLUMNS = [
    ("title", "课程名称", True),
    ("category", "类别", True),
    ("mode", "方式", True),
    ("sessions", "日程", True),
    ("room", "教室", False),
    ("fee_items", "收费项目", False),
    ("price_yuan", "价格(元)", False),
    ("hours", "学时", False),
    ("talent_training", "高层次人才培训", False),
    ("teachers", "教师", True),
    ("capacity", "名额", True),
    ("enroll_opens", "报名开始", False),
    ("enroll_closes", "报名截止", False),
    ("profession_series", "职称系列", False),
    ("staff_levels", "职称级别", False),
    ("refund_policy", "退费规定", False),
    ("description", "课程介绍", False),
]
COLUMN_TITLES = {
    "title": _l("Title"), "category": _l("Category"), "mode": _l("Mode"), "sessions": _l("Schedule"),
    "room": _l("Room"), "fee_items": _l("Fee items"), "price_yuan": _l("Price (yuan)"), "hours": _l("Hours (学时)"),
    "talent_training": _l("High-level talent training"), "teachers": _l("Teachers"), "capacity": _l("Capacity"),
    "enroll_opens": _l("Enrollment opens"), "enroll_closes": _l("Enrollment closes"),
    "profession_series": _l("Profession series"), "staff_levels": _l("Staff levels"),
    "refund_policy": _l("Refund policy"), "description": _l("Description"),
}
EXAMPLE = {
    "title": "专业技术人员安全生产知识培训", "category": "公需", "mode": "面授",
    "sessions": "2026-09-12 09:00-17:00; 2026-09-13 09:00-12:00", "room": "主校区/教学楼A101",
    "fee_items": "公需科目培训费", "price_yuan": "200", "hours": "", "talent_training": "否",
    "teachers": "王建国; 李敏", "capacity": "60", "enroll_opens": "2026-08-01 09:00",
    "enroll_closes": "2026-09-10 17:00", "profession_series": "", "staff_levels": "初级; 中级",
    "refund_policy": "", "description": "安全生产法律法规、风险辨识与应急处置。",
}
# service field -> column, to put a DomainError on the right cell
FIELD_COLUMN = {
    "title": "title", "category": "category", "mode": "mode", "sessions": "sessions", "room_id": "room",
    "fee_lines": "fee_items", "price": "price_yuan", "hours": "hours", "is_talent_training": "talent_training",
    "teacher_ids": "teachers", "capacity": "capacity", "enroll_opens_at": "enroll_opens",
    "enroll_closes_at": "enroll_closes", "profession_series": "profession_series", "staff_levels": "staff_levels",
    "refund_policy": "refund_policy", "description_md": "description", "refund_cutoff_hours": "refund_policy",
}
CATEGORY_WORDS = {"公需": "public", "公需科目": "public", "专业": "specialized", "专业科目": "specialized",
                  "选修": "elective", "个人选修": "elective", "个人选修科目": "elective"}
MODE_WORDS = {"面授": "in_person", "线下": "in_person", "线上": "online", "网络": "online", "在线": "online",
              "混合": "blended", "线上线下混合": "blended"}
LEVEL_WORDS = {"初级": "junior", "中级": "intermediate", "副高级": "sub_senior", "副高": "sub_senior",
               "正高级": "senior", "正高": "senior"}
YES = {"是", "yes", "y", "true", "1", "√"}
NO = {"", "否", "no", "n", "false", "0"}
SPLIT = re.compile(r"[;；\n、]+")
SESSION_RE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*(\d{1,2})[:：](\d{2})\s*[-–—~～至到]\s*(\d{1,2})[:：](\d{2})$")
DATETIME_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2})[:：](\d{2})(?::\d{2})?)?$")
QTY_RE = re.compile(r"^(.*?)\s*[×xX*]\s*(\d+)$")


class ImportFileError(Exception):
    """The file as a whole cannot be read; ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class RowResult:
    row: int  # spreadsheet row number (the header is row 1)
    values: dict[str, str]
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column key, message)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportCheck:
    rows: list[RowResult]
    payload: str = ""

    @property
    def error_count(self) -> int:
        return sum(len(r.errors) for r in self.rows)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and self.error_count == 0


def column_title(key: str) -> str:
    return str(COLUMN_TITLES.get(key, key))


# ---------------------------------------------------------------- reading files
# the importer's own words where the generic ones would not say what to do with a course sheet
FILE_MESSAGES = {
    "too_large": _l("The file is larger than 5 MB. Split it into smaller files, or remove images and other "
                    "sheets."),
    "too_many_rows": _l("At most %(n)s courses per file: split the file."),
    "unpacked_too_large": _l("This workbook is too large once unpacked. Keep only the course sheet (no images "
                             "or other sheets), or save it as .csv, and try again."),
    "cell_too_long": _l("A cell of this file is far too long. A course description has at most 20,000 "
                        "characters: shorten it and try again."),
    "no_rows": _l("The file has no course rows under the column titles."),
}


def _header_key(text: str) -> str | None:
    t = (text or "").strip().lower()
    for key, zh, _req in COLUMNS:
        if t in (key, zh.lower(), f"{zh}({key})".lower(), f"{zh}（{key}）".lower()):
            return key
    return None


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows of the first sheet as (row number, {column key: text}); blank rows skipped."""
    try:
        out = tabular.read_template(filename, data, columns=COLUMNS, header_key=_header_key,
                                    max_bytes=MAX_UPLOAD_BYTES, max_rows=MAX_ROWS,
                                    max_unpacked=MAX_XLSX_EXPANDED_BYTES, join=join_list, messages=FILE_MESSAGES)
    except tabular.TableError as err:
        raise ImportFileError(err.message) from err
    if len(out) > MAX_ROWS:
        raise ImportFileError(tabular.refusal("too_many_rows", FILE_MESSAGES, n=MAX_ROWS).message)
    return out


def too_large_message() -> str:
    return str(FILE_MESSAGES["too_large"])


# ---------------------------------------------------------------- cells → CourseInput
def _parse_datetime(text: str, column: str, end_of_day: bool = False) -> datetime | None:
    if not text:
        return None
    m = DATETIME_RE.match(text.strip())
    if not m:
        raise DomainError(_("Write a date and time as 2026-09-12 09:00."), field=column)
    y, mo, d, h, mi = m.groups()
    try:
        if h is None:
            return datetime(int(y), int(mo), int(d), 23 if end_of_day else 0, 59 if end_of_day else 0)
        return datetime(int(y), int(mo), int(d), int(h), int(mi))
    except ValueError as exc:
        raise DomainError(_("Write a date and time as 2026-09-12 09:00."), field=column) from exc


def _parse_sessions(text: str, room_id: int | None) -> list[SessionInput]:
    sessions = []
    for part in re.split(r"[;；\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        m = SESSION_RE.match(part)
        if not m:
            raise DomainError(_("Write each session as 2026-09-12 09:00-17:00, separated by semicolons (“%(part)s”).",
                                part=part[:40]), field="sessions")
        y, mo, d, h1, m1, h2, m2 = (int(x) for x in m.groups())
        try:
            sessions.append(SessionInput(datetime(y, mo, d, h1, m1), datetime(y, mo, d, h2, m2), room_id))
        except ValueError as exc:
            raise DomainError(_("Write each session as 2026-09-12 09:00-17:00, separated by semicolons (“%(part)s”).",
                                part=part[:40]), field="sessions") from exc
    if not sessions:
        raise DomainError(_("Add at least one session (date, start and end time)."), field="sessions")
    return sessions


def _words(text: str) -> list[str]:
    return [w.strip() for w in SPLIT.split(text or "") if w.strip()]


class _Lookups:
    """Names of the base's fee items, teachers and rooms, resolved once per file."""

    def __init__(self, base: TrainingBase):
        self.fees: dict[str, list[int]] = {}
        for f in base.fee_items:
            if f.active:
                self.fees.setdefault(f.name.strip(), []).append(f.id)
        self.teachers: dict[str, list[int]] = {}
        for t in base.teachers:
            if t.active:
                self.teachers.setdefault(t.name.strip(), []).append(t.id)
        self.rooms: dict[str, list[int]] = {}
        for loc in base.locations:
            if not loc.active:
                continue
            for r in loc.rooms:
                if r.active:
                    for key in (r.name.strip(), f"{loc.name.strip()}/{r.name.strip()}",
                                f"{loc.name.strip()} {r.name.strip()}"):
                        self.rooms.setdefault(key, []).append(r.id)
        series = {}
        for code, label in PROFESSION_SERIES:
            # the code, the label in the current language, and the Chinese name in "Engineering (工程)"
            series[code] = code
            series[str(label).strip()] = code
            m = re.search(r"[（(](.+?)[)）]", str(label))
            if m:
                series[m.group(1)] = code
        self.series = series

    def one(self, table: dict[str, list[int]], name: str, column: str, unknown: str) -> int:
        ids = table.get(name.strip())
        if not ids:
            raise DomainError(unknown % {"name": name}, field=column)
        if len(ids) > 1:
            raise DomainError(_("“%(name)s” is ambiguous: several entries of your disclosure have this name.",
                                name=name), field=column)
        return ids[0]


def row_to_input(values: dict[str, str], lk: _Lookups) -> tuple[CourseInput | None, list[tuple[str, str]]]:
    """Parse one row's cells; every cell error is collected (not only the first)."""
    errors: list[tuple[str, str]] = []
    out: dict = {}

    def cell(column: str, fn):
        try:
            out[column] = fn(values.get(column, "").strip())
        except DomainError as err:
            errors.append((err.field or column, err.message))

    def category(t):
        code = CATEGORY_WORDS.get(t, t.lower())
        if code not in {c.value for c in Category}:
            raise DomainError(_("Write 公需, 专业 or 选修."), field="category")
        return code

    def mode(t):
        code = MODE_WORDS.get(t, t.lower())
        if code not in {m.value for m in CourseMode}:
            raise DomainError(_("Write 面授, 线上 or 混合."), field="mode")
        return code

    def room(t):
        if not t:
            return None
        return lk.one(lk.rooms, t, "room", _("No room “%(name)s” in your disclosure. Write location/room as in the "
                                             "template."))

    def fee_items(t):
        lines = []
        for w in _words(t):
            m = QTY_RE.match(w)
            name, qty = (m.group(1), int(m.group(2))) if m else (w, 1)
            lines.append(FeeLineInput(lk.one(lk.fees, name, "fee_items",
                                             _("No fee item “%(name)s” in your disclosure.")), qty))
        return lines

    def price(t):
        return parse_yuan(t, field="price_yuan") if t else None

    def hours(t):
        return parse_hours(t, field="hours")

    def talent(t):
        if t.lower() in YES:
            return True
        if t.lower() in NO:
            return False
        raise DomainError(_("Write 是 or 否."), field="talent_training")

    def teachers(t):
        names = _words(t)
        if not names:
            raise DomainError(_("Choose at least one teacher."), field="teachers")
        return [lk.one(lk.teachers, n, "teachers", _("No teacher “%(name)s” in your disclosure.")) for n in names]

    def capacity(t):
        if not re.fullmatch(r"\d{1,5}", t):
            raise DomainError(_("Enter a whole number of at least 1."), field="capacity")
        return int(t)

    def series(t):
        codes = []
        for w in _words(t):
            if w not in lk.series:
                raise DomainError(_("Unknown profession series “%(name)s”.", name=w), field="profession_series")
            codes.append(lk.series[w])
        return codes

    def levels(t):
        codes = []
        for w in _words(t):
            code = LEVEL_WORDS.get(w, w)
            if code not in LEVEL_WORDS.values():
                raise DomainError(_("Write 初级, 中级, 副高级 or 正高级."), field="staff_levels")
            codes.append(code)
        return codes

    if not values.get("title", "").strip():
        errors.append(("title", _("This field is required.")))
    cell("category", category)
    cell("mode", mode)
    cell("room", room)
    cell("fee_items", fee_items)
    cell("price_yuan", price)
    cell("hours", hours)
    cell("talent_training", talent)
    cell("teachers", teachers)
    cell("capacity", capacity)
    cell("enroll_opens", lambda t: _parse_datetime(t, "enroll_opens"))
    cell("enroll_closes", lambda t: _parse_datetime(t, "enroll_closes", end_of_day=True))
    cell("profession_series", series)
    cell("staff_levels", levels)
    cell("sessions", lambda t: _parse_sessions(t, None))
    if errors:
        return None, errors
    data = CourseInput(
        title=values.get("title", ""), category=out["category"], mode=out["mode"], sessions=out["sessions"],
        fee_lines=out["fee_items"], price_fen=out["price_yuan"], hours=out["hours"],
        is_talent_training=out["talent_training"], teacher_ids=out["teachers"], room_id=out["room"],
        profession_series=out["profession_series"], staff_levels=out["staff_levels"],
        enroll_opens_at=out["enroll_opens"], enroll_closes_at=out["enroll_closes"], capacity=out["capacity"],
        refund_policy=values.get("refund_policy", ""), description_md=values.get("description", ""),
    )
    return data, []


# ---------------------------------------------------------------- check and write
def _run(base: TrainingBase, rows: list[tuple[int, dict[str, str]]], actor_id: int | None) -> list[RowResult]:
    """Create every valid row (each in its own SAVEPOINT) and report each row's errors."""
    lk = _Lookups(load_disclosure(base.id))
    results = []
    for number, values in rows:
        result = RowResult(number, values)
        data, errors = row_to_input(values, lk)
        result.errors.extend((FIELD_COLUMN.get(c, c), m) for c, m in errors)
        if data is not None:
            sp = db.session.begin_nested()
            try:
                create_course(base, data, actor_id)
            except DomainError as err:
                sp.rollback()
                result.errors.append((FIELD_COLUMN.get(err.field or "", "title"), err.message))
            else:
                sp.commit()
        results.append(result)
    return results


def check_rows(base: TrainingBase, rows: list[tuple[int, dict[str, str]]], actor_id: int | None) -> ImportCheck:
    """The preview: every row checked by the real rules, nothing kept."""
    outer = db.session.begin_nested()
    try:
        results = _run(base, rows, actor_id)
    finally:
        outer.rollback()
    check = ImportCheck(results)
    if check.ok:
        check.payload = sign_rows(base.id, rows)
    return check


def import_rows(base: TrainingBase, rows: list[tuple[int, dict[str, str]]], actor_id: int | None) -> list[Course]:
    """Write every row as a draft course, or none: raises ImportRowsError if any row fails."""
    before = set(db.session.scalars(db.select(Course.id).where(Course.base_id == base.id)))
    outer = db.session.begin_nested()
    results = _run(base, rows, actor_id)
    if any(r.errors for r in results):
        outer.rollback()
        raise ImportRowsError(ImportCheck(results))
    outer.commit()
    return db.session.scalars(db.select(Course).where(Course.base_id == base.id, Course.id.not_in(before or {0}))
                              .order_by(Course.id)).all()


class ImportRowsError(Exception):
    def __init__(self, check: ImportCheck):
        super().__init__("import rows invalid")
        self.check = check


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="ntbase.catalog.import")


def sign_rows(base_id: int, rows: list[tuple[int, dict[str, str]]]) -> str:
    return _serializer().dumps({"base_id": base_id, "rows": [[n, v] for n, v in rows]})


def unsign_rows(payload: str, base_id: int) -> list[tuple[int, dict[str, str]]]:
    """The rows of a preview; refused if tampered with, too old, or for another base."""
    try:
        data = _serializer().loads(payload or "", max_age=PAYLOAD_MAX_AGE)
    except SignatureExpired as exc:
        raise ImportFileError(_("The preview has expired. Upload the file again.")) from exc
    except BadSignature as exc:
        raise ImportFileError(_("The preview could not be read. Upload the file again.")) from exc
    if data.get("base_id") != base_id:
        raise ImportFileError(_("The preview could not be read. Upload the file again."))
    return [(int(n), {str(k): str(v) for k, v in values.items()}) for n, values in data["rows"]]


# ---------------------------------------------------------------- templates
def template_csv() -> bytes:
    return tabular.to_csv([zh for _k, zh, _r in COLUMNS], [[EXAMPLE[k] for k, _zh, _r in COLUMNS]])


def template_xlsx(base: TrainingBase | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "课程"
    ws.append([zh for _k, zh, _r in COLUMNS])
    ws.append([EXAMPLE[k] for k, _zh, _r in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, (_k, zh, _r) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, len(zh) * 3)
    notes = wb.create_sheet("说明")
    notes.append(["列", "必填", "写法"])
    help_text = {
        "category": "公需 / 专业 / 选修", "mode": "面授 / 线上 / 混合",
        "sessions": "每次课 日期 开始-结束，分号分隔：2026-09-12 09:00-17:00; 2026-09-13 09:00-12:00",
        "room": "面授必填：地点/教室（见下方本基地已公示的教室）",
        "fee_items": "本基地已公示的收费项目名称，多项用分号分隔，数量写 ×2；免费留空",
        "price_yuan": "可选：须等于所选收费项目之和；不写收费项目时须等于某一收费项目金额",
        "hours": "可选：留空按第十七条默认（天数×6学时，高层次人才培训×8）；线上课程必填",
        "talent_training": "是 / 否（仅市高层次人才培训基地可选“是”）",
        "teachers": "本基地已公示的教师姓名，分号分隔", "capacity": "正整数",
        "enroll_opens": "可选：2026-08-01 09:00", "enroll_closes": "可选，须早于第一次课",
        "profession_series": "可选：工程; 卫生 …（留空=不限）", "staff_levels": "可选：初级; 中级; 副高级; 正高级",
    }
    for key, zh, req in COLUMNS:
        notes.append([zh, "是" if req else "", help_text.get(key, "")])
    if base is not None:
        base = load_disclosure(base.id)
        notes.append([])
        notes.append(["本基地收费项目"] + [f"{f.name}（¥{fen_to_yuan_text(f.amount_fen)}/{f.unit}）"
                                           for f in base.fee_items if f.active])
        notes.append(["本基地教师"] + [t.name for t in base.teachers if t.active])
        notes.append(["本基地教室"] + [f"{loc.name}/{r.name}" for loc in base.locations if loc.active
                                       for r in loc.rooms if r.active])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
