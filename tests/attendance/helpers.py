"""Test data for attendance and certificates, built directly (not through enrollment pages)."""
from __future__ import annotations

from datetime import timedelta

from ntbase.enrollment.models import Enrollment, EnrollmentEvent, EnrollmentState
from ntbase.kernel.db import db, now
from tests.factories import make_course, make_learner


def past_course(base, *, days_ago: int = 10, sessions: int = 2, **kw):
    """A course whose sessions are over (they started ``days_ago`` days ago)."""
    start = (now() - timedelta(days=days_ago)).replace(hour=9, minute=0, second=0, microsecond=0)
    kw.setdefault("enroll_opens_at", start - timedelta(days=30))
    kw.setdefault("status", "closed")
    return make_course(base, start=start, sessions=sessions, **kw)


def enroll(course, learner=None, **learner_kw) -> Enrollment:
    """A confirmed, free enrollment that holds a seat (as the enrollment domain leaves it)."""
    learner = learner or make_learner(**learner_kw)
    enrollment = Enrollment(course_id=course.id, learner_id=learner.id, state=EnrollmentState.CONFIRMED,
                            price_fen=0, confirmed_at=now(), source="manual")
    db.session.add(enrollment)
    course.seats_taken += 1
    db.session.flush()
    db.session.add(EnrollmentEvent(enrollment_id=enrollment.id, from_state=None,
                                   to_state=EnrollmentState.CONFIRMED.value, reason="test"))
    db.session.flush()
    return enrollment


def attend_all(course, enrollment) -> None:
    from ntbase.attendance.models import Attendance

    for s in course.sessions:
        db.session.add(Attendance(session_id=s.id, enrollment_id=enrollment.id, present=True, method="roster"))
    db.session.flush()


def completed_certificate(base, learner=None, **course_kw):
    """A course over, a learner who attended everything and completed: the certificate."""
    from ntbase.attendance.services import complete_enrollment

    course = past_course(base, **course_kw)
    enrollment = enroll(course, learner)
    attend_all(course, enrollment)
    cert = complete_enrollment(enrollment, None)
    db.session.commit()
    return cert


def login_as(login, user, client=None):
    """Log the test client in as ``user``, forgetting the user cached on ``g`` (tests share
    one app context across requests, so Flask-Login would keep the previous user)."""
    from flask import g

    g.pop("_login_user", None)
    return login(user, client)
