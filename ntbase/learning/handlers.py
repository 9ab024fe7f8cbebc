"""What learning does when other domains change things."""
from __future__ import annotations

from ntbase.catalog.events import CourseReadyCheck
from ntbase.catalog.models import Course
from ntbase.kernel.cache import watch
from ntbase.kernel.db import db
from ntbase.kernel.events import subscribe
from ntbase.learning import services

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
