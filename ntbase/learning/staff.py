"""The base staff's side of online courses: chapters and lessons, their files.

The views check that the user manages the course's base; these services check the data.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db
from ntbase.kernel.db import now as db_now
from ntbase.kernel.errors import DomainError
from ntbase.learning.models import Chapter, Lesson, LessonKind
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
