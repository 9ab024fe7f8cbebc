"""Demo: an in-person course that has ended, ready for its base to complete (#15.6).

Every open demo course starts in the future, so without this a newcomer could not try the
core journey. Here both demo learners (张晓明 learner@demo.ntbase, 李红 learner2@demo.ntbase)
are enrolled in 南通职业大学's finished 公需科目 course 乡村振兴战略与实践 (paid through the
sandbox, as they would themselves) and marked present at every session, and left for the
base's staff (staff.ntvu@demo.ntbase) to complete: complete → certificate → /verify.

Runs after the certificates demo (which completes another course for 张晓明 and must not
pick this one). Idempotent: an enrollment that exists is kept (whatever its state), and
marking attendance again changes no row.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.attendance import services
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course, CourseMode
from ntbase.enrollment.demo import enroll_and_pay
from ntbase.enrollment.models import Enrollment
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError

READY_COURSE = ("ntvu", "乡村振兴战略与实践")
DEMO_LEARNERS = ("learner@demo.ntbase", "learner2@demo.ntbase")


def ready_course() -> Course | None:
    slug, title = READY_COURSE
    return db.session.scalar(sa.select(Course).join(TrainingBase, TrainingBase.id == Course.base_id)
                             .where(TrainingBase.slug == slug, Course.title == title))


def load() -> None:
    course = ready_course()
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
        services.mark_all_present(session, None, now=session.starts_at + timedelta(minutes=5))
    db.session.flush()
