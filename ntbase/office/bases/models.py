from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum


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
