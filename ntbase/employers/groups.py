"""Group enrollment paid by the employer, Art. 10 consents, Art. 30 fee recovery.

Seats, holds and the payment go through the enrollment and payment domains' services
(``enrollment.hold_group``, ``start_group_payment``, ``cancel_group_member``): all seats of
a group are held together or none, one payment with the employer's invoice details pays
for all of them, each learner is told in their language that the employer pays, and
cancelling one member refunds the employer under the course's refund rule.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course, CourseStatus
from ntbase.employers.models import (
    Employer,
    EmployerGroup,
    FeeRecovery,
    LongTrainingConsent,
    Membership,
    MembershipState,
    RecoveryState,
)
from ntbase.employers.rules import LongTraining, long_training
from ntbase.employers.services import (
    record_for_person,
    require_active,
    tell,
    tell_admins,
)
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentGroup, EnrollmentState
from ntbase.hours.evidence import store_evidence
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import CertificationStatus
from ntbase.kernel.errors import DomainError
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentIntent, PaymentLine

S = EnrollmentState


# ---------------------------------------------------------------- choosing a course

def open_courses(q: str = "", *, at: datetime | None = None, limit: int = 100) -> list[Course]:
    """Published courses of certified bases open for enrollment now with a seat left,
    soonest first (optionally by words of the title)."""
    at = at or now()
    stmt = (sa.select(Course).join(TrainingBase, TrainingBase.id == Course.base_id)
            .where(Course.status == CourseStatus.PUBLISHED, TrainingBase.status == CertificationStatus.CERTIFIED,
                   Course.enroll_opens_at <= at, Course.enroll_closes_at >= at, Course.seats_taken < Course.capacity)
            .options(joinedload(Course.base))
            .order_by(Course.first_session_at.nulls_last(), Course.id).limit(limit))
    words = (q or "").strip()[:50]
    if words:
        stmt = stmt.where(Course.title.contains(words, autoescape=True))
    return list(db.session.scalars(stmt).unique())


def course_rule(course: Course) -> LongTraining:
    """Art. 10 for this course, from its sessions' dates."""
    first = course.first_session_at.date() if course.first_session_at else None
    last = course.last_session_at.date() if course.last_session_at else None
    return long_training(first, last, (s.starts_at.date() for s in course.sessions))


# ---------------------------------------------------------------- group enrollment

def enroll_group(employer: Employer, actor: User, course_id: int | None, learner_ids: list[int], *,
                 at: datetime | None = None) -> EmployerGroup:
    """Hold seats in ``course_id`` for these current staff members, all together or none."""
    require_active(employer)
    at = at or now()
    course = db.session.get(Course, course_id) if course_id else None
    if course is None:
        raise DomainError(_("Choose a course."), field="course_id")
    ids = list(dict.fromkeys(int(i) for i in learner_ids))
    if not ids:
        raise DomainError(_("Choose at least one person."), field="learner_ids")
    members = db.session.scalars(sa.select(Membership).where(
        Membership.employer_id == employer.id, Membership.state == MembershipState.ACTIVE,
        Membership.learner_id.in_(ids)).options(joinedload(Membership.learner).joinedload(User.profile))).unique().all()
    by_learner = {m.learner_id: m for m in members}
    if len(by_learner) != len(ids):
        raise DomainError(_("Only people on your current staff list can be enrolled."), field="learner_ids")
    learners = [by_learner[i].learner for i in ids]
    group = enrollments.hold_group(course, learners, actor, payer_label=employer.name, now=at)
    row = EmployerGroup(employer_id=employer.id, group_id=group.id, created_by_id=actor.id, created_at=at)
    db.session.add(row)
    db.session.flush()
    for learner in learners:
        record_for_person("employer.group_enroll", actor, employer, learner.id, detail=course.title)
    return row


def groups_of(employer_id: int) -> list[EmployerGroup]:
    return db.session.scalars(
        sa.select(EmployerGroup).where(EmployerGroup.employer_id == employer_id)
        .options(joinedload(EmployerGroup.group).joinedload(EnrollmentGroup.course).joinedload(Course.base),
                 joinedload(EmployerGroup.group).selectinload(EnrollmentGroup.members))
        .order_by(EmployerGroup.id.desc())).unique().all()


