from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


class ComplaintState(LabeledEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"

    @classmethod
    def _titles(cls):
        return {"received": _l("Received"), "in_progress": _l("In progress"),
                "answered": _l("Answered")}


class ComplaintTarget(LabeledEnum):
    BASE = "base"
    EMPLOYER = "employer"

    @classmethod
    def _titles(cls):
        return {"base": _l("A training base"), "employer": _l("An employer")}


class Complaint(db.Model):
    """Art. 29: decided and answered within 30 days of receipt. Its state changes only
    through ``ntbase.office.complaints.states`` (each change is a ``ComplaintEvent``)."""

    __tablename__ = "complaint"
    __table_args__ = (
        sa.CheckConstraint("(target = 'base' AND base_id IS NOT NULL) OR "
                           "(target = 'employer' AND employer_name <> '')", name="has_target"),
        sa.CheckConstraint("deadline_at > received_at", name="deadline_after_receipt"),
        sa.CheckConstraint("state <> 'answered' OR (answer <> '' AND answered_at IS NOT NULL)",
                           name="answered_has_answer"),
        sa.Index("ix_complaint_state_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    target: Mapped[ComplaintTarget] = mapped_column(enum_column(ComplaintTarget, name="complaint_target"))
    base_id: Mapped[int | None] = mapped_column(sa.ForeignKey("base.id"), index=True)
    employer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    subject: Mapped[str] = mapped_column(sa.String(200))
    details: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(default=now)
    deadline_at: Mapped[datetime]
    state: Mapped[ComplaintState] = mapped_column(
        enum_column(ComplaintState, name="complaint_state"), default=ComplaintState.RECEIVED
    )
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    answered_at: Mapped[datetime | None]

    learner = relationship("User", foreign_keys=[learner_id])
    base = relationship("TrainingBase")
    answered_by = relationship("User", foreign_keys=[answered_by_id])
    attachments: Mapped[list[ComplaintAttachment]] = relationship(
        back_populates="complaint", order_by="ComplaintAttachment.evidence_id"
    )
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )

    def is_overdue(self, at: datetime | None = None) -> bool:
        return self.state != ComplaintState.ANSWERED and (at or now()) > self.deadline_at


class ComplaintAttachment(db.Model):
    """A complaint's files are Evidence rows (bytes in the database, checked by content)."""

    __tablename__ = "complaint_attachment"

    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id"), primary_key=True)

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")
    evidence = relationship("Evidence")


class ComplaintEvent(StateHistoryMixin, db.Model):
    """Every state change of a complaint: from, to, who, when, and the officer's note."""

    __tablename__ = "complaint_event"

    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)

    complaint: Mapped[Complaint] = relationship(back_populates="events")

    @property
    def from_title(self) -> str:
        return ComplaintState(self.from_state).title if self.from_state else "—"

    @property
    def to_title(self) -> str:
        return ComplaintState(self.to_state).title
