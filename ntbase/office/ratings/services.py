"""Course ratings: a learner rates a course once, after completing it; the office reads
them in a base's figures (Art. 28)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ntbase.accounts.models import User
from ntbase.catalog.models import Course
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.office.ratings.models import CourseRating


def completed_enrollment(learner_id: int, course_id: int) -> Enrollment | None:
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


def base_rating_figures(base_id: int, t0: datetime, t1: datetime) -> tuple[int, float | None]:
    """(ratings of the base's courses given in [t0, t1), their average)."""
    count, average = db.session.execute(
        sa.select(sa.func.count(CourseRating.id), sa.func.avg(CourseRating.stars))
        .join(Course, Course.id == CourseRating.course_id)
        .where(Course.base_id == base_id, CourseRating.created_at >= t0, CourseRating.created_at < t1)).one()
    return int(count), (float(average) if average is not None else None)
