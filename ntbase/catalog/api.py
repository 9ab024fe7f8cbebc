"""Read API for bases and courses (/api/v1). Same services and filters as the pages;
drafts and courses of bases that are not certified are not there (404)."""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ntbase.bases.models import TrainingBase
from ntbase.bases.services import current_disclosure, list_public_bases, parse_yuan
from ntbase.catalog import services
from ntbase.catalog.models import Course, CourseStatus
from ntbase.catalog.search import PER_PAGE, CatalogFilters, search_courses
from ntbase.kernel.api import IsoDate, LocalDateTime, bp, document, json_error, parse_query
from ntbase.kernel.bounds import MAX_ID, Id
from ntbase.kernel.db import db
from ntbase.kernel.enums import PROFESSION_CODES, CertificationStatus
from ntbase.kernel.errors import DomainError


# ---------------------------------------------------------------- schemas
class BaseOut(BaseModel):
    id: int
    slug: str
    name: str
    name_en: str
    level: str
    status: str
    is_talent_base: bool
    staff_levels: list[str]
    website: str
    address: str
    contact_phone: str
    url: str


class DisclosureOut(BaseModel):
    version: int
    published_at: LocalDateTime
    scope: dict
    fees: dict
    people: dict
    locations: list[dict]


class BaseDetailOut(BaseOut):
    disclosure: DisclosureOut | None = None


class BaseListOut(BaseModel):
    items: list[BaseOut]


class SessionOut(BaseModel):
    starts_at: LocalDateTime
    ends_at: LocalDateTime
    room: str | None = None


class TeacherOut(BaseModel):
    name: str
    title: str
    organisation: str


class FeeLineOut(BaseModel):
    item: str
    covers: str
    unit: str
    quantity: int
    amount_fen: int


class CourseOut(BaseModel):
    id: int
    base_id: int
    base_name: str
    title: str
    category: str
    mode: str
    price_fen: int = Field(description="Price in fen (1 yuan = 100 fen)")
    hours: Decimal = Field(description="学时, one decimal place")
    is_talent_training: bool
    capacity: int
    seats_left: int
    first_session_at: LocalDateTime | None
    last_session_at: LocalDateTime | None
    enroll_opens_at: LocalDateTime
    enroll_closes_at: LocalDateTime
    staff_levels: list[str]
    profession_series: list[str]
    teachers: list[str]
    url: str


class CourseDetailOut(CourseOut):
    status: str
    location: str | None = None
    address: str | None = None
    room: str | None = None
    sessions: list[SessionOut]
    teacher_details: list[TeacherOut]
    fee_lines: list[FeeLineOut]
    refund_policy: str
    refund_cutoff_hours: int
    description_html: str
    disclosure_version: int | None = None
    ics_url: str


class CoursePageOut(BaseModel):
    items: list[CourseOut]
    page: int
    pages: int
    per_page: int
    total: int


MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
YUAN_PATTERN = r"^(?:[0-9]{1,6}(?:\.[0-9]{1,2})?|1000000(?:\.00?)?)$"  # 0 … ¥1,000,000, fen at most


class CourseQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    q: str = Field("", max_length=100)
    base: Id | None = None
    category: Literal["public", "specialized", "elective"] | None = None
    mode: Literal["in_person", "online", "blended"] | None = None
    month: str | None = Field(None, pattern=MONTH_PATTERN)
    date_from: IsoDate | None = None
    date_to: IsoDate | None = None
    price_min: str | None = Field(None, pattern=YUAN_PATTERN, description="yuan")
    price_max: str | None = Field(None, pattern=YUAN_PATTERN, description="yuan")
    staff_level: Literal["junior", "intermediate", "sub_senior", "senior"] | None = None
    profession: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_means_any(cls, data):
        """``?category=`` (an untouched filter of a form) means no filter, as on the catalog page."""
        return {k: v for k, v in data.items() if v != ""} if isinstance(data, dict) else data

    @field_validator("profession")
    @classmethod
    def _known_profession(cls, value: str | None) -> str | None:
        if value is not None and value not in PROFESSION_CODES:
            raise ValueError("unknown profession series; one of " + ", ".join(PROFESSION_CODES))
        return value
    seats_left: bool = False
    include_past: bool = False
    sort: str = Field("start", pattern=r"^(start|price|-price)$")
    page: int = Field(1, ge=1, le=10000)
    per_page: int = Field(PER_PAGE, ge=1, le=100)


