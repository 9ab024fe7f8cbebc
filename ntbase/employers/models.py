"""Employers, their administrators' staff memberships, self-study, long-training consents,
group enrollments, yearly plans and reports, fee recovery requests."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


class EmployerKind(LabeledEnum):
    ENTERPRISE = "enterprise"
    PUBLIC_INSTITUTION = "public_institution"
    SOCIAL_ORGANISATION = "social_organisation"
    GOVERNMENT = "government"

    @classmethod
    def _titles(cls):
        return {"enterprise": _l("Enterprise (企业)"), "public_institution": _l("Public institution (事业单位)"),
                "social_organisation": _l("Social organisation (社会组织)"),
                "government": _l("Government body (机关)")}


class EmployerState(LabeledEnum):
    PENDING = "pending"  # registered, waiting for the office
    ACTIVE = "active"  # confirmed by the office: may act
    SUSPENDED = "suspended"

    @classmethod
    def _titles(cls):
        return {"pending": _l("Waiting for confirmation"), "active": _l("Confirmed"),
                "suspended": _l("Suspended")}


# Nantong's districts, county-level cities and zones (where the employer is registered)
DISTRICTS = [
    ("chongchuan", _l("Chongchuan District (崇川区)")),
    ("tongzhou", _l("Tongzhou District (通州区)")),
    ("haimen", _l("Haimen District (海门区)")),
    ("rugao", _l("Rugao City (如皋市)")),
    ("haian", _l("Hai'an City (海安市)")),
    ("qidong", _l("Qidong City (启东市)")),
    ("rudong", _l("Rudong County (如东县)")),
    ("etdz", _l("Nantong Economic and Technological Development Area (南通经济技术开发区)")),
    ("sxt", _l("Suxitong Science and Technology Park (苏锡通科技产业园区)")),
    ("tzw", _l("Tongzhou Bay Demonstration Zone (通州湾示范区)")),
]
DISTRICT_CODES = [c for c, _t in DISTRICTS]


def district_title(code: str) -> str:
    return str(dict(DISTRICTS).get(code, code))


class Employer(TimestampMixin, db.Model):
    """用人单位. Acts (invites staff, enrolls, reports) only once the office confirmed it."""

    __tablename__ = "employer"
    __table_args__ = (sa.CheckConstraint("length(uscc) = 18", name="uscc_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # 统一社会信用代码 (GB 32100), validated with its check character; also the taxpayer number
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[EmployerKind] = mapped_column(enum_column(EmployerKind, name="employer_kind"))
    district: Mapped[str] = mapped_column(sa.String(32))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(50))
    contact_phone: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[EmployerState] = mapped_column(
        enum_column(EmployerState, name="employer_state"), default=EmployerState.PENDING, index=True)
    state_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # shared with staff so they can link themselves (then they accept, as for an invitation)
    join_code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    confirmed_at: Mapped[datetime | None]

    events: Mapped[list[EmployerEvent]] = relationship(order_by="EmployerEvent.id", viewonly=True)

    @property
    def is_active(self) -> bool:
        return self.state == EmployerState.ACTIVE

    @property
    def district_title(self) -> str:
        return district_title(self.district)


class EmployerEvent(StateHistoryMixin, db.Model):
    """Registered, confirmed, suspended, reinstated: who, when, why."""

    __tablename__ = "employer_event"

    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)


class MembershipState(LabeledEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the employer took the invitation back
    ENDED = "ended"

    @classmethod
    def _titles(cls):
        return {"invited": _l("Invited"), "active": _l("Current"), "declined": _l("Declined"),
                "withdrawn": _l("Invitation withdrawn"), "ended": _l("Membership ended")}


_LIVE_MEMBERSHIP = "state IN ('invited','active')"
_ACTIVE_MEMBERSHIP = "state = 'active'"


class Membership(TimestampMixin, db.Model):
    """A learner's employment at an employer, as the employer sees it on NTBase. Only a
    current (active) membership lets the employer see the learner's hours; the hours stay
    the learner's when it ends."""

    __tablename__ = "employer_membership"
    __table_args__ = (
        # one pending or current membership per employer and learner…
        sa.Index("uq_membership_live", "employer_id", "learner_id", unique=True,
                 sqlite_where=sa.text(_LIVE_MEMBERSHIP), postgresql_where=sa.text(_LIVE_MEMBERSHIP)),
        # …and one current employer per learner (accepting another ends the first)
        sa.Index("uq_membership_one_current", "learner_id", unique=True,
                 sqlite_where=sa.text(_ACTIVE_MEMBERSHIP), postgresql_where=sa.text(_ACTIVE_MEMBERSHIP)),
        sa.Index("ix_membership_employer_state", "employer_id", "state"),
        sa.CheckConstraint("ended_on IS NULL OR started_on IS NULL OR ended_on >= started_on", name="ordered"),
        sa.CheckConstraint("state <> 'active' OR started_on IS NOT NULL", name="current_has_start"),
        sa.CheckConstraint("state <> 'ended' OR ended_on IS NOT NULL", name="ended_has_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"))
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    state: Mapped[MembershipState] = mapped_column(enum_column(MembershipState, name="membership_state"))
    department: Mapped[str] = mapped_column(sa.String(100), default="")
    # invitation (full ID number, matched by keyed hash) / join_code / profile (free text matched)
    source: Mapped[str] = mapped_column(sa.String(20), default="invitation")
    started_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    responded_at: Mapped[datetime | None]

    employer: Mapped[Employer] = relationship()
    learner = relationship("User", foreign_keys=[learner_id])


