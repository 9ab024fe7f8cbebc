from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


class ApiToken(db.Model):
    """Office-system API token: only a SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    owner = relationship("User")


# ---------------------------------------------------------------- title applicants
class Committee(LabeledEnum):
    """Notice §4: Nantong's own review committees, or a review entrusted elsewhere."""

    NANTONG = "nantong"
    ENTRUSTED = "entrusted"

    @classmethod
    def _titles(cls):
        return {"nantong": _l("Nantong review committee"),
                "entrusted": _l("Entrusted to another committee")}


class TitleApplication(db.Model):
    """An applicant for a professional title in a year (notice §4).

    Applicants to Nantong's committees who lack the year's public hours (and the
    public-course round certificate) have their title certificate postponed until
    the proof reaches the office. The database keeps the two facts consistent.
    """

    __tablename__ = "title_application"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "year"),
        sa.CheckConstraint("committee = 'nantong' OR NOT certificate_postponed", name="postpone_nantong_only"),
        sa.CheckConstraint("NOT (certificate_postponed AND proof_recorded_at IS NOT NULL)",
                           name="proof_ends_postponement"),
        sa.Index("ix_title_application_year", "year", "certificate_postponed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    year: Mapped[int]
    committee: Mapped[Committee] = mapped_column(enum_column(Committee))
    committee_name: Mapped[str] = mapped_column(sa.String(200), default="")
    certificate_postponed: Mapped[bool] = mapped_column(default=False)
    proof_recorded_at: Mapped[datetime | None]
    proof_recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    proof_note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    learner = relationship("User", foreign_keys=[learner_id])


# ---------------------------------------------------------------- complaints
class ComplaintState(LabeledEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"

    @classmethod
    def _titles(cls):
        return {"received": _l("Received"), "in_progress": _l("In progress"),
                "answered": _l("Answered")}


# Art. 29: explicit allowed transitions; anything else raises.
COMPLAINT_TRANSITIONS: dict[ComplaintState, set[ComplaintState]] = {
    ComplaintState.RECEIVED: {ComplaintState.IN_PROGRESS, ComplaintState.ANSWERED},
    ComplaintState.IN_PROGRESS: {ComplaintState.ANSWERED},
    ComplaintState.ANSWERED: set(),
}


class ComplaintTarget(LabeledEnum):
    BASE = "base"
    EMPLOYER = "employer"

    @classmethod
    def _titles(cls):
        return {"base": _l("A training base"), "employer": _l("An employer")}


class Complaint(db.Model):
    """Art. 29: decided and answered within 30 days of receipt."""

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


# ---------------------------------------------------------------- ratings, assessments
class CourseRating(db.Model):
    """A learner's rating of a course they completed; one per learner and course."""

    __tablename__ = "course_rating"
    __table_args__ = (
        sa.UniqueConstraint("learner_id", "course_id"),
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"))
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)


class AssessmentRating(LabeledEnum):
    EXCELLENT = "excellent"
    QUALIFIED = "qualified"
    NEEDS_IMPROVEMENT = "needs_improvement"
    UNQUALIFIED = "unqualified"

    @classmethod
    def _titles(cls):
        return {"excellent": _l("Excellent"), "qualified": _l("Qualified"),
                "needs_improvement": _l("Needs improvement"), "unqualified": _l("Unqualified")}


class BaseAssessment(db.Model):
    """Art. 26/28: a periodic assessment of a base, with the figures NTBase knew then."""

    __tablename__ = "base_assessment"
    __table_args__ = (sa.CheckConstraint("period_end >= period_start", name="ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    base_id: Mapped[int] = mapped_column(sa.ForeignKey("base.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    figures: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    rating: Mapped[AssessmentRating] = mapped_column(enum_column(AssessmentRating, name="assessment_rating"))
    conclusion: Mapped[str] = mapped_column(sa.Text)
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=now)

    base = relationship("TrainingBase")
    assessor = relationship("User")


# ---------------------------------------------------------------- bulk verification jobs
class BulkJob(db.Model):
    """An uploaded verification file, processed in chunks by stateless servers.

    The parsed rows may contain ID numbers: they are stored encrypted (AES-GCM, the
    PII key) and jobs are purged after a day (``flask ntbase office purge-bulk``).
    """

    __tablename__ = "bulk_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    file_format: Mapped[str] = mapped_column(sa.String(8))  # csv / xlsx
    columns: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # code / name / id column indexes
    row_count: Mapped[int]
    processed: Mapped[int] = mapped_column(default=0)
    rows_enc: Mapped[str] = mapped_column(sa.Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    finished_at: Mapped[datetime | None]

    @property
    def done(self) -> bool:
        return self.processed >= self.row_count


class BulkChunk(db.Model):
    """Results of rows [start, start + n) of a job, as a JSON list."""

    __tablename__ = "bulk_chunk"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("bulk_job.id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    results: Mapped[list] = mapped_column(sa.JSON)
