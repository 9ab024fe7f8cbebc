from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum


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
