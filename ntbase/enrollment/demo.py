"""Demo enrollments for learner@demo.ntbase: one free course confirmed, one paid course paid
through the sandbox. Runs after the catalog demo; does nothing when there are no courses.
Idempotent: a course the learner already has an enrollment in is left alone.
"""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.catalog.models import Course, CourseStatus
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.enrollment.services import enroll_learner, on_payment_succeeded
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentIntent, PaymentState
from ntbase.payments.states import transition as pay_transition

DEMO_LEARNER = "learner@demo.ntbase"


def _open_course(free: bool, at) -> Course | None:
    price = Course.price_fen == 0 if free else Course.price_fen > 0
    return db.session.scalar(
        sa.select(Course).where(Course.status == CourseStatus.PUBLISHED, price,
                                Course.enroll_opens_at <= at, Course.enroll_closes_at >= at,
                                Course.seats_taken < Course.capacity)
        .order_by(Course.first_session_at, Course.id).limit(1))


def load() -> None:
    learner = db.session.scalar(sa.select(User).where(User.email == DEMO_LEARNER))
    if learner is None:
        return
    if db.session.scalar(sa.select(Enrollment.id).where(Enrollment.learner_id == learner.id).limit(1)):
        return  # already loaded
    at = now()
    for free in (True, False):
        course = _open_course(free, at)
        if course is None:
            continue
        try:
            enroll_and_pay(course, learner, at)
        except DomainError:
            continue
    db.session.flush()


def enroll_and_pay(course: Course, learner: User, at) -> Enrollment:
    """Enroll ``learner`` at time ``at`` as they would themselves; a paid seat is paid at once
    through the sandbox (settled as its webhook would, without a request)."""
    enrollment = enroll_learner(course, learner, now=at)
    if enrollment.state == EnrollmentState.HELD:
        intent = db.session.scalar(sa.select(PaymentIntent).where(PaymentIntent.enrollment_id == enrollment.id))
        pay_transition(intent, PaymentState.SUCCEEDED, None, "demo payment", at, method="wechat", succeeded_at=at)
        on_payment_succeeded(intent, at)
    return enrollment
