"""Attendance, assessment and completion: the rules between "confirmed" and "completed".

Three ways to mark a learner present at a session:
- ``roster``: base staff tick a list (or "all present");
- ``learner_qr``: staff scan the learner's enrollment QR (an opaque ``checkin_token``);
- ``venue_qr``: the learner scans a code shown at the venue that changes every minute
  (HMAC of the session's secret and the minute), so a photo sent to an absent friend
  stops working a minute or two later.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import abort, current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ntbase.accounts.models import LearnerProfile, User
from ntbase.attendance.models import AssessmentResult, Attendance
from ntbase.catalog.models import Course, CourseSession
from ntbase.certificates import services as certificates
from ntbase.certificates.models import Certificate
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.db import now as _now
from ntbase.kernel.errors import DomainError

METHOD_ROSTER = "roster"
METHOD_LEARNER_QR = "learner_qr"
METHOD_VENUE_QR = "venue_qr"

# The states in which a learner belongs on a course's roster.
ROSTER_STATES = (EnrollmentState.CONFIRMED, EnrollmentState.COMPLETED)
VENUE_WINDOW_SECONDS = 60
VENUE_TOKEN_CHARS = 12  # 72 bits of the HMAC, base64url
DEFAULT_PASS_MARK = 60
_EPOCH = datetime(1970, 1, 1)


# ---------------------------------------------------------------- look-ups

def get_course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def get_session_or_404(course: Course, session_id: int) -> CourseSession:
    session = db.session.get(CourseSession, session_id)
    if session is None or session.course_id != course.id:
        abort(404)
    return session


def roster_enrollments(course_id: int) -> list[Enrollment]:
    """Confirmed and completed enrollments with learner and profile, in name order."""
    return list(db.session.scalars(
        sa.select(Enrollment)
        .join(User, User.id == Enrollment.learner_id)
        .outerjoin(LearnerProfile, LearnerProfile.user_id == User.id)
        .where(Enrollment.course_id == course_id, Enrollment.state.in_(ROSTER_STATES))
        .options(joinedload(Enrollment.learner).joinedload(User.profile))
        .order_by(LearnerProfile.real_name, Enrollment.id)
    ).unique())


# ---------------------------------------------------------------- tokens

def ensure_checkin_token(enrollment: Enrollment) -> str:
    """The learner's personal check-in token (the enrollment domain gives every enrollment one)."""
    return enrollments.checkin_token(enrollment)


