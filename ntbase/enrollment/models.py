from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


def new_checkin_token() -> str:
    return secrets.token_urlsafe(24)


class EnrollmentState(LabeledEnum):
    WAITLISTED = "waitlisted"
    OFFERED = "offered"  # a freed seat reserved for the next on the waitlist
    HELD = "held"  # seat held while the learner pays
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @classmethod
    def _titles(cls):
        return {"waitlisted": _l("Waitlisted"), "offered": _l("Seat offered"),
                "held": _l("Seat held, awaiting payment"), "confirmed": _l("Confirmed"),
                "completed": _l("Completed"), "cancelled": _l("Cancelled"),
                "expired": _l("Expired")}


# States in which the enrollment occupies a seat (counted in Course.seats_taken).
SEAT_STATES = (EnrollmentState.OFFERED, EnrollmentState.HELD, EnrollmentState.CONFIRMED)
# States in which the learner has a live enrollment (at most one per course).
LIVE_STATES = SEAT_STATES + (EnrollmentState.WAITLISTED, EnrollmentState.COMPLETED)
_LIVE_SQL = "state IN ('waitlisted','offered','held','confirmed','completed')"


class EnrollmentGroup(TimestampMixin, db.Model):
    """Seats held together for several learners in one course, paid by one payer (an
    employer for its staff). The seats are taken all at once or not at all, the holds of
    the members share one deadline and expire together, and one payment (with a line per
    member) confirms them."""

    __tablename__ = "enrollment_group"
    __table_args__ = (
        sa.CheckConstraint("size >= 1", name="size_positive"),
        sa.CheckConstraint("price_fen >= 0", name="price_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    size: Mapped[int]  # seats taken when the group was held
    price_fen: Mapped[int] = mapped_column(default=0)  # per seat, at the time of holding
    hold_expires_at: Mapped[datetime | None]
    # who pays, as the learners read it ("南通市第一人民医院"): the payer's own domain keeps the rest
    payer_label: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    course = relationship("Course")
    members: Mapped[list[Enrollment]] = relationship(back_populates="group", order_by="Enrollment.id",
                                                     viewonly=True)


class Enrollment(TimestampMixin, db.Model):
    __tablename__ = "enrollment"
    __table_args__ = (
        # one live enrollment per learner and course (partial unique index, both databases)
        sa.Index(
            "uq_enrollment_live",
            "course_id",
            "learner_id",
            unique=True,
            sqlite_where=sa.text(_LIVE_SQL),
            postgresql_where=sa.text(_LIVE_SQL),
        ),
        sa.Index("ix_enrollment_course_state", "course_id", "state"),
        sa.CheckConstraint("price_fen >= 0", name="price_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    state: Mapped[EnrollmentState] = mapped_column(
        enum_column(EnrollmentState, name="enrollment_state"), index=True
    )
    price_fen: Mapped[int] = mapped_column(default=0)  # price at the time of enrolling
    disclosure_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("disclosure_version.id"))
    hold_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    offer_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    waitlisted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(sa.String(20), default="self")  # self / manual
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # held and paid together with others (an employer's group enrollment)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment_group.id"), index=True)
    # opaque token printed as the learner's check-in QR, given to every enrollment
    checkin_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True, default=new_checkin_token)

    course = relationship("Course")
    learner = relationship("User", foreign_keys=[learner_id])
    events: Mapped[list[EnrollmentEvent]] = relationship(
        back_populates="enrollment", order_by="EnrollmentEvent.id"
    )
    # read-only view for lists (selectinload); payments are written by ntbase.payments.services
    payments = relationship("PaymentIntent", viewonly=True, order_by="PaymentIntent.id")
    # this enrollment's share of group payments (an employer paying for several staff)
    payment_lines = relationship("PaymentLine", viewonly=True, order_by="PaymentLine.id")
    group: Mapped[EnrollmentGroup | None] = relationship(back_populates="members")

    @property
    def holds_seat(self) -> bool:
        return self.state in SEAT_STATES

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    @property
    def paid_fen(self) -> int:
        """Money paid and not refunded (needs ``payments`` and ``payment_lines`` loaded)."""
        return sum(p.amount_fen - p.refunded_fen for p in self.payments
                   if p.state.value in ("succeeded", "partially_refunded")) + sum(
            line.paid_fen for line in self.payment_lines)

    @property
    def amount_paid_fen(self) -> int:
        """Money that went through, refunded or not."""
        return sum(p.amount_fen for p in self.payments if p.succeeded_at is not None) + sum(
            line.amount_fen for line in self.payment_lines if line.payment.succeeded_at is not None)

    @property
    def refunded_fen(self) -> int:
        return sum(p.refunded_fen for p in self.payments) + sum(line.refunded_fen for line in self.payment_lines)

    @property
    def paid_by(self) -> str:
        """Who pays for this seat when it is not the learner (an employer's name), else ""."""
        return self.group.payer_label if self.group_id is not None and self.group is not None else ""

    @property
    def last_payment(self):
        return self.payments[-1] if self.payments else None


class EnrollmentEvent(StateHistoryMixin, db.Model):
    """Every state change: who, when, from which state to which, and why."""

    __tablename__ = "enrollment_event"

    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)

    enrollment: Mapped[Enrollment] = relationship(back_populates="events")