class MembershipEvent(StateHistoryMixin, db.Model):
    __tablename__ = "employer_membership_event"

    membership_id: Mapped[int] = mapped_column(sa.ForeignKey("employer_membership.id"), index=True)


class SelfStudyRecord(TimestampMixin, db.Model):
    """Art. 17(6): planned, organised and examined self-study the employer converts into
    hours. The hours are the ledger entry's (pending until the office accepts it)."""

    __tablename__ = "employer_self_study"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    ledger_entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entry.id"), unique=True)
    plan: Mapped[str] = mapped_column(sa.Text)  # 有计划: what was to be studied
    organisation: Mapped[str] = mapped_column(sa.Text)  # 有组织: how the employer organised it
    examination: Mapped[str] = mapped_column(sa.Text)  # 有考核: how it was examined, and the result
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    ledger_entry = relationship("LedgerEntry")
    learner = relationship("User", foreign_keys=[learner_id])


class EmployerGroup(db.Model):
    """A group enrollment (``enrollment_group``) made and paid by an employer."""

    __tablename__ = "employer_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment_group.id"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    group = relationship("EnrollmentGroup")


class LongTrainingConsent(db.Model):
    """Art. 10: for training of more than 3 months full-time or 6 months part-time, the
    employer's consent and a written service contract, recorded before it pays."""

    __tablename__ = "long_training_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), unique=True)
    consented_on: Mapped[date]
    contract_evidence_id: Mapped[int] = mapped_column(sa.ForeignKey("evidence.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    contract = relationship("Evidence")


class ReviewState(LabeledEnum):
    """A yearly plan's or report's state at the HR bureau."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    COMMENTED = "commented"

    @classmethod
    def _titles(cls):
        return {"draft": _l("Draft"), "submitted": _l("Submitted"), "acknowledged": _l("Acknowledged"),
                "commented": _l("Commented: please revise")}


class TrainingPlan(TimestampMixin, db.Model):
    """Art. 9: the employer's yearly continuing-education plan, submitted to the HR bureau."""

    __tablename__ = "training_plan"
    __table_args__ = (sa.UniqueConstraint("employer_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"))
    year: Mapped[int]
    state: Mapped[ReviewState] = mapped_column(enum_column(ReviewState, name="plan_state"),
                                               default=ReviewState.DRAFT)
    office_comment: Mapped[str] = mapped_column(sa.Text, default="")

    employer: Mapped[Employer] = relationship()
    items: Mapped[list[PlanItem]] = relationship(order_by="PlanItem.id", cascade="all, delete-orphan")
    versions: Mapped[list[PlanVersion]] = relationship(order_by="PlanVersion.version.desc()", viewonly=True)
    events: Mapped[list[PlanEvent]] = relationship(order_by="PlanEvent.id", viewonly=True)


class PlanItem(db.Model):
    __tablename__ = "training_plan_item"
    __table_args__ = (
        sa.CheckConstraint("planned_hours > 0", name="hours_positive"),
        sa.CheckConstraint("budget_fen >= 0", name="budget_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plan.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str] = mapped_column(sa.String(20))  # public / specialized / elective (Art. 14)
    target_staff: Mapped[str] = mapped_column(sa.String(200))
    planned_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    budget_fen: Mapped[int] = mapped_column(default=0)


class PlanVersion(db.Model):
    """What was submitted, as it was: never edited (a revision is a new version)."""

    __tablename__ = "training_plan_version"
    __table_args__ = (sa.UniqueConstraint("plan_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plan.id"), index=True)
    version: Mapped[int]
    items: Mapped[list] = mapped_column(sa.JSON)
    total_hours: Mapped[Decimal] = mapped_column(sa.Numeric(8, 1))
    total_budget_fen: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(default=now)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class PlanEvent(StateHistoryMixin, db.Model):
    __tablename__ = "training_plan_event"

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("training_plan.id"), index=True)


class YearlyReport(TimestampMixin, db.Model):
    """Art. 9: the employer's yearly statistics report, generated from NTBase's data,
    reviewed by the employer and submitted to the HR bureau."""

    __tablename__ = "employer_report"
    __table_args__ = (sa.UniqueConstraint("employer_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"))
    year: Mapped[int]
    state: Mapped[ReviewState] = mapped_column(enum_column(ReviewState, name="report_state"),
                                               default=ReviewState.SUBMITTED)
    office_comment: Mapped[str] = mapped_column(sa.Text, default="")
    first_submitted_at: Mapped[datetime | None]

    employer: Mapped[Employer] = relationship()
    versions: Mapped[list[ReportVersion]] = relationship(order_by="ReportVersion.version.desc()", viewonly=True)
    events: Mapped[list[ReportEvent]] = relationship(order_by="ReportEvent.id", viewonly=True)


class ReportVersion(db.Model):
    __tablename__ = "employer_report_version"
    __table_args__ = (sa.UniqueConstraint("report_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("employer_report.id"), index=True)
    version: Mapped[int]
    figures: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime] = mapped_column(default=now)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class ReportEvent(StateHistoryMixin, db.Model):
    __tablename__ = "employer_report_event"

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("employer_report.id"), index=True)


class RecoveryState(LabeledEnum):
    REQUESTED = "requested"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _titles(cls):
        return {"requested": _l("Requested"), "answered": _l("Answered by the learner"),
                "withdrawn": _l("Withdrawn")}


_LIVE_RECOVERY = "state IN ('requested','answered')"


class FeeRecovery(TimestampMixin, db.Model):
    """Art. 30: the employer asks a learner who did not finish employer-paid training (or
    failed its examination) to repay fees, at most what it paid; the learner may answer."""

    __tablename__ = "fee_recovery"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.Index("uq_fee_recovery_live", "enrollment_id", unique=True,
                 sqlite_where=sa.text(_LIVE_RECOVERY), postgresql_where=sa.text(_LIVE_RECOVERY)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(sa.ForeignKey("employer.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    amount_fen: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[RecoveryState] = mapped_column(enum_column(RecoveryState, name="recovery_state"),
                                                 default=RecoveryState.REQUESTED)
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    employer: Mapped[Employer] = relationship()
    enrollment = relationship("Enrollment")