def session_secret(session: CourseSession) -> str:
    """The venue QR's secret for one session, derived from the app's secret key: every app
    server computes the same one, and nothing is stored."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"ntbase-venue-qr:{session.id}".encode(), hashlib.sha256).hexdigest()


def venue_window(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds() // VENUE_WINDOW_SECONDS)


def seconds_to_next_window(at: datetime) -> int:
    elapsed = int((at - _EPOCH).total_seconds()) % VENUE_WINDOW_SECONDS
    return VENUE_WINDOW_SECONDS - elapsed


def _venue_token_for(secret: str, session_id: int, window: int) -> str:
    mac = hmac.new(secret.encode(), f"{session_id}:{window}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:VENUE_TOKEN_CHARS]


def venue_token(session: CourseSession, now: datetime | None = None) -> str:
    """The token shown at the venue during the current minute."""
    return _venue_token_for(session_secret(session), session.id, venue_window(now or _now()))


def venue_token_is_current(session: CourseSession, token: str, now: datetime | None = None) -> bool:
    """Accept the current and the previous minute only (a learner may scan at :59)."""
    if not token:
        return False
    window = venue_window(now or _now())
    secret = session_secret(session)
    ok = False
    for w in (window, window - 1):
        # compare both, always: no early exit to time
        ok |= hmac.compare_digest(_venue_token_for(secret, session.id, w), token)
    return ok


# ---------------------------------------------------------------- marking

def _set_attendance(session: CourseSession, enrollment: Enrollment, present: bool, method: str,
                    actor_id: int | None, at: datetime) -> Attendance:
    """Insert or update the one row for (session, enrollment); the unique constraint
    settles two check-ins racing for the same learner."""
    row = db.session.scalar(sa.select(Attendance).where(
        Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id))
    if row is None:
        try:
            with db.session.begin_nested():
                row = Attendance(session_id=session.id, enrollment_id=enrollment.id, present=present,
                                 method=method, marked_by_id=actor_id, marked_at=at)
                db.session.add(row)
            return row
        except IntegrityError:
            row = db.session.scalar(sa.select(Attendance).where(
                Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id))
    if row.present != present or (present and row.method != method):
        row.present, row.method, row.marked_by_id, row.marked_at = present, method, actor_id, at
    db.session.flush()
    return row


def attendance_opens_at(session: CourseSession) -> datetime:
    """Attendance of a session can be recorded from shortly before it starts
    (``ATTENDANCE_OPENS_MINUTES_BEFORE``, default 30), never for a session still to come."""
    minutes = int(current_app.config.get("ATTENDANCE_OPENS_MINUTES_BEFORE", 30))
    return session.starts_at - timedelta(minutes=minutes)


def is_open_for_attendance(session: CourseSession, at: datetime | None = None) -> bool:
    return (at or _now()) >= attendance_opens_at(session)


def require_open_for_attendance(session: CourseSession, at: datetime, field: str | None = None) -> None:
    opens = attendance_opens_at(session)
    if at < opens:
        raise DomainError(_("Attendance for this session can be recorded from %(when)s on, shortly before it "
                            "starts at %(start)s.", when=opens.strftime("%Y-%m-%d %H:%M"),
                            start=session.starts_at.strftime("%H:%M")), field=field)


def _require_on_roster(enrollment: Enrollment, session: CourseSession) -> None:
    if enrollment.course_id != session.course_id:
        raise DomainError(_("This learner is not enrolled in this course."), field="token")
    if enrollment.state not in ROSTER_STATES:
        raise DomainError(_("This enrollment is not confirmed, so it cannot be checked in."), field="token")


def save_roster(session: CourseSession, present_ids: set[int], actor_id: int | None,
                now: datetime | None = None) -> tuple[int, int]:
    """Record the ticked roster for one session: ticked learners present, the others
    absent. Returns (present, absent) counts."""
    at = now or _now()
    require_open_for_attendance(session, at)
    enrollments = roster_enrollments(session.course_id)
    existing = {a.enrollment_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id))}
    present = absent = 0
    for enr in enrollments:
        is_present = enr.id in present_ids
        row = existing.get(enr.id)
        if row is None:
            db.session.add(Attendance(session_id=session.id, enrollment_id=enr.id, present=is_present,
                                      method=METHOD_ROSTER, marked_by_id=actor_id, marked_at=at))
        elif row.present != is_present:
            row.present, row.method, row.marked_by_id, row.marked_at = is_present, METHOD_ROSTER, actor_id, at
        present += is_present
        absent += not is_present
    db.session.flush()
    return present, absent


def mark_all_present(session: CourseSession, actor_id: int | None, now: datetime | None = None) -> int:
    ids = {e.id for e in roster_enrollments(session.course_id)}
    present, _absent = save_roster(session, ids, actor_id, now)
    return present


def parse_checkin_token(raw: str) -> str:
    """Accept the bare token or the whole scanned URL (…/checkin/e/<token>?s=…)."""
    text = (raw or "").strip()
    if "/checkin/e/" in text:
        text = text.split("/checkin/e/", 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].strip("/ ")


def enrollment_by_token(token: str) -> Enrollment | None:
    if not token:
        return None
    return db.session.scalar(sa.select(Enrollment).where(Enrollment.checkin_token == token))


def checkin_learner_qr(session: CourseSession, raw_token: str, actor_id: int | None,
                       now: datetime | None = None) -> Enrollment:
    """Staff scanned a learner's enrollment QR at ``session``."""
    enrollment = enrollment_by_token(parse_checkin_token(raw_token))
    if enrollment is None:
        raise DomainError(_("This check-in code is not known. Ask the learner to open their QR again."),
                          field="token")
    _require_on_roster(enrollment, session)
    require_open_for_attendance(session, now or _now(), field="token")
    _set_attendance(session, enrollment, True, METHOD_LEARNER_QR, actor_id, now or _now())
    return enrollment


