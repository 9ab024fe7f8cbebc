"""Office rules: API tokens, complaints (Art. 29), course ratings, base certification and
assessments (Art. 24/26/28). Services take plain values, flush only, and write the audit log.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload, undefer

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.bases.services import change_base_status
from ntbase.hours.evidence import store_evidence
from ntbase.hours.models import Evidence
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import BaseLevel, CertificationStatus, Role, TitleLevel
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.kernel.events import publish
from ntbase.office.events import ComplaintAnswered
from ntbase.office.models import (
    COMPLAINT_TRANSITIONS,
    ApiToken,
    AssessmentRating,
    BaseAssessment,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintState,
    ComplaintTarget,
    CourseRating,
)

# ---------------------------------------------------------------- API tokens
SCOPES = {
    "verify:bulk": _l("Verify certificate and statement codes in bulk"),
    "person:read": _l("Read a person's yearly assessment by ID number"),
}
TOKEN_PREFIX = "ntb_"
MAX_TOKEN_DAYS = 366


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(owner: User, name: str, scopes: list[str], days: int | None,
                 at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its SHA-256 is stored."""
    if not owner.is_office:
        raise PermissionDenied(_("Only office staff may create API tokens."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the system that will use it."), field="name")
    if len(name) > 100:
        raise DomainError(_("At most %(n)s characters.", n=100), field="name")
    scopes = sorted(set(scopes or []))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise DomainError(_("Choose at least one permission."), field="scopes")
    # every token expires: a forgotten one must not stay valid for ever
    if days is None or not (1 <= days <= MAX_TOKEN_DAYS):
        raise DomainError(_("A token lives between 1 and %(n)s days.", n=MAX_TOKEN_DAYS), field="days")
    at = at or now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(secret), prefix=secret[:12], owner_id=owner.id,
                     scopes=scopes, created_at=at,
                     expires_at=at + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", owner, object_type="api_token", object_id=token.id,
                 detail=f"{name} [{', '.join(scopes)}]")
    return token, secret


def list_tokens(user: User) -> list[ApiToken]:
    stmt = sa.select(ApiToken).options(selectinload(ApiToken.owner)).order_by(ApiToken.id.desc())
    if not user.is_admin:
        stmt = stmt.where(ApiToken.owner_id == user.id)
    return db.session.scalars(stmt).all()


def revoke_token(token_id: int, actor: User, at: datetime | None = None) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.owner_id != actor.id and not actor.is_admin):
        raise PermissionDenied(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = at or now()
        audit.record("token.revoke", actor, object_type="api_token", object_id=token.id, detail=token.name)
    return token


class TokenProblem(Exception):
    """Why a bearer token is refused: 401 (unknown, expired, revoked) or 403 (no scope)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def authenticate_token(secret: str, scope: str, at: datetime | None = None) -> ApiToken:
    """The token for ``secret`` if it is live, owned by office staff and has ``scope``."""
    at = at or now()
    token = db.session.scalar(sa.select(ApiToken).options(selectinload(ApiToken.owner))
                              .where(ApiToken.token_hash == hash_token(secret or "")))
    if token is None:
        raise TokenProblem(401, _("The API token is not valid."))
    if token.revoked_at is not None:
        raise TokenProblem(401, _("The API token has been revoked."))
    if token.expires_at is not None and token.expires_at <= at:
        raise TokenProblem(401, _("The API token has expired."))
    owner = token.owner
    if owner is None or not owner.is_active or not owner.is_office:
        raise TokenProblem(403, _("Only office systems may use this endpoint."))
    if scope not in (token.scopes or []):
        raise TokenProblem(403, _("The API token does not have the permission %(scope)s.", scope=scope))
    token.last_used_at = at
    return token


# ---------------------------------------------------------------- uploads (evidence)
MAX_ATTACHMENTS = 5


# ---------------------------------------------------------------- complaints (Art. 29)
ANSWER_DAYS = 30


@dataclass
class ComplaintInput:
    target: str
    subject: str
    details: str
    base_id: int | None = None
    employer_name: str = ""
    files: list[tuple[str, bytes]] | None = None


def file_complaint(learner: User, data: ComplaintInput, at: datetime | None = None) -> Complaint:
    if not learner.is_learner:
        raise PermissionDenied(_("Only learners file complaints here."))
    at = at or now()
    try:
        target = ComplaintTarget(data.target)
    except ValueError as exc:
        raise DomainError(_("Choose whom the complaint is about."), field="target") from exc
    base_id, employer = None, ""
    if target == ComplaintTarget.BASE:
        if not data.base_id or db.session.get(TrainingBase, data.base_id) is None:
            raise DomainError(_("Choose the training base."), field="base_id")
        base_id = data.base_id
    else:
        employer = (data.employer_name or "").strip()
        if not employer:
            raise DomainError(_("Enter the employer's name."), field="employer_name")
        if len(employer) > 200:
            raise DomainError(_("At most %(n)s characters.", n=200), field="employer_name")
    subject = (data.subject or "").strip()
    if not subject:
        raise DomainError(_("Sum up the complaint in a few words."), field="subject")
    if len(subject) > 200:
        raise DomainError(_("At most %(n)s characters.", n=200), field="subject")
    details = (data.details or "").strip()
    if len(details) < 10:
        raise DomainError(_("Describe what happened (at least 10 characters)."), field="details")
    if len(details) > 10000:
        raise DomainError(_("At most %(n)s characters.", n=10000), field="details")
    files = [(n, b) for n, b in (data.files or []) if b]
    if len(files) > MAX_ATTACHMENTS:
        raise DomainError(_("At most %(n)s files.", n=MAX_ATTACHMENTS), field="attachments")
    evidences = [store_evidence(learner.id, n, b, field="attachments") for n, b in files]
    complaint = Complaint(learner_id=learner.id, target=target, base_id=base_id, employer_name=employer,
                          subject=subject, details=details, received_at=at,
                          deadline_at=at + timedelta(days=ANSWER_DAYS), state=ComplaintState.RECEIVED)
    db.session.add(complaint)
    db.session.flush()
    for ev in evidences:
        db.session.add(ComplaintAttachment(complaint_id=complaint.id, evidence_id=ev.id))
    db.session.add(ComplaintEvent(complaint_id=complaint.id, from_state=None,
                                  to_state=ComplaintState.RECEIVED.value, actor_id=learner.id, at=at))
    db.session.flush()
    return complaint


def transition_complaint(complaint: Complaint, to: ComplaintState, actor: User, answer: str = "",
                         note: str = "", at: datetime | None = None) -> ComplaintEvent:
    """received → in progress → answered (or straight to answered). Anything else raises."""
    if not actor.is_office:
        raise PermissionDenied(_("Only the office handles complaints."))
    at = at or now()
    if to not in COMPLAINT_TRANSITIONS[complaint.state]:
        raise DomainError(_("A complaint that is %(state)s cannot become %(to)s.",
                            state=complaint.state.title, to=to.title), field="state")
    if to == ComplaintState.ANSWERED:
        answer = (answer or "").strip()
        if len(answer) < 5:
            raise DomainError(_("Write the answer the learner will read."), field="answer")
        complaint.answer = answer
        complaint.answered_by_id = actor.id
        complaint.answered_at = at
    event = ComplaintEvent(complaint_id=complaint.id, from_state=complaint.state.value, to_state=to.value,
                           actor_id=actor.id, reason=(note or "").strip(), at=at)
    complaint.state = to
    db.session.add(event)
    db.session.flush()
    audit.record("complaint.transition", actor, subject_user_id=complaint.learner_id,
                 object_type="complaint", object_id=complaint.id, detail=f"{event.from_state} -> {to.value}")
    if to == ComplaintState.ANSWERED:  # the learner is told (office.handlers)
        publish(ComplaintAnswered(complaint.id, complaint.learner_id, complaint.subject, at))
    return event


def office_complaints(state: str | None = None, at: datetime | None = None) -> list[Complaint]:
    """Open ones first, overdue first within them (earliest deadline first), then answered."""
    at = at or now()
    stmt = sa.select(Complaint).options(selectinload(Complaint.learner).selectinload(User.profile),
                                        selectinload(Complaint.base))
    if state:
        stmt = stmt.where(Complaint.state == ComplaintState(state))
    answered = sa.case((Complaint.state == ComplaintState.ANSWERED, 1), else_=0)
    stmt = stmt.order_by(answered, Complaint.deadline_at, Complaint.id)
    return db.session.scalars(stmt.limit(1000)).all()


def learner_complaints(learner_id: int) -> list[Complaint]:
    return db.session.scalars(
        sa.select(Complaint).where(Complaint.learner_id == learner_id)
        .options(selectinload(Complaint.base), selectinload(Complaint.attachments)
                 .selectinload(ComplaintAttachment.evidence))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    ).all()


def load_complaint(complaint_id: int) -> Complaint | None:
    return db.session.scalar(
        sa.select(Complaint).where(Complaint.id == complaint_id).options(
            selectinload(Complaint.learner).selectinload(User.profile), selectinload(Complaint.base),
            selectinload(Complaint.attachments).selectinload(ComplaintAttachment.evidence),
            selectinload(Complaint.events), selectinload(Complaint.answered_by))
    )


def complaint_attachment(complaint: Complaint, evidence_id: int) -> Evidence | None:
    for att in complaint.attachments:
        if att.evidence_id == evidence_id:
            return db.session.scalar(sa.select(Evidence).where(Evidence.id == evidence_id)
                                     .options(undefer(Evidence.data)))
    return None


# ---------------------------------------------------------------- course ratings
def completed_enrollment(learner_id: int, course_id: int):
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    return db.session.scalar(sa.select(Enrollment).where(
        Enrollment.learner_id == learner_id, Enrollment.course_id == course_id,
        Enrollment.state == EnrollmentState.COMPLETED).limit(1))


def existing_rating(learner_id: int, course_id: int) -> CourseRating | None:
    return db.session.scalar(sa.select(CourseRating).where(
        CourseRating.learner_id == learner_id, CourseRating.course_id == course_id))


def rate_course(learner: User, course_id: int, stars, comment: str = "",
                at: datetime | None = None) -> CourseRating:
    """Only after completing the course, and only once."""
    enrollment = completed_enrollment(learner.id, course_id)
    if enrollment is None:
        raise DomainError(_("You can rate a course once you have completed it."))
    if existing_rating(learner.id, course_id) is not None:
        raise DomainError(_("You have already rated this course."))
    try:
        stars = int(stars)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Choose 1 to 5 stars."), field="stars") from exc
    if not 1 <= stars <= 5:
        raise DomainError(_("Choose 1 to 5 stars."), field="stars")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise DomainError(_("At most %(n)s characters.", n=2000), field="comment")
    rating = CourseRating(learner_id=learner.id, course_id=course_id, enrollment_id=enrollment.id,
                          stars=stars, comment=comment, created_at=at or now())
    try:
        with db.session.begin_nested():  # two tabs sending at once: the unique constraint decides
            db.session.add(rating)
    except IntegrityError as exc:
        raise DomainError(_("You have already rated this course.")) from exc
    return rating


# ---------------------------------------------------------------- bases (Art. 24/26/28)
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
    from ntbase.catalog.models import Course, CourseStatus
    from ntbase.enrollment.models import Enrollment, EnrollmentState
    from ntbase.payments.models import PaymentIntent, Refund, RefundState

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
    rating_count, rating_avg = db.session.execute(
        sa.select(sa.func.count(CourseRating.id), sa.func.avg(CourseRating.stars))
        .join(Course, Course.id == CourseRating.course_id)
        .where(Course.base_id == base_id, CourseRating.created_at >= t0, CourseRating.created_at < t1)).one()
    complaint_count, complaint_late = db.session.execute(
        sa.select(sa.func.count(Complaint.id),
                  sa.func.coalesce(sa.func.sum(sa.case(
                      (sa.or_(Complaint.answered_at > Complaint.deadline_at,
                              sa.and_(Complaint.answered_at.is_(None), Complaint.deadline_at < now())), 1),
                      else_=0)), 0))
        .where(Complaint.base_id == base_id, Complaint.received_at >= t0, Complaint.received_at < t1)).one()
    finished = confirmed + completed
    return {
        "courses": int(courses),
        "enrollments": int(enrollments),
        "completed": int(completed),
        "completion_rate": round(completed * 100 / finished, 1) if finished else None,
        "refunds": int(refund_count),
        "refunded_fen": int(refund_fen or 0),
        "ratings": int(rating_count),
        "rating_avg": round(float(rating_avg), 2) if rating_avg is not None else None,
        "complaints": int(complaint_count),
        "complaints_overdue": int(complaint_late or 0),
    }


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
    bases = db.session.scalars(sa.select(TrainingBase).order_by(TrainingBase.id)).all()
    latest_ids = sa.select(sa.func.max(BaseAssessment.id)).group_by(BaseAssessment.base_id)
    latest = {a.base_id: a for a in db.session.scalars(
        sa.select(BaseAssessment).where(BaseAssessment.id.in_(latest_ids)))}
    return [(b, latest.get(b.id)) for b in bases]


# ---------------------------------------------------------------- console counts
def console_counts(at: datetime | None = None) -> dict:
    from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry
    from ntbase.office.models import TitleApplication

    at = at or now()
    open_states = (ComplaintState.RECEIVED, ComplaintState.IN_PROGRESS)
    row = db.session.execute(sa.select(
        sa.select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.state == EntryState.PENDING)
        .scalar_subquery(),
        sa.select(sa.func.count(Complaint.id)).where(Complaint.state.in_(open_states)).scalar_subquery(),
        sa.select(sa.func.count(Complaint.id)).where(Complaint.state.in_(open_states),
                                                     Complaint.deadline_at < at).scalar_subquery(),
        sa.select(sa.func.count(TitleApplication.id)).where(TitleApplication.certificate_postponed)
        .scalar_subquery(),
        sa.select(sa.func.count(ExemptionEvent.id)).where(ExemptionEvent.state == EntryState.PENDING)
        .scalar_subquery(),
    )).one()
    # the hours review queue (/office/hours/pending) lists both entries and exemption claims
    return {"pending_entries": row[0] + row[4], "open_complaints": row[1], "overdue_complaints": row[2],
            "postponed_applicants": row[3]}


def role_is_office(user) -> bool:
    return getattr(user, "role", None) in (Role.OFFICE, Role.ADMIN)
