"""What learning does when other domains change things."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.catalog.events import CourseReadyCheck
from ntbase.catalog.models import Course, CourseMode
from ntbase.enrollment.events import EnrollmentCompleting
from ntbase.kernel.cache import watch
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import subscribe
from ntbase.learning import services
from ntbase.learning.models import Lesson

# the public course page shows the syllabus: lesson changes re-render it
watch("catalog", "lesson", "learning_chapter")


@subscribe(CourseReadyCheck)
def online_lessons_carry_the_hours(event: CourseReadyCheck) -> None:
    """Refuse to publish an online course without lessons ready, or whose lessons' minutes
    cannot carry its declared hours; refuse raising a published course's hours past them."""
    course = db.session.get(Course, event.course_id)
    if course is None:
        return
    if event.field == "status":
        services.check_publishable(course)
    else:
        services.check_hours_fit(course, field=event.field)


@subscribe(EnrollmentCompleting)
def online_courses_complete_themselves(event: EnrollmentCompleting) -> None:
    """Staff cannot mark an online course with lessons completed: the learner's watching,
    reading and exam decide it (the hours would otherwise rest on nothing)."""
    if event.actor_id is None:
        return
    course = db.session.get(Course, event.course_id)
    if course is None or course.mode != CourseMode.ONLINE:
        return
    if db.session.scalar(sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == course.id)):
        raise DomainError(_("This online course completes by itself when the learner has done every lesson "
                            "and passed its exam; it cannot be marked completed by hand."),
                          code="completes_itself")