def group_of(employer: Employer, group_id: int) -> EmployerGroup:
    """One of this employer's groups by its id; another employer's is not found."""
    row = db.session.scalar(sa.select(EmployerGroup).where(EmployerGroup.id == group_id,
                                                           EmployerGroup.employer_id == employer.id))
    if row is None:
        raise DomainError(_("This group enrollment does not exist."), code="not_found")
    return row


def member_of(row: EmployerGroup, enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.group_id != row.group_id:
        raise DomainError(_("This person is not in this group."), code="not_found")
    return enrollment


@dataclass
class GroupView:
    row: EmployerGroup
    course: Course
    members: list[Enrollment]
    rule: LongTraining
    consents: dict[int, LongTrainingConsent]
    payments: list[PaymentIntent]

    @property
    def held(self) -> list[Enrollment]:
        return [e for e in self.members if e.state == S.HELD]

    @property
    def needs_consent(self) -> list[Enrollment]:
        if not self.rule.applies:
            return []
        return [e for e in self.members if e.state == S.HELD and e.id not in self.consents]

    @property
    def total_fen(self) -> int:
        return sum(e.price_fen for e in self.held)

    @property
    def paid_fen(self) -> int:
        return sum(e.paid_fen for e in self.members)


def group_view(row: EmployerGroup) -> GroupView:
    group = row.group
    course = db.session.scalar(sa.select(Course).where(Course.id == group.course_id)
                               .options(joinedload(Course.base), selectinload(Course.sessions)))
    members = enrollments.group_members(group.id)
    consents = {c.enrollment_id: c for c in db.session.scalars(sa.select(LongTrainingConsent).where(
        LongTrainingConsent.enrollment_id.in_([e.id for e in members]))).all()} if members else {}
    intents = db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.group_id == group.id)
                                 .options(selectinload(PaymentIntent.refunds)).order_by(PaymentIntent.id)).all()
    return GroupView(row, course, members, course_rule(course), consents, list(intents))


def pay_group(employer: Employer, row: EmployerGroup, actor: User, *, invoice_title: str, taxpayer_no: str,
              return_path: str = "/employer/groups", at: datetime | None = None) -> PaymentIntent:
    """The one payment for every seat of the group still held, with the unit's invoice
    details (by default its registered name and credit code, which is its taxpayer
    number). Art. 10: for long training every member's consent and service contract must
    be recorded first."""
    require_active(employer)
    at = at or now()
    view = group_view(row)
    missing = view.needs_consent
    if missing:
        names = "、".join(e.learner.name for e in missing)
        raise DomainError(_("Art. 10: this course lasts more than %(months)s months; record the consent and upload "
                            "the service contract of %(names)s before paying.", months=view.rule.months_limit,
                            names=names), code="consent_missing")
    intent = enrollments.start_group_payment(row.group, actor, return_path=return_path, now=at)
    payments.set_invoice(intent, (invoice_title or "").strip() or employer.name,
                         (taxpayer_no or "").strip() or employer.uscc)
    return intent


def cancel_member(employer: Employer, row: EmployerGroup, enrollment: Enrollment, actor: User, *,
                  at: datetime | None = None) -> enrollments.CancelTerms:
    """Give up one member's seat; the refund (under the course's rule) goes to the employer."""
    require_active(employer)
    if enrollment.group_id != row.group_id:
        raise DomainError(_("This person is not in this group."), code="not_found")
    terms = enrollments.cancel_group_member(enrollment, actor.id, at, reason=f"cancelled by {employer.name}")
    record_for_person("employer.group_cancel", actor, employer, enrollment.learner_id)
    return terms