def checkin_venue_qr(session: CourseSession, token: str, learner_id: int,
                     now: datetime | None = None) -> Enrollment:
    """A logged-in learner scanned the code shown at the venue."""
    at = now or _now()
    require_open_for_attendance(session, at)
    if not venue_token_is_current(session, token, at):
        raise DomainError(_("This check-in code has expired. Scan the code shown at the venue again."))
    enrollment = db.session.scalar(sa.select(Enrollment).where(
        Enrollment.course_id == session.course_id, Enrollment.learner_id == learner_id,
        Enrollment.state.in_(ROSTER_STATES)))
    if enrollment is None:
        raise DomainError(_("You do not have a confirmed enrollment in this course."))
    _set_attendance(session, enrollment, True, METHOD_VENUE_QR, learner_id, at)
    return enrollment


# ---------------------------------------------------------------- assessment

def pass_mark(course: Course) -> int:
    return course.pass_mark if course.pass_mark is not None else DEFAULT_PASS_MARK


def record_assessment(enrollment: Enrollment, score: int | None, actor_id: int | None,
                      now: datetime | None = None) -> AssessmentResult:
    """A score 0–100 for the next attempt: attempt 1, or one resit after a failed attempt 1."""
    course = enrollment.course
    if not course.has_assessment:
        raise DomainError(_("This course has no assessment."), field="score")
    if enrollment.state not in ROSTER_STATES:
        raise DomainError(_("This enrollment is not confirmed."), field="score")
    if score is None or not 0 <= int(score) <= 100:
        raise DomainError(_("Enter a score from 0 to 100."), field="score")
    results = db.session.scalars(sa.select(AssessmentResult).where(
        AssessmentResult.enrollment_id == enrollment.id).order_by(AssessmentResult.attempt)).all()
    if any(r.passed for r in results):
        raise DomainError(_("This learner has already passed the assessment."), field="score")
    if len(results) >= 2:
        raise DomainError(_("Only one resit is allowed, and it has been taken."), field="score")
    result = AssessmentResult(enrollment_id=enrollment.id, attempt=len(results) + 1, score=int(score),
                              passed=int(score) >= pass_mark(course), recorded_by_id=actor_id,
                              recorded_at=now or _now())
    db.session.add(result)
    try:
        db.session.flush()
    except IntegrityError as exc:  # two staff recording the same attempt at once
        raise DomainError(_("This attempt was just recorded by someone else. Reload the page."),
                          field="score") from exc
    return result


# ---------------------------------------------------------------- completion rule

