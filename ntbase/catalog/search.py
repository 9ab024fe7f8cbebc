"""The public catalog query: filters, keyword search, sort, pagination.

One function builds the statement for the catalog page and the API alike. Keyword
search is ``ILIKE '%词%'`` on ``Course.search_text`` (title + description + teacher
names): it finds two-character Chinese words such as 安全 on SQLite and PostgreSQL alike
(a trigram MATCH would not), and on PostgreSQL a pg_trgm GIN index serves it.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course, CourseMode, CourseStatus
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import PROFESSION_CODES, Category, CertificationStatus, TitleLevel

PER_PAGE = 20
SORTS = ("start", "price", "-price")


@dataclass
class CatalogFilters:
    q: str = ""
    base_id: int | None = None
    category: str | None = None
    mode: str | None = None
    month: str | None = None  # "2026-05"
    date_from: date | None = None
    date_to: date | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    staff_level: str | None = None
    profession: str | None = None
    seats_left: bool = False
    include_past: bool = False
    sort: str = "start"


def escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_month(value: str | None) -> tuple[datetime, datetime] | None:
    try:
        year, month = (int(x) for x in (value or "").split("-"))
        start = datetime(year, month, 1)
        end = start + timedelta(days=calendar.monthrange(year, month)[1])
    except (ValueError, OverflowError):  # "2026-13", "9999-12": no such month to list
        return None
    return start, end


def _day_after(d: date) -> datetime:
    """Midnight after ``d`` (the end of 9999-12-31 is the largest datetime)."""
    try:
        return datetime.combine(d + timedelta(days=1), time.min)
    except OverflowError:
        return datetime.max


def _json_list_has(column, code: str):
    """A JSON list column (stored as text) that contains ``code`` or is empty (= everyone)."""
    text = sa.cast(column, sa.Text)
    return sa.or_(text.like(f'%"{escape_like(code)}"%', escape="\\"), text == "[]", column.is_(None))


def public_courses_stmt(f: CatalogFilters, now_: datetime | None = None) -> sa.Select:
    """Published courses of certified bases matching ``f``, sorted, base joined in."""
    stmt = (sa.select(Course).join(Course.base)
            .where(Course.status == CourseStatus.PUBLISHED,
                   TrainingBase.status == CertificationStatus.CERTIFIED)
            .options(contains_eager(Course.base), selectinload(Course.teachers)))
    for term in (f.q or "").split()[:8]:
        stmt = stmt.where(Course.search_text.ilike(f"%{escape_like(term)}%", escape="\\"))
    if f.base_id:
        stmt = stmt.where(Course.base_id == f.base_id)
    if f.category in {c.value for c in Category}:
        stmt = stmt.where(Course.category == Category(f.category))
    if f.mode in {m.value for m in CourseMode}:
        stmt = stmt.where(Course.mode == CourseMode(f.mode))
    dated = False
    month = parse_month(f.month)
    if month:
        stmt = stmt.where(Course.first_session_at >= month[0], Course.first_session_at < month[1])
        dated = True
    if f.date_from:
        stmt = stmt.where(Course.first_session_at >= datetime.combine(f.date_from, time.min))
        dated = True
    if f.date_to:
        stmt = stmt.where(Course.first_session_at < _day_after(f.date_to))
        dated = True
    if not dated and not f.include_past:
        # by default learners see what they can still attend
        stmt = stmt.where(Course.last_session_at >= (now_ or now()))
    if f.price_min_fen is not None:
        stmt = stmt.where(Course.price_fen >= f.price_min_fen)
    if f.price_max_fen is not None:
        stmt = stmt.where(Course.price_fen <= f.price_max_fen)
    if f.staff_level in {t.value for t in TitleLevel}:
        stmt = stmt.where(_json_list_has(Course.staff_levels, f.staff_level))
    if f.profession in PROFESSION_CODES:
        stmt = stmt.where(_json_list_has(Course.profession_series, f.profession))
    if f.seats_left:
        stmt = stmt.where(Course.seats_taken < Course.capacity)
    if f.sort == "price":
        stmt = stmt.order_by(Course.price_fen, Course.first_session_at, Course.id)
    elif f.sort == "-price":
        stmt = stmt.order_by(Course.price_fen.desc(), Course.first_session_at, Course.id)
    else:
        stmt = stmt.order_by(Course.first_session_at, Course.id)
    return stmt


def search_courses(f: CatalogFilters, page: int = 1, per_page: int = PER_PAGE, now_: datetime | None = None):
    """A Flask-SQLAlchemy pagination of the matching courses (two statements + teachers)."""
    page = max(1, min(int(page or 1), 10000))
    return db.paginate(public_courses_stmt(f, now_), page=page, per_page=per_page, error_out=False,
                       max_per_page=100)