def record_consent(employer: Employer, row: EmployerGroup, enrollment: Enrollment, actor: User, *,
                   consented_on: date | None, filename: str, content: bytes, note: str = "",
                   today: date | None = None) -> LongTrainingConsent:
    """Art. 10: the learner's consent (its date) and the signed service contract (a PDF or a
    scan), for one member of a group in a long course."""
    require_active(employer)
    today = today or now().date()
    if enrollment.group_id != row.group_id:
        raise DomainError(_("This person is not in this group."), code="not_found")
    if consented_on is None:
        raise DomainError(_("Enter the date the learner consented."), field="consented_on")
    if consented_on > today:
        raise DomainError(_("The consent date cannot be in the future."), field="consented_on")
    if db.session.scalar(sa.select(LongTrainingConsent.id).where(LongTrainingConsent.enrollment_id == enrollment.id)):
        raise DomainError(_("The consent of this person is already recorded."), field="consented_on",
                          code="duplicate")
    evidence = store_evidence(actor.id, filename, content, field="contract")
    consent = LongTrainingConsent(employer_id=employer.id, enrollment_id=enrollment.id, consented_on=consented_on,
                                  contract_evidence_id=evidence.id, note=" ".join((note or "").split())[:300],
                                  recorded_by_id=actor.id)
    db.session.add(consent)
    db.session.flush()
    record_for_person("employer.consent", actor, employer, enrollment.learner_id)
    return consent


def consent_of(employer: Employer, consent_id: int) -> LongTrainingConsent:
    consent = db.session.get(LongTrainingConsent, consent_id)
    if consent is None or consent.employer_id != employer.id:
        raise DomainError(_("This document does not exist."), code="not_found")
    return consent


# ---------------------------------------------------------------- fee recovery (Art. 30)

@dataclass
class Recoverable:
    enrollment: Enrollment
    paid_fen: int  # what the employer paid for it and kept paid (not refunded)
    why: str  # "not_completed" / "cancelled"
    recovery: FeeRecovery | None


def _employer_enrollments(employer_id: int):
    return (sa.select(Enrollment).join(EmployerGroup, EmployerGroup.group_id == Enrollment.group_id)
            .where(EmployerGroup.employer_id == employer_id))


