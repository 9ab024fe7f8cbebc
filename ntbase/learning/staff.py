"""The base staff's side of online courses: chapters and lessons, their files.

The views check that the user manages the course's base; these services check the data.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.catalog.models import Course, CourseMode, CourseStatus
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.db import now as db_now
from ntbase.kernel.errors import DomainError
from ntbase.learning import services
from ntbase.learning.models import Chapter, Lesson, LessonKind, LessonProgress
from ntbase.media import StoredObject
from ntbase.media.checks import DOCUMENT_KINDS, VIDEO_KINDS, MediaInfo

MAX_TITLE = 200


def _title(raw: str, field: str = "title") -> str:
    title = " ".join((raw or "").split())
    if not title:
        raise DomainError(_("Give a title."), field=field)
    if len(title) > MAX_TITLE:
        raise DomainError(_("A title has at most %(n)s characters.", n=MAX_TITLE), field=field)
    return title


def _editable(course: Course) -> None:
    if course.mode.value not in ("online", "blended"):
        raise DomainError(_("Only online and blended courses have lessons. Change the course's mode first."),
                          field="title", code="not_online")
    if course.status in (CourseStatus.CLOSED, CourseStatus.CANCELLED):
        raise DomainError(_("A closed or cancelled course can no longer be changed."), field="title")


def add_chapter(course: Course, title: str) -> Chapter:
    _editable(course)
    position = (db.session.scalar(sa.select(sa.func.max(Chapter.position)).where(Chapter.course_id == course.id))
                or 0) + 1
    chapter = Chapter(course_id=course.id, position=position, title=_title(title))
    db.session.add(chapter)
    db.session.flush()
    return chapter


def _join_url(raw: str | None) -> str:
    url = (raw or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 500:
        raise DomainError(_("Enter the join link as a full web address starting with https://."), field="join_url")
    return url


def add_lesson(course: Course, chapter: Chapter, *, title: str, kind: LessonKind | str,
               minutes: int | None = None, upload: tuple[StoredObject, MediaInfo] | None = None,
               join_url: str | None = None, starts_at: datetime | None = None,
               ends_at: datetime | None = None) -> Lesson:
    """A lesson at the end of ``chapter``. A video's length is its file's; a document and a
    live session declare whole minutes."""
    _editable(course)
    if chapter.course_id != course.id:
        raise DomainError(_("This chapter belongs to another course."), field="chapter_id", code="not_found")
    kind = LessonKind(kind)
    lesson = Lesson(course_id=course.id, chapter_id=chapter.id, title=_title(title), kind=kind,
                    position=(db.session.scalar(sa.select(sa.func.max(Lesson.position))
                                                .where(Lesson.chapter_id == chapter.id)) or 0) + 1)
    if kind == LessonKind.LIVE:
        if starts_at is None or ends_at is None or ends_at <= starts_at:
            raise DomainError(_("Give the live session's start and an end after it."), field="starts_at")
        lesson.join_url, lesson.starts_at, lesson.ends_at = _join_url(join_url), starts_at, ends_at
        lesson.duration_seconds = int((ends_at - starts_at).total_seconds() // 60) * 60 or 60
    elif kind == LessonKind.VIDEO:
        if upload is None:
            raise DomainError(_("Choose the video file (MP4 or WebM)."), field="file")
        _attach(lesson, *upload)
    else:
        if upload is None:
            raise DomainError(_("Choose the document (PDF)."), field="file")
        lesson.duration_seconds = _minutes(minutes) * 60
        _attach(lesson, *upload)
    db.session.add(lesson)  # more minutes never break the hours rule; removing lessons is checked
    db.session.flush()
    return lesson


def _minutes(raw) -> int:
    if raw is None or not 1 <= int(raw) <= 6000:
        raise DomainError(_("Enter the minutes this document takes to study, from 1 to 6000."), field="minutes")
    return int(raw)


def _attach(lesson: Lesson, stored: StoredObject, info: MediaInfo) -> None:
    if lesson.kind == LessonKind.VIDEO:
        if info.kind not in VIDEO_KINDS or not info.duration_seconds:
            raise DomainError(_("This file is not a video: upload an MP4 or WebM file."), field="file",
                              code="wrong_kind")
        lesson.duration_seconds = max(1, int(round(info.duration_seconds)))
    elif info.kind not in DOCUMENT_KINDS:
        raise DomainError(_("This file is not a PDF document."), field="file", code="wrong_kind")
    lesson.media_key, lesson.media_type = stored.key, stored.content_type
    lesson.media_size, lesson.media_sha256 = stored.size, stored.sha256
    lesson.updated_at = db_now()


# ---------------------------------------------------------------- changing what exists

def started_counts(course_id: int) -> dict[int, int]:
    """Per lesson of the course: how many learners have started it (one statement)."""
    started = sa.or_(LessonProgress.credited_ms > 0, LessonProgress.done, LessonProgress.joined_at.is_not(None))
    rows = db.session.execute(sa.select(LessonProgress.lesson_id, sa.func.count())
                              .join(Lesson, Lesson.id == LessonProgress.lesson_id)
                              .where(Lesson.course_id == course_id, started)
                              .group_by(LessonProgress.lesson_id)).all()
    return {lesson_id: n for lesson_id, n in rows}


def _refuse_if_started(course: Course, lessons: list[Lesson], what: str) -> None:
    counts = started_counts(course.id)
    started = sum(counts.get(lesson.id, 0) for lesson in lessons)
    if started:
        message = (_("Learners have started this lesson (%(n)s), so it can no longer be removed: their "
                     "progress would be lost. Rename it or add a new lesson instead.", n=started)
                   if what == "lesson" else
                   _("Learners have started lessons of this chapter (%(n)s), so it can no longer be removed: "
                     "their progress would be lost.", n=started))
        raise DomainError(message, field="title", code="lesson_started")


def _check_hours_without(course: Course, seconds_removed: int) -> None:
    """A published online course must still carry its hours after a change."""
    if course.status != CourseStatus.PUBLISHED:
        return  # a draft is checked when it is published
    remaining = services.hours_capacity_seconds(course.id) - seconds_removed
    if remaining <= 0 and course.mode == CourseMode.ONLINE:
        raise DomainError(_("A published online course keeps at least one lesson. Add another lesson first."),
                          field="title", code="hours_exceed_lessons")
    services.check_hours_fit(course, total_seconds=remaining, field="title")


def rename_chapter(course: Course, chapter: Chapter, title: str) -> Chapter:
    _editable(course)
    chapter.title = _title(title)
    return chapter


def _exchange(a, b) -> None:
    """Swap two rows' positions without breaking the unique (parent, position) constraint."""
    pa, pb = a.position, b.position
    a.position = -pa - 1
    db.session.flush()
    b.position = pa
    db.session.flush()
    a.position = pb
    db.session.flush()