@dataclass
class Progress:
    """Where one learner stands against the course's completion rule."""

    enrollment: Enrollment
    attended: int
    sessions: int
    results: list[AssessmentResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def completed(self) -> bool:
        return self.enrollment.state == EnrollmentState.COMPLETED

    @property
    def share_pct(self) -> int:
        return int(Decimal(self.attended * 100) / self.sessions) if self.sessions else 0

    @property
    def passed(self) -> bool:
        return any(r.passed for r in self.results)

    @property
    def can_resit(self) -> bool:
        return len(self.results) == 1 and not self.results[0].passed

    @property
    def next_attempt(self) -> int | None:
        if self.passed or len(self.results) >= 2:
            return None
        return len(self.results) + 1


def completion_reasons(course: Course, attended: int, sessions: int, passed: bool,
                       state: EnrollmentState, at: datetime) -> list[str]:
    """Why a learner cannot complete yet (empty list: eligible). Pure: no I/O."""
    reasons = []
    if state == EnrollmentState.COMPLETED:
        return []
    if state != EnrollmentState.CONFIRMED:
        reasons.append(_("The enrollment is not confirmed."))
    last = course.last_session_at
    if last is not None and last > at:
        reasons.append(_("The course has not finished yet."))
    # compare attended/sessions with the required share exactly, in integers
    if sessions == 0:
        reasons.append(_("The course has no sessions."))
    elif attended * 100 < course.attendance_required_pct * sessions:
        reasons.append(_("Attended %(attended)s of %(sessions)s sessions; %(pct)s%% required.",
                         attended=attended, sessions=sessions, pct=course.attendance_required_pct))
    if course.has_assessment and not passed:
        reasons.append(_("The assessment has not been passed."))
    return reasons


def course_progress(course: Course, now: datetime | None = None) -> list[Progress]:
    """Every learner on the roster with attendance, results and eligibility,
    in a fixed number of statements."""
    at = now or _now()
    enrollments = roster_enrollments(course.id)
    ids = [e.id for e in enrollments]
    sessions = db.session.scalar(
        sa.select(sa.func.count(CourseSession.id)).where(CourseSession.course_id == course.id)) or 0
    attended: dict[int, int] = {}
    results: dict[int, list[AssessmentResult]] = {}
    if ids:
        attended = dict(db.session.execute(
            sa.select(Attendance.enrollment_id, sa.func.count(Attendance.id))
            .join(CourseSession, CourseSession.id == Attendance.session_id)
            .where(CourseSession.course_id == course.id, Attendance.present.is_(True))
            .group_by(Attendance.enrollment_id)).all())
        for r in db.session.scalars(sa.select(AssessmentResult)
                                    .join(Enrollment, Enrollment.id == AssessmentResult.enrollment_id)
                                    .where(Enrollment.course_id == course.id)
                                    .order_by(AssessmentResult.attempt)):
            results.setdefault(r.enrollment_id, []).append(r)
    out = []
    for enr in enrollments:
        res = results.get(enr.id, [])
        n = attended.get(enr.id, 0)
        out.append(Progress(enr, n, sessions, res, completion_reasons(
            course, n, sessions, any(r.passed for r in res), enr.state, at)))
    return out


def progress_for(enrollment: Enrollment, now: datetime | None = None) -> Progress:
    course = enrollment.course
    sessions = db.session.scalar(
        sa.select(sa.func.count(CourseSession.id)).where(CourseSession.course_id == course.id)) or 0
    n = db.session.scalar(
        sa.select(sa.func.count(Attendance.id))
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id, Attendance.enrollment_id == enrollment.id,
               Attendance.present.is_(True))) or 0
    res = list(db.session.scalars(sa.select(AssessmentResult).where(
        AssessmentResult.enrollment_id == enrollment.id).order_by(AssessmentResult.attempt)))
    return Progress(enrollment, n, sessions, res, completion_reasons(
        course, n, sessions, any(r.passed for r in res), enrollment.state, now or _now()))


def session_counts(course: Course) -> dict[int, int]:
    """session id -> learners marked present (one statement)."""
    return dict(db.session.execute(
        sa.select(Attendance.session_id, sa.func.count(Attendance.id))
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id, Attendance.present.is_(True))
        .group_by(Attendance.session_id)).all())


def session_attendance(session: CourseSession) -> dict[int, Attendance]:
    return {a.enrollment_id: a for a in db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id))}


def complete_enrollment(enrollment: Enrollment, actor_id: int | None, now: datetime | None = None,
                        progress: Progress | None = None) -> Certificate:
    """Complete an in-person course when its rule is met (attendance share, assessment):
    the enrollment domain completes it, and its ``EnrollmentCompleted`` event issues the
    certificate and credits the hours. Returns the certificate."""
    at = now or _now()
    if enrollment.state == EnrollmentState.COMPLETED:
        raise DomainError(_("This learner has already completed the course."))
    progress = progress or progress_for(enrollment, at)
    if progress.reasons:
        raise DomainError(" ".join(progress.reasons))
    enrollments.complete(enrollment, actor_id, at)
    return certificates.valid_certificate_of(enrollment.id)


def refuse_removing_attended_sessions(session_ids) -> None:
    if session_ids and db.session.scalar(sa.select(sa.exists().where(Attendance.session_id.in_(session_ids)))):
        raise DomainError(_("A session that has attendance records cannot be removed."), field="sessions")


@dataclass
class BatchResult:
    completed: list[Progress] = field(default_factory=list)
    not_eligible: list[Progress] = field(default_factory=list)


def complete_all_eligible(course: Course, actor_id: int | None, now: datetime | None = None) -> BatchResult:
    """Complete every eligible learner and issue their certificates; report the others."""
    at = now or _now()
    batch = BatchResult()
    for p in course_progress(course, at):
        if p.completed:
            continue
        if p.reasons:
            batch.not_eligible.append(p)
            continue
        complete_enrollment(p.enrollment, actor_id, at, progress=p)
        batch.completed.append(p)
    return batch
