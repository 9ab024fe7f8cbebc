"""Bases for the HR bureau: certify, suspend, revoke or reinstate (Art. 24/26), and assess
them over a period with the figures NTBase knows (Art. 28). Services flush only and
write the audit log; the base's status itself changes in the bases domain."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.bases.services import change_base_status, list_all_bases
from ntbase.catalog.models import Course, CourseStatus
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import BaseLevel, CertificationStatus, TitleLevel
from ntbase.kernel.errors import DomainError
from ntbase.office import complaints, ratings
from ntbase.office.bases.models import AssessmentRating, BaseAssessment
from ntbase.payments.models import PaymentIntent, Refund, RefundState

audit.register_actions({
    "base.certify": _l("Certified a base"),
    "base.status": _l("Changed a base's certification"),
    "base.assess": _l("Recorded a base assessment"),
})

FIGURE_LABELS = {
    "courses": _l("Courses held"),
    "enrollments": _l("Enrollments in the period"),
    "completed": _l("Completed"),
    "completion_rate": _l("Completion rate (%)"),
    "refunds": _l("Refunds"),
    "refunded_fen": _l("Refunded amount"),
    "ratings": _l("Learners' ratings"),
    "rating_avg": _l("Average rating (1–5)"),
    "complaints": _l("Complaints"),
    "complaints_overdue": _l("Complaints answered late or overdue"),
}


def certify_base(base: TrainingBase, *, level: str, staff_levels: list[str], is_talent_base: bool,
                 reason: str, actor: User) -> TrainingBase:
    """Certify (or re-certify) a base: its level, the staff levels it serves, and whether it is
    a city high-level-talent training base (Art. 24; its talent courses count 8 h/day)."""
    try:
        level_enum = BaseLevel(level)
    except ValueError as exc:
        raise DomainError(_("Choose the base's level."), field="level") from exc
    valid_levels = {t.value for t in TitleLevel}
    levels = [lv for lv in (staff_levels or []) if lv in valid_levels]
    if not levels or len(levels) != len(staff_levels):
        raise DomainError(_("Choose the staff levels the base serves."), field="staff_levels")
    base.level = level_enum
    base.staff_levels = [t.value for t in TitleLevel if t.value in levels]
    base.is_talent_base = bool(is_talent_base)
    change_base_status(base, CertificationStatus.CERTIFIED, reason or _("Certified by the HR bureau"),
                       actor.id)
    audit.record("base.certify", actor, object_type="base", object_id=base.id,
                 detail=f"{level_enum.value} {','.join(base.staff_levels)} talent={base.is_talent_base}")
    return base


def set_base_status(base: TrainingBase, status: str, reason: str, actor: User):
    """Suspend or revoke (or reinstate): the base leaves the catalog and takes no enrollments;
    certificates it already issued stay valid (their rows are not touched)."""
    try:
        status_enum = CertificationStatus(status)
    except ValueError as exc:
        raise DomainError(_("Choose a status."), field="status") from exc
    if status_enum == base.status:
        raise DomainError(_("The base already has this status."), field="status")
    if base.status == CertificationStatus.REVOKED and status_enum == CertificationStatus.SUSPENDED:
        raise DomainError(_("A revoked base must be certified again, not suspended."), field="status")
    event = change_base_status(base, status_enum, reason, actor.id)
    audit.record("base.status", actor, object_type="base", object_id=base.id,
                 detail=f"{event.from_state} -> {event.to_state}: {event.reason}")
    return event


def base_figures(base_id: int, start: date, end: date) -> dict:
    """What NTBase knows about a base over [start, end]: one aggregate query per figure."""
    t0 = datetime.combine(start, datetime.min.time())
    t1 = datetime.combine(end + timedelta(days=1), datetime.min.time())
    courses = db.session.scalar(sa.select(sa.func.count(Course.id)).where(
        Course.base_id == base_id, Course.status != CourseStatus.DRAFT,
        Course.first_session_at >= t0, Course.first_session_at < t1)) or 0
    state_counts = dict(db.session.execute(
        sa.select(Enrollment.state, sa.func.count(Enrollment.id)).join(Course, Course.id == Enrollment.course_id)
        .where(Course.base_id == base_id, Enrollment.created_at >= t0, Enrollment.created_at < t1)
        .group_by(Enrollment.state)).all())
    confirmed = state_counts.get(EnrollmentState.CONFIRMED, 0)
    completed = state_counts.get(EnrollmentState.COMPLETED, 0)
    enrollments = confirmed + completed + state_counts.get(EnrollmentState.CANCELLED, 0)
    refund_count, refund_fen = db.session.execute(
        sa.select(sa.func.count(Refund.id), sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0))
        .join(PaymentIntent, PaymentIntent.id == Refund.payment_id)
        .join(Enrollment, Enrollment.id == PaymentIntent.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.base_id == base_id, Refund.state == RefundState.SUCCEEDED,
               Refund.created_at >= t0, Refund.created_at < t1)).one()
    rating_count, rating_avg = ratings.base_rating_figures(base_id, t0, t1)
    complaint_count, complaints_overdue = complaints.base_complaint_figures(base_id, t0, t1)
    finished = confirmed + completed
    return {
        "courses": int(courses),
        "enrollments": int(enrollments),
        "completed": int(completed),
        "completion_rate": round(completed * 100 / finished, 1) if finished else None,
        "refunds": int(refund_count),
        "refunded_fen": int(refund_fen or 0),
        "ratings": rating_count,
        "rating_avg": round(rating_avg, 2) if rating_avg is not None else None,
        "complaints": complaint_count,
        "complaints_overdue": complaints_overdue,
    }


def record_assessment(base: TrainingBase, *, period_start: date, period_end: date, rating: str,
                      conclusion: str, actor: User, at: datetime | None = None) -> BaseAssessment:
    if period_start is None or period_end is None or period_end < period_start:
        raise DomainError(_("The period must end on or after its start."), field="period_end")
    try:
        rating_enum = AssessmentRating(rating)
    except ValueError as exc:
        raise DomainError(_("Choose a result."), field="rating") from exc
    conclusion = (conclusion or "").strip()
    if len(conclusion) < 5:
        raise DomainError(_("Write the conclusion (it is published with the result)."), field="conclusion")
    row = BaseAssessment(base_id=base.id, period_start=period_start, period_end=period_end,
                         figures=base_figures(base.id, period_start, period_end), rating=rating_enum,
                         conclusion=conclusion, assessor_id=actor.id, at=at or now())
    db.session.add(row)
    db.session.flush()
    audit.record("base.assess", actor, object_type="base", object_id=base.id,
                 detail=f"{period_start}..{period_end} {rating_enum.value}")
    return row


def base_assessments(base_id: int) -> list[BaseAssessment]:
    return db.session.scalars(sa.select(BaseAssessment).where(BaseAssessment.base_id == base_id)
                              .options(selectinload(BaseAssessment.assessor))
                              .order_by(BaseAssessment.period_end.desc(), BaseAssessment.id.desc())).all()


def office_bases() -> list[tuple[TrainingBase, BaseAssessment | None]]:
    """Every base with its latest assessment (two statements)."""
    latest_ids = sa.select(sa.func.max(BaseAssessment.id)).group_by(BaseAssessment.base_id)
    latest = {a.base_id: a for a in db.session.scalars(
        sa.select(BaseAssessment).where(BaseAssessment.id.in_(latest_ids)))}
    return [(b, latest.get(b.id)) for b in list_all_bases()]