def _move(course: Course, model, parent, item, step: int) -> bool:
    """Move ``item`` one place up (-1) or down (1) among the rows of ``model`` whose
    ``parent`` column is the item's; False at an end."""
    _editable(course)
    siblings = list(db.session.scalars(sa.select(model).where(parent == getattr(item, parent.key))
                                       .order_by(model.position, model.id)))
    i = siblings.index(item)
    if step not in (-1, 1) or not 0 <= i + step < len(siblings):
        return False
    _exchange(siblings[i], siblings[i + step])
    return True


def move_chapter(course: Course, chapter: Chapter, step: int) -> bool:
    return _move(course, Chapter, Chapter.course_id, chapter, step)


def move_lesson(course: Course, lesson: Lesson, step: int) -> bool:
    return _move(course, Lesson, Lesson.chapter_id, lesson, step)


def _complete_the_finished(course: Course) -> int:
    """After a lesson is removed, learners who had done every remaining lesson (and passed
    the exam, if any) complete now: no heartbeat of theirs would do it later. One statement
    finds them; each is completed through ``maybe_complete``."""
    total = db.session.scalar(sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == course.id))
    if not total or course.mode != CourseMode.ONLINE:
        return 0
    done = (sa.select(LessonProgress.enrollment_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.course_id == course.id, LessonProgress.done.is_(True))
            .group_by(LessonProgress.enrollment_id)
            .having(sa.func.count(LessonProgress.id) >= total))
    finished = db.session.scalars(sa.select(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.state == EnrollmentState.CONFIRMED,
        Enrollment.id.in_(done))).all()
    return sum(1 for enrollment in finished if services.maybe_complete(enrollment))


def delete_chapter(course: Course, chapter: Chapter) -> list[str]:
    """Remove an empty chapter, or one whose lessons nobody started; the keys of the files
    to delete once the change is committed."""
    _editable(course)
    lessons = list(chapter.lessons)
    _refuse_if_started(course, lessons, "chapter")
    if lessons:
        _check_hours_without(course, sum(lesson.duration_seconds for lesson in lessons))
    keys = [lesson.media_key for lesson in lessons if lesson.media_key]
    db.session.delete(chapter)
    db.session.flush()
    if lessons:
        _complete_the_finished(course)
    return keys


def delete_lesson(course: Course, lesson: Lesson) -> list[str]:
    _editable(course)
    _refuse_if_started(course, [lesson], "lesson")
    _check_hours_without(course, lesson.duration_seconds)
    keys = [lesson.media_key] if lesson.media_key else []
    db.session.delete(lesson)
    db.session.flush()
    _complete_the_finished(course)
    return keys


def update_lesson(course: Course, lesson: Lesson, *, title: str, minutes: int | None = None,
                  join_url: str | None = None, starts_at: datetime | None = None,
                  ends_at: datetime | None = None) -> Lesson:
    """Rename a lesson; a document's minutes and a live session's link and times too. A
    video's length is its file's."""
    _editable(course)
    lesson.title = _title(title)
    before = lesson.duration_seconds
    if lesson.kind == LessonKind.DOCUMENT:
        lesson.duration_seconds = _minutes(minutes) * 60
    elif lesson.kind == LessonKind.LIVE:
        if starts_at is None or ends_at is None or ends_at <= starts_at:
            raise DomainError(_("Give the live session's start and an end after it."), field="starts_at")
        lesson.join_url, lesson.starts_at, lesson.ends_at = _join_url(join_url), starts_at, ends_at
        lesson.duration_seconds = int((ends_at - starts_at).total_seconds() // 60) * 60 or 60
    if lesson.duration_seconds < before:
        # the shorter lesson is already in the sum: check the sum as it now is
        db.session.flush()
        _check_hours_without(course, 0)
    lesson.updated_at = db_now()
    db.session.flush()
    return lesson


def replace_file(course: Course, lesson: Lesson, upload: tuple[StoredObject, MediaInfo]) -> str | None:
    """Put a new file on a video or document lesson; the old file's key (to delete once
    committed). A video learners have started keeps its file: its length decides what they
    have watched."""
    _editable(course)
    if lesson.kind == LessonKind.LIVE:
        raise DomainError(_("A live session has no file."), field="file")
    if lesson.kind == LessonKind.VIDEO and lesson.media_key:
        _refuse_if_started(course, [lesson], "lesson")
    old, before = lesson.media_key, lesson.duration_seconds
    _attach(lesson, *upload)
    if lesson.duration_seconds < before:
        db.session.flush()
        _check_hours_without(course, 0)
    db.session.flush()
    return old