def recoverable(employer: Employer, *, at: datetime | None = None) -> list[Recoverable]:
    """Art. 30: enrollments the employer paid for that ended without completion — the
    course is over and the learner did not complete it (an assessment failed, or not
    attended), or the seat was cancelled after the employer paid and the money was kept."""
    at = at or now()
    rows = db.session.scalars(
        _employer_enrollments(employer.id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(sa.or_(sa.and_(Enrollment.state == S.CONFIRMED, Course.last_session_at < at),
                      Enrollment.state == S.CANCELLED))
        .options(joinedload(Enrollment.course), joinedload(Enrollment.learner).joinedload(User.profile),
                 selectinload(Enrollment.payment_lines).joinedload(PaymentLine.payment))
        .order_by(Enrollment.id.desc())).unique().all()
    live = {r.enrollment_id: r for r in db.session.scalars(sa.select(FeeRecovery).where(
        FeeRecovery.employer_id == employer.id,
        FeeRecovery.state.in_((RecoveryState.REQUESTED, RecoveryState.ANSWERED)))).all()}
    out = []
    for e in rows:
        paid = sum(line.paid_fen for line in e.payment_lines)
        if paid > 0:
            out.append(Recoverable(e, paid, "cancelled" if e.state == S.CANCELLED else "not_completed", live.get(e.id)))
    return out


def request_recovery(employer: Employer, enrollment_id: int, actor: User, *, amount: str, reason: str,
                     at: datetime | None = None) -> FeeRecovery:
    """Ask the learner to repay at most what the employer paid for this enrollment."""
    require_active(employer)
    at = at or now()
    candidate = next((r for r in recoverable(employer, at=at) if r.enrollment.id == enrollment_id), None)
    if candidate is None:
        raise DomainError(_("Fees can be recovered only for training your employer paid for that ended "
                          "without completion."), code="not_found")
    amount_fen = payments.parse_yuan(amount, field="amount")
    if amount_fen > candidate.paid_fen:
        raise DomainError(_("At most %(max)s: what your employer paid for this enrollment.",
                            max=payments.yuan(candidate.paid_fen)), field="amount", code="exceeds_payment")
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Give the reason; the learner will read it."), field="reason")
    if candidate.recovery is not None:
        raise DomainError(_("A recovery request for this enrollment is already open."), field="amount",
                          code="duplicate")
    e = candidate.enrollment
    recovery = FeeRecovery(employer_id=employer.id, enrollment_id=e.id, learner_id=e.learner_id,
                           amount_fen=amount_fen, reason=reason[:2000], state=RecoveryState.REQUESTED,
                           created_by_id=actor.id, created_at=at, updated_at=at)
    db.session.add(recovery)
    db.session.flush()
    record_for_person("employer.fee_recovery", actor, employer, e.learner_id, detail=payments.yuan(amount_fen))
    tell(e.learner, lambda: _("%(name)s asks you to repay training fees", name=employer.name),
         lambda: _("%(amount)s for “%(title)s”. Reason: %(reason)s. You can answer in “My employer”.",
                   amount=payments.yuan(amount_fen), title=e.course.title, reason=reason), "/me/employers")
    return recovery


def recoveries_of_learner(learner_id: int) -> list[FeeRecovery]:
    return db.session.scalars(sa.select(FeeRecovery).where(FeeRecovery.learner_id == learner_id)
                              .options(joinedload(FeeRecovery.employer),
                                       joinedload(FeeRecovery.enrollment).joinedload(Enrollment.course))
                              .order_by(FeeRecovery.id.desc())).unique().all()


def recoveries_of(employer_id: int) -> list[FeeRecovery]:
    return db.session.scalars(sa.select(FeeRecovery).where(FeeRecovery.employer_id == employer_id)
                              .options(joinedload(FeeRecovery.enrollment).joinedload(Enrollment.course),
                                       joinedload(FeeRecovery.enrollment).joinedload(Enrollment.learner)
                                       .joinedload(User.profile))
                              .order_by(FeeRecovery.id.desc())).unique().all()


def answer_recovery(recovery_id: int, learner: User, answer: str, *, at: datetime | None = None) -> FeeRecovery:
    """The learner's answer (they agree, disagree, explain); they may answer again."""
    at = at or now()
    recovery = db.session.get(FeeRecovery, recovery_id)
    if recovery is None or recovery.learner_id != learner.id:
        raise DomainError(_("This request does not exist."), code="not_found")
    if recovery.state == RecoveryState.WITHDRAWN:
        raise DomainError(_("Your employer withdrew this request."), field="answer")
    text = " ".join((answer or "").split())
    if not text:
        raise DomainError(_("Write your answer."), field="answer")
    recovery.answer, recovery.answered_at, recovery.state = text[:2000], at, RecoveryState.ANSWERED
    db.session.flush()
    tell_admins(recovery.employer_id, lambda: _("%(name)s answered your fee recovery request", name=learner.name),
                lambda: text[:200], "/employer/recoveries")
    return recovery


def withdraw_recovery(employer: Employer, recovery_id: int, actor: User) -> FeeRecovery:
    require_active(employer)
    recovery = db.session.get(FeeRecovery, recovery_id)
    if recovery is None or recovery.employer_id != employer.id:
        raise DomainError(_("This request does not exist."), code="not_found")
    if recovery.state == RecoveryState.WITHDRAWN:
        return recovery
    recovery.state = RecoveryState.WITHDRAWN
    db.session.flush()
    learner = db.session.get(User, recovery.learner_id)
    tell(learner, lambda: _("%(name)s withdrew its fee recovery request", name=employer.name),
         lambda: payments.yuan(recovery.amount_fen), "/me/employers")
    return recovery


def spend_by_employer(year: int) -> dict[int, int]:
    """Fen each employer paid for its staff's training in ``year`` (by the day the payment
    went through), refunds deducted: one statement."""
    t0, t1 = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    rows = db.session.execute(
        sa.select(EmployerGroup.employer_id, sa.func.sum(PaymentLine.amount_fen - PaymentLine.refunded_fen))
        .join(PaymentIntent, PaymentIntent.group_id == EmployerGroup.group_id)
        .join(PaymentLine, PaymentLine.payment_id == PaymentIntent.id)
        .where(PaymentIntent.succeeded_at >= t0, PaymentIntent.succeeded_at < t1)
        .group_by(EmployerGroup.employer_id)).all()
    return {eid: int(total or 0) for eid, total in rows}
