from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, now


class Attendance(db.Model):
    """One row per learner and session; method = roster / learner_qr / venue_qr."""

    __tablename__ = "attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "enrollment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_session.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    present: Mapped[bool] = mapped_column(default=True)
    method: Mapped[str] = mapped_column(sa.String(20), default="roster")
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    marked_at: Mapped[datetime] = mapped_column(default=now)

    session = relationship("CourseSession")
    enrollment = relationship("Enrollment")


class AssessmentResult(db.Model):
    """A course's assessment: pass mark on the course; at most one resit (attempt 2)."""

    __tablename__ = "assessment_result"
    __table_args__ = (
        sa.UniqueConstraint("enrollment_id", "attempt"),
        sa.CheckConstraint("attempt IN (1, 2)", name="attempt_one_or_two"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    attempt: Mapped[int] = mapped_column(default=1)
    score: Mapped[int]
    passed: Mapped[bool]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=now)
