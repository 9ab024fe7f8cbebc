from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import Category, LabeledEnum


class CourseMode(LabeledEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    BLENDED = "blended"

    @classmethod
    def _titles(cls):
        return {"in_person": _l("In person"), "online": _l("Online"), "blended": _l("Blended")}


class CourseStatus(LabeledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @classmethod
    def _titles(cls):
        return {"draft": _l("Draft"), "published": _l("Published"), "closed": _l("Closed"),
                "cancelled": _l("Cancelled")}


course_teacher = sa.Table(
    "course_teacher",
    db.Model.metadata,
    sa.Column("course_id", sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("teacher_id", sa.ForeignKey("teacher.id"), primary_key=True),
)


class Course(TimestampMixin, db.Model):
    __tablename__ = "course"
    __table_args__ = (
        sa.CheckConstraint("price_fen >= 0", name="price_nonneg"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within_capacity"),
        sa.CheckConstraint("hours >= 0", name="hours_nonneg"),
        sa.CheckConstraint("pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)", name="pass_mark_range"),
        sa.CheckConstraint("attendance_required_pct >= 0 AND attendance_required_pct <= 100", name="attendance_pct_range"),
        sa.Index("ix_course_catalog", "status", "first_session_at"),
        # keyword search is ILIKE '%词%' on search_text: a trigram GIN index serves it on
        # PostgreSQL (needs the pg_trgm extension; SQLite scans, which is fine at its scale)
        sa.Index("ix_course_search_trgm", "search_text", postgresql_using="gin",
                 postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[Category] = mapped_column(enum_column(Category), index=True)
    mode: Mapped[CourseMode] = mapped_column(enum_column(CourseMode), default=CourseMode.IN_PERSON)
    profession_series: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty = all
    staff_levels: Mapped[list] = mapped_column(sa.JSON, default=list)  # empty = all
    price_fen: Mapped[int] = mapped_column(default=0, index=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    # Art. 17(2): run as city high-level-talent training (8 h/day); only talent bases
    is_talent_training: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int]
    # held + confirmed (+ offered) seats; moved only by atomic conditional UPDATEs
    seats_taken: Mapped[int] = mapped_column(default=0)
    enroll_opens_at: Mapped[datetime]
    enroll_closes_at: Mapped[datetime]
    refund_policy: Mapped[str] = mapped_column(sa.Text, default="")
    # a learner may cancel with a refund until this many hours before the first session
    refund_cutoff_hours: Mapped[int] = mapped_column(default=24)
    description_md: Mapped[str] = mapped_column(sa.Text, default="")
    description_html: Mapped[str] = mapped_column(sa.Text, default="")  # sanitised
    status: Mapped[CourseStatus] = mapped_column(
        enum_column(CourseStatus, name="course_status"), default=CourseStatus.DRAFT, index=True
    )
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id"))
    disclosure_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("disclosure_version.id"))
    # completion rule
    attendance_required_pct: Mapped[int] = mapped_column(default=100)
    has_assessment: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[int | None]
    # denormalised from sessions for fast catalog filtering/sorting
    first_session_at: Mapped[datetime | None]
    last_session_at: Mapped[datetime | None]
    # title + description text + teacher names, for keyword search (pg_trgm on PostgreSQL)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str] = mapped_column(sa.Text, default="")

    base = relationship("TrainingBase")
    location = relationship("Location")
    room = relationship("Room")
    disclosure_version = relationship("DisclosureVersion")
    sessions: Mapped[list[CourseSession]] = relationship(
        back_populates="course", order_by="CourseSession.starts_at", cascade="all, delete-orphan"
    )
    teachers = relationship("Teacher", secondary=course_teacher, order_by="Teacher.id")
    fee_lines: Mapped[list[CourseFeeLine]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseFeeLine.id"
    )

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_free(self) -> bool:
        return self.price_fen == 0

    @property
    def refund_deadline(self) -> datetime | None:
        """Until when a learner may cancel with a refund (``refund_cutoff_hours`` before the start)."""
        if self.first_session_at is None:
            return None
        return self.first_session_at - timedelta(hours=self.refund_cutoff_hours or 0)


class CourseSession(db.Model):
    __tablename__ = "course_session"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("room.id"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(200), default="")
    # secret for the rotating venue QR (attendance); never shown except as HMAC-derived tokens

    course: Mapped[Course] = relationship(back_populates="sessions")
    room = relationship("Room")


class CourseFeeLine(db.Model):
    """Which declared fee item a course charges, and how many units (price = sum)."""

    __tablename__ = "course_fee_line"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint("amount_fen >= 0", name="amount_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    fee_item_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_item.id"))
    quantity: Mapped[int] = mapped_column(default=1)
    amount_fen: Mapped[int]  # snapshot: item amount × quantity at the time

    course: Mapped[Course] = relationship(back_populates="fee_lines")
    fee_item = relationship("FeeItem")


class CourseChange(db.Model):
    """A change of price, schedule or location after enrollments began: reason required."""

    __tablename__ = "course_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=now)
