"""Demo attendance: a finished course with a certificate, and one left for its base to complete.

1. The demo learner holds a completed in-person course with its certificate. Uses the
   learner's completed enrollments if there are any; otherwise completes one confirmed
   enrollment of a course whose sessions are over, or enrolls the learner in such a course.
2. An in-person course that has ended, ready for its base to complete (#15.6). Every open
   demo course starts in the future, so without this a newcomer could not try the core
   journey. Both demo learners (张晓明 learner@demo.ntbase, 李红 learner2@demo.ntbase) are
   enrolled in 南通职业大学's finished 公需科目 course 乡村振兴战略与实践 (paid through the
   sandbox, as they would themselves), marked present at every session, and left for the
   base's staff (staff.ntvu@demo.ntbase) to complete: complete → certificate → /verify.

Runs after the catalog and enrollment demos; skips silently when there is nothing to build
on. Idempotent: an enrollment that exists is kept (whatever its state), and marking
attendance again changes no row.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.attendance.services import complete_enrollment, mark_all_present
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course, CourseMode, CourseSession, CourseStatus
from ntbase.certificates import services as certificates
from ntbase.enrollment import services as enrollment_services
from ntbase.enrollment.demo import enroll_and_pay
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError

DEMO_LEARNER = "learner@demo.ntbase"
READY_COURSE = ("ntvu", "乡村振兴战略与实践")
DEMO_LEARNERS = ("learner@demo.ntbase", "learner2@demo.ntbase")


def load() -> None:
    ready = ready_course()
    _completed_with_certificate(ready)
    _ready_for_staff(ready)


def ready_course() -> Course | None:
    slug, title = READY_COURSE
    return db.session.scalar(sa.select(Course).join(TrainingBase, TrainingBase.id == Course.base_id)
                             .where(TrainingBase.slug == slug, Course.title == title))


def _completed_with_certificate(ready: Course | None) -> None:
    learner = db.session.scalar(sa.select(User).where(User.email == DEMO_LEARNER))
    if learner is None or learner.profile is None:
        return
    enrollments = db.session.scalars(sa.select(Enrollment).where(Enrollment.learner_id == learner.id)).all()
    completed = [e for e in enrollments if e.state == EnrollmentState.COMPLETED]
    if completed:
        for enr in completed:  # completed by another demo: make sure the certificate exists
            if certificates.valid_certificate_of(enr.id) is None:
                certificates.issue_certificate(enr)  # its event credits the hours
        db.session.flush()
        return

    t = now()
    enrollment = next((e for e in enrollments if e.state == EnrollmentState.CONFIRMED
                       and (ready is None or e.course_id != ready.id)
                       and e.course.last_session_at and e.course.last_session_at < t), None)
    if enrollment is None:
        taken = {e.course_id for e in enrollments} | ({ready.id} if ready is not None else set())
        course = db.session.scalar(
            sa.select(Course).where(Course.status.in_([CourseStatus.PUBLISHED, CourseStatus.CLOSED]),
                                    Course.last_session_at < t, Course.id.not_in(taken) if taken else sa.true(),
                                    Course.has_assessment.is_(False))
            .order_by(Course.last_session_at.desc()))
        if course is None:
            course = _past_course_from_any(t)
        if course is None:
            return
        enrollment = enrollment_services.record_past_enrollment(course, learner, at=t - timedelta(days=30),
                                                        reason="demo")
    for session in db.session.scalars(sa.select(CourseSession).where(
            CourseSession.course_id == enrollment.course_id)):
        mark_all_present(session, None, now=t)
    complete_enrollment(enrollment, None, now=t)
    db.session.flush()


def _ready_for_staff(course: Course | None) -> None:
    t = now()
    if course is None or course.mode != CourseMode.IN_PERSON or not course.sessions \
            or course.last_session_at is None or course.last_session_at >= t:
        return
    enrolled_at = course.enroll_opens_at + timedelta(days=1)
    for email in DEMO_LEARNERS:
        learner = db.session.scalar(sa.select(User).where(User.email == email))
        if learner is None:
            continue
        if db.session.scalar(sa.select(Enrollment.id).where(Enrollment.course_id == course.id,
                                                            Enrollment.learner_id == learner.id)):
            continue
        try:
            enroll_and_pay(course, learner, enrolled_at)
        except DomainError:
            continue
    for session in course.sessions:
        mark_all_present(session, None, now=session.starts_at + timedelta(minutes=5))
    db.session.flush()


def _past_course_from_any(t):
    """No finished course in the catalog demo: copy the first published course into the past
    as a clearly named finished run (only when a catalog exists at all)."""
    source = db.session.scalar(sa.select(Course).where(Course.status == CourseStatus.PUBLISHED)
                               .order_by(Course.id))
    if source is None:
        return None
    start = (t - timedelta(days=40)).replace(hour=9, minute=0, second=0, microsecond=0)
    days = max(len(source.sessions), 1)
    course = Course(
        base_id=source.base_id, title=source.title + "（已结业班）", category=source.category, mode=source.mode,
        price_fen=source.price_fen, hours=source.hours, capacity=source.capacity, seats_taken=0,
        is_talent_training=source.is_talent_training, enroll_opens_at=start - timedelta(days=30),
        enroll_closes_at=start - timedelta(days=1), status=CourseStatus.CLOSED, search_text=source.search_text,
        description_md=source.description_md, description_html=source.description_html,
        disclosure_version_id=source.disclosure_version_id, location_id=source.location_id,
        attendance_required_pct=source.attendance_required_pct, has_assessment=False,
        first_session_at=start, last_session_at=start + timedelta(days=days - 1, hours=8),
        published_at=start - timedelta(days=30),
    )
    for i in range(days):
        s = start + timedelta(days=i)
        course.sessions.append(CourseSession(starts_at=s, ends_at=s + timedelta(hours=8)))
    db.session.add(course)
    db.session.flush()
    return course
