"""What a course form, an import row or an API call may say about a course, checked on its
own (pydantic v2): the checks that need no database. ``services._apply`` then checks what
needs the base (fee items, rooms, teachers, Art. 17 hours) and writes.

A field that fails becomes a ``DomainError`` naming that field, with the message a person
reads next to it (``to_domain_error``); the fields are checked in the order the form shows
them, so the first problem reported is the first one on the page.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ntbase.catalog.models import CourseMode
from ntbase.kernel.bounds import MAX_INT, Id
from ntbase.kernel.enums import PROFESSION_CODES, Category, TitleLevel
from ntbase.kernel.errors import DomainError

MAX_CAPACITY = 10000
MAX_SESSION = timedelta(hours=14)
ONE_PLACE = Decimal("0.1")


def _messages() -> dict[str, str]:
    """Field -> what to tell the person when pydantic itself refuses the value."""
    return {
        "title": _("This field is required."),
        "category": _("Choose a category."),
        "mode": _("Choose how the course is taught."),
        "profession_series": _("Choose a profession series."),
        "staff_levels": _("Choose a title level."),
        "fee_lines": _("Enter a whole number of units."),
        "price_fen": _("A price cannot be negative."),
        "sessions": _("Add at least one session (date, start and end time)."),
        "hours": _("Enter hours as a number with at most one decimal place."),
        "teacher_ids": _("Choose at least one teacher."),
        "room_id": _("Choose a room of this base."),
        "capacity": _("Enter a whole number of at least 1."),
        "refund_cutoff_hours": _("Enter a whole number of hours."),
        "refund_policy": _("At most %(n)s characters.", n=5000),
        "description_md": _("At most %(n)s characters.", n=20000),
    }


FORM_FIELD = {"price_fen": "price"}  # where a model field's message shows on the form


class FieldProblem(ValueError):
    """A refusal with the message the person reads (pydantic collects it like any ValueError)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class SessionIn(BaseModel):
    model_config = ConfigDict(frozen=True)

    starts_at: datetime
    ends_at: datetime
    room_id: Id | None = None
    topic: str = ""

    @model_validator(mode="after")
    def _one_day_forward(self):
        if self.ends_at <= self.starts_at:
            raise FieldProblem(_("A session must end after it starts (%(d)s).",
                                d=self.starts_at.strftime("%Y-%m-%d %H:%M")), field="sessions")
        if self.ends_at - self.starts_at > MAX_SESSION:
            raise FieldProblem(_("A session lasts at most one day; add one session per day."), field="sessions")
        return self


class FeeLineIn(BaseModel):
    fee_item_id: Id
    quantity: int = Field(1, ge=0, le=1000)


class CourseFields(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    category: Category
    mode: CourseMode
    profession_series: list[str] = []
    staff_levels: list[str] = []
    fee_lines: list[FeeLineIn] = []
    price_fen: int | None = Field(None, ge=0, le=MAX_INT)
    sessions: list[SessionIn] = Field(min_length=1)
    room_id: Id | None = None
    is_talent_training: bool = False
    hours: Decimal | None = None
    teacher_ids: list[Id] = Field(min_length=1)
    capacity: int = Field(ge=1)
    enroll_opens_at: datetime | None = None
    enroll_closes_at: datetime | None = None
    refund_cutoff_hours: int = Field(ge=0, le=24 * 90)
    refund_policy: str = Field("", max_length=5000)
    description_md: str = Field("", max_length=20000)

    @field_validator("title", "refund_policy", mode="before")
    @classmethod
    def _strip(cls, value):
        return (value or "").strip() if isinstance(value, str | type(None)) else value

    @field_validator("description_md", mode="before")
    @classmethod
    def _text(cls, value):
        return value or ""

    @field_validator("profession_series", "staff_levels", mode="before")
    @classmethod
    def _drop_blanks(cls, value):
        return [v for v in (value or []) if v]

    @field_validator("profession_series")
    @classmethod
    def _known_series(cls, value):
        if not set(value) <= set(PROFESSION_CODES):
            raise ValueError("unknown profession series")
        return [c for c in PROFESSION_CODES if c in value]

    @field_validator("staff_levels")
    @classmethod
    def _known_levels(cls, value):
        levels = [t.value for t in TitleLevel]
        if not set(value) <= set(levels):
            raise ValueError("unknown title level")
        return [t for t in levels if t in value]

    @field_validator("fee_lines")
    @classmethod
    def _drop_zero_lines(cls, value):
        return [li for li in value if li.quantity]

    @field_validator("sessions")
    @classmethod
    def _in_order(cls, value):
        return sorted(value, key=lambda s: s.starts_at)

    @field_validator("room_id", mode="before")
    @classmethod
    def _no_room(cls, value):
        return value or None

    @field_validator("hours")
    @classmethod
    def _one_place(cls, value):
        if value is None:
            return None
        if not value.is_finite() or value != value.quantize(ONE_PLACE):
            raise ValueError("one decimal place")
        if value <= 0:
            raise FieldProblem(_("Hours must be more than 0; leave the field empty for the Art. 17 default."),
                              field="hours")
        return value

    @field_validator("teacher_ids")
    @classmethod
    def _unique_teachers(cls, value):
        return list(dict.fromkeys(value))

    @field_validator("capacity")
    @classmethod
    def _at_most(cls, value):
        if value > MAX_CAPACITY:
            raise FieldProblem(_("At most %(n)s seats.", n=MAX_CAPACITY), field="capacity")
        return value

    @model_validator(mode="after")
    def _by_mode(self):
        if self.mode == CourseMode.ONLINE:
            if self.hours is None:
                raise FieldProblem(_("An online course declares its hours."), field="hours")
            if self.hours > 999:
                raise FieldProblem(_("Enter hours as a number with at most one decimal place."), field="hours")
            # an online course has no room; its sessions are live dates, not bookings
            self.room_id = None
            self.sessions = [s.model_copy(update={"room_id": None}) for s in self.sessions]
        else:
            self.sessions = [s.model_copy(update={"room_id": s.room_id or self.room_id}) for s in self.sessions]
        return self


def _field_of(error: dict) -> str:
    problem = (error.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem) and problem.field:
        return problem.field
    return str(error["loc"][0]) if error["loc"] else "title"


def to_domain_error(exc: ValidationError) -> DomainError:
    """The first field pydantic refused (in the form's order), with the message the form
    shows next to it."""
    order = list(CourseFields.model_fields)
    errors = sorted(exc.errors(), key=lambda e: order.index(_field_of(e)) if _field_of(e) in order else len(order))
    first = errors[0]
    field = _field_of(first)
    problem = (first.get("ctx") or {}).get("error")
    message = problem.message if isinstance(problem, FieldProblem) else _messages().get(
        field, _("Some of the data is not valid."))
    return DomainError(message, field=FORM_FIELD.get(field, field))


def check(data: dict) -> CourseFields:
    try:
        return CourseFields.model_validate(data)
    except ValidationError as exc:
        raise to_domain_error(exc) from None