def _or_empty(schema: dict) -> dict:
    """A filter left empty (``?category=``, an untouched form field) means any."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


COURSE_QUERY_DOC = {
    "q": {"type": "string", "maxLength": 100, "description": "keyword (title, description, teacher names)"},
    "base": _or_empty({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
    "category": _or_empty({"type": "string", "enum": ["public", "specialized", "elective"]}),
    "mode": _or_empty({"type": "string", "enum": ["in_person", "online", "blended"]}),
    "month": _or_empty({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-05"}),
    "date_from": _or_empty({"type": "string", "format": "date"}),
    "date_to": _or_empty({"type": "string", "format": "date"}),
    "price_min": _or_empty({"type": "string", "pattern": YUAN_PATTERN, "description": "yuan, e.g. 200 or 199.50"}),
    "price_max": _or_empty({"type": "string", "pattern": YUAN_PATTERN, "description": "yuan, e.g. 200 or 199.50"}),
    "staff_level": _or_empty({"type": "string", "enum": ["junior", "intermediate", "sub_senior", "senior"]}),
    "profession": _or_empty({"type": "string", "enum": PROFESSION_CODES}),
    "seats_left": _or_empty({"type": "boolean"}),
    "include_past": _or_empty({"type": "boolean"}),
    "sort": _or_empty({"type": "string", "enum": ["start", "price", "-price"]}),
    "page": _or_empty({"type": "integer", "minimum": 1, "maximum": 10000}),
    "per_page": _or_empty({"type": "integer", "minimum": 1, "maximum": 100}),
}


# ---------------------------------------------------------------- mapping
def base_out(b: TrainingBase, cls=BaseOut, **extra):
    return cls(id=b.id, slug=b.slug, name=b.name, name_en=b.name_en or "", level=b.level.value,
               status=b.status.value, is_talent_base=b.is_talent_base, staff_levels=list(b.staff_levels or []),
               website=b.website or "", address=b.address or "", contact_phone=b.contact_phone or "",
               url=url_for("bases.detail", base_id=b.id, _external=True), **extra)


def course_out(c: Course, cls=CourseOut, **extra):
    return cls(id=c.id, base_id=c.base_id, base_name=c.base.name, title=c.title, category=c.category.value,
               mode=c.mode.value, price_fen=c.price_fen, hours=c.hours, is_talent_training=c.is_talent_training,
               capacity=c.capacity, seats_left=c.seats_left, first_session_at=c.first_session_at,
               last_session_at=c.last_session_at, enroll_opens_at=c.enroll_opens_at,
               enroll_closes_at=c.enroll_closes_at, staff_levels=list(c.staff_levels or []),
               profession_series=list(c.profession_series or []), teachers=[t.name for t in c.teachers],
               url=url_for("catalog.course", course_id=c.id, _external=True), **extra)


def _public_base_or_none(base_id: int) -> TrainingBase | None:
    return db.session.scalar(sa.select(TrainingBase).where(
        TrainingBase.id == base_id, TrainingBase.status == CertificationStatus.CERTIFIED))


# ---------------------------------------------------------------- routes
@bp.get("/bases")
@document("Certified training bases", path="/bases", response=BaseListOut, tags=["catalog"])
def api_bases():
    return BaseListOut(items=[base_out(b) for b in list_public_bases()]).model_dump(mode="json")


@bp.get("/bases/<int:base_id>")
@document("One base with its current Art. 22 disclosure", path="/bases/<int:base_id>", response=BaseDetailOut,
          tags=["catalog"], errors={404: "No such certified base"})
def api_base(base_id: int):
    b = _public_base_or_none(base_id)
    if b is None:
        return json_error(404, _("No such training base."), "not_found")
    dv = current_disclosure(b.id)
    disclosure = None
    if dv is not None:
        snap = dv.snapshot
        disclosure = DisclosureOut(version=dv.version, published_at=dv.created_at, scope=snap.get("scope", {}),
                                   fees=snap.get("fees", {}), people=snap.get("people", {}),
                                   locations=snap.get("locations", []))
    return base_out(b, BaseDetailOut, disclosure=disclosure).model_dump(mode="json")


@bp.get("/courses")
@document("Published courses (same filters as the catalog page)", path="/courses", response=CoursePageOut,
          query=COURSE_QUERY_DOC, tags=["catalog"], errors={422: "Invalid filter"})
def api_courses():
    query, error = parse_query(CourseQuery)
    if error is not None:
        return error
    try:
        price_min = parse_yuan(query.price_min, "price_min") if query.price_min else None
        price_max = parse_yuan(query.price_max, "price_max") if query.price_max else None
    except DomainError as err:
        return json_error(422, err.message, "validation_error", [{"field": err.field, "message": err.message}])
    filters = CatalogFilters(q=query.q, base_id=query.base, category=query.category, mode=query.mode,
                             month=query.month, date_from=query.date_from, date_to=query.date_to,
                             price_min_fen=price_min, price_max_fen=price_max, staff_level=query.staff_level,
                             profession=query.profession, seats_left=query.seats_left,
                             include_past=query.include_past, sort=query.sort)
    page = search_courses(filters, query.page, query.per_page)
    return CoursePageOut(items=[course_out(c) for c in page.items], page=page.page, pages=page.pages,
                         per_page=page.per_page, total=page.total).model_dump(mode="json")


@bp.get("/courses/<int:course_id>")
@document("One published course: sessions, teachers, fee lines", path="/courses/<int:course_id>",
          response=CourseDetailOut, tags=["catalog"], errors={404: "No such published course"})
def api_course(course_id: int):
    c = services.load_course(course_id)
    if c is None or c.status == CourseStatus.DRAFT or not c.base.is_open:
        return json_error(404, _("No such course."), "not_found")
    dv = c.disclosure_version
    refund = c.refund_policy or (dv.snapshot.get("fees", {}).get("refund_policy", "") if dv else c.base.refund_policy)
    return course_out(
        c, CourseDetailOut, status=c.status.value,
        location=c.location.name if c.location else None, address=c.location.address if c.location else None,
        room=c.room.name if c.room else None,
        sessions=[SessionOut(starts_at=s.starts_at, ends_at=s.ends_at, room=s.room.name if s.room else None)
                  for s in c.sessions],
        teacher_details=[TeacherOut(name=t.name, title=t.title, organisation=t.organisation) for t in c.teachers],
        fee_lines=[FeeLineOut(item=li.fee_item.name, covers=li.fee_item.covers, unit=li.fee_item.unit,
                              quantity=li.quantity, amount_fen=li.amount_fen) for li in c.fee_lines],
        refund_policy=refund or "", refund_cutoff_hours=c.refund_cutoff_hours,
        description_html=c.description_html or "", disclosure_version=dv.version if dv else None,
        ics_url=url_for("catalog.course_ics", course_id=c.id, _external=True),
    ).model_dump(mode="json")
