from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import LabeledEnum


class EntryState(LabeledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @classmethod
    def _titles(cls):
        return {"pending": _l("Pending review"), "accepted": _l("Accepted"),
                "rejected": _l("Rejected")}


class Policy(db.Model):
    """The yearly rules, as data. A year is judged by the row with the greatest
    effective_year <= that year (2011 row: Art. 16; 2021 row: notice §1)."""

    __tablename__ = "policy"
    __table_args__ = (
        sa.CheckConstraint("required_total > 0", name="total_positive"),
        sa.CheckConstraint("required_public >= 0", name="public_nonneg"),
        sa.CheckConstraint("minutes_per_hour >= 1 AND minutes_per_hour <= 120", name="minutes_per_hour_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    effective_year: Mapped[int] = mapped_column(unique=True)
    required_total: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    required_public: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    # fractions as "1/3" strings: exact, no float
    public_cap_share: Mapped[str] = mapped_column(sa.String(10), default="1/3")
    self_study_cap_share: Mapped[str] = mapped_column(sa.String(10), default="1/3")
    exemptions_cover_public: Mapped[bool] = mapped_column(default=False)
    # minutes of online study that make one hour (学时) for online courses' declared hours;
    # 45 is a reading to confirm with the office (the seed does not define it)
    minutes_per_hour: Mapped[int] = mapped_column(default=45, server_default="45")
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class PolicyChange(db.Model):
    __tablename__ = "policy_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(sa.ForeignKey("policy.id"), index=True)
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=now)


class RoundYear(db.Model):
    """Public-course round → the year its certificate waives (notice §4: round 5 → 2021)."""

    __tablename__ = "round_year"

    round: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    year: Mapped[int]


class Evidence(db.Model):
    """An uploaded proof (PDF/JPEG/PNG, checked by content). Stored in the database so
    every app server sees it (stateless servers)."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


class LedgerEntry(TimestampMixin, db.Model):
    """One activity's hours. Course completions enter accepted, once (unique enrollment)."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        sa.Index("ix_ledger_learner_year", "learner_id", "year", "state"),
        sa.CheckConstraint("hours IS NULL OR hours >= 0", name="hours_nonneg"),
        sa.CheckConstraint("days IS NULL OR (days >= 0 AND days <= 366)", name="days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    year: Mapped[int]
    # course / conference / training_class / talent_base_training / online_course /
    # self_study / transfer / adjustment  (engine kinds)
    kind: Mapped[str] = mapped_column(sa.String(32))
    category: Mapped[str] = mapped_column(sa.String(20), default="specialized")
    level: Mapped[str | None] = mapped_column(sa.String(20))  # conference level
    region: Mapped[str | None] = mapped_column(sa.String(20))  # transfer region
    days: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 1))
    hours: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 1))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    organizer: Mapped[str] = mapped_column(sa.String(200), default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    state: Mapped[EntryState] = mapped_column(
        enum_column(EntryState, name="entry_state"), default=EntryState.PENDING
    )
    source: Mapped[str] = mapped_column(sa.String(20), default="external")  # course / external / office
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment.id"), unique=True)
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificate.id"))
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    flagged_overlap: Mapped[bool] = mapped_column(default=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")

    evidence = relationship("Evidence")
    learner = relationship("User", foreign_keys=[learner_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class ExemptionEvent(TimestampMixin, db.Model):
    """Art. 17(4)/(5) events: award, book, degree, papers, exam_passed,
    public_round_certificate. Pending until the office accepts."""

    __tablename__ = "exemption_event"
    __table_args__ = (sa.Index("ix_exemption_learner", "learner_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    year: Mapped[int | None]
    level: Mapped[str | None] = mapped_column(sa.String(20))  # award level
    grade: Mapped[int | None]  # award grade (3 = 三等奖)
    characters: Mapped[int | None]  # co-written book
    papers_provincial: Mapped[int] = mapped_column(default=0)
    papers_city: Mapped[int] = mapped_column(default=0)
    papers_county: Mapped[int] = mapped_column(default=0)
    round: Mapped[int | None]
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[EntryState] = mapped_column(
        enum_column(EntryState, name="exemption_state"), default=EntryState.PENDING
    )
    evidence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("evidence.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")

    evidence = relationship("Evidence")
    learner = relationship("User", foreign_keys=[learner_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


class Statement(db.Model):
    """学时证明: a year's counted entries and verdict, signed like a certificate."""

    __tablename__ = "statement"
    __table_args__ = (sa.Index("ix_statement_learner_year", "learner_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    year: Mapped[int]
    holder_name_masked: Mapped[str] = mapped_column(sa.String(50))
    holder_id_masked: Mapped[str] = mapped_column(sa.String(18))
    holder_id_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    counted_total: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    public_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    complies: Mapped[bool]
    issued_at: Mapped[datetime] = mapped_column(default=now)
    key_id: Mapped[str] = mapped_column(sa.ForeignKey("signing_key.kid"))
    payload: Mapped[str] = mapped_column(sa.Text)
    signature: Mapped[str] = mapped_column(sa.String(100))

    learner = relationship("User")


class YearlyStatus(db.Model):
    """A learner's year as the engine judges it, kept up to date with the ledger
    (ntbase.hours.status): what every list of many learners reads."""

    __tablename__ = "yearly_status"
    __table_args__ = (
        sa.Index("ix_yearly_status_year_complies", "year", "complies"),
        sa.CheckConstraint("counted_total >= 0 AND counted_public >= 0", name="counted_nonneg"),
        sa.CheckConstraint("short_total >= 0 AND short_public >= 0", name="short_nonneg"),
    )

    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    counted_total: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))
    counted_public: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))  # public hours counted toward the total
    public_hours: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))  # every accepted public hour
    required_total: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))
    required_public: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))
    complies: Mapped[bool]
    short_total: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))
    short_public: Mapped[Decimal] = mapped_column(sa.Numeric(7, 1))
    total_exempt: Mapped[bool] = mapped_column(default=False)
    policy_year: Mapped[int]  # effective year of the policy row that judged it
    updated_at: Mapped[datetime] = mapped_column(default=now)
