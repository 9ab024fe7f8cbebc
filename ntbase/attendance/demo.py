"""Demo: the demo learner holds a completed in-person course with its certificate.

Runs after the catalog and enrollment demos. Uses the learner's completed enrollments
if there are any; otherwise completes one confirmed enrollment of a course whose
sessions are over, or enrolls the learner in such a course. Skips silently when there
is nothing to build on. Idempotent.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.attendance.services import complete_enrollment, mark_all_present
from ntbase.catalog.models import Course, CourseSession, CourseStatus
from ntbase.certificates import services as certificates
from ntbase.enrollment import services as enrollment_services
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now

DEMO_LEARNER = "learner@demo.ntbase"


def load() -> None:
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
                       and e.course.last_session_at and e.course.last_session_at < t), None)
    if enrollment is None:
        taken = {e.course_id for e in enrollments}
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
