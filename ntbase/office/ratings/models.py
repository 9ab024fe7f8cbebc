from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ntbase.kernel.db import db, now


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
