"""Online learning: what a learner may study, the heartbeat that credits watching, live
sessions, and automatic completion through the enrollment domain.

Public surface for the other learning modules (``staff``, ``exams``) and the pages:
``syllabus``, ``hours_capacity``, ``check_hours_fit``, ``study_enrollment``,
``lesson_states``, ``heartbeat``, ``join_live``, ``maybe_complete``, ``media_url``,
``continue_lesson``.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ntbase.accounts.models import User
from ntbase.catalog.models import Course, CourseMode
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours import policy
from ntbase.kernel.db import db, read_rows
from ntbase.kernel.db import now as db_now
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.learning import tracking
from ntbase.learning.models import (
    Chapter,
    Exam,
    ExamAttempt,
    Lesson,
    LessonKind,
    LessonProgress,
    Playback,
)
from ntbase.media import get_storage, media_settings

ONLINE_MODES = (CourseMode.ONLINE, CourseMode.BLENDED)
LIVE_OPENS_MINUTES = 15  # a live session can be joined from this many minutes before its start


# ---------------------------------------------------------------- the syllabus and the hours rule

@dataclass(frozen=True)
class Syllabus:
    chapters: list[Chapter]
    total_seconds: int
    minutes_per_hour: int

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for ch in self.chapters for lesson in ch.lessons]

    @property
    def total_minutes(self) -> Decimal:
        return (Decimal(self.total_seconds) / 60).quantize(Decimal("0.1"))

    @property
    def max_hours(self) -> Decimal:
        """The most hours these lessons can carry (rounded down to 0.1 h)."""
        value = Fraction(self.total_seconds, 60 * self.minutes_per_hour)
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), rounding="ROUND_FLOOR")


def course_year(course: Course) -> int:
    at = course.first_session_at or course.enroll_opens_at or db_now()
    return at.year


def chapters_of(course_id: int) -> list[Chapter]:
    """Chapters in order with their lessons (two statements)."""
    chapters = db.session.scalars(sa.select(Chapter).where(Chapter.course_id == course_id)
                                  .order_by(Chapter.position, Chapter.id)
                                  .options(sa.orm.selectinload(Chapter.lessons))).all()
    return list(chapters)


def syllabus(course: Course) -> Syllabus:
    chapters = chapters_of(course.id)
    total = sum(lesson.duration_seconds for ch in chapters for lesson in ch.lessons)
    return Syllabus(chapters, total, policy.minutes_per_hour(course_year(course)))


def hours_capacity(course: Course, total_seconds: int | None = None) -> Decimal:
    """The hours an online course's lessons can carry: minutes ÷ minutes per hour."""
    if total_seconds is None:
        total_seconds = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Lesson.duration_seconds), 0))
                                          .where(Lesson.course_id == course.id)) or 0
    value = Fraction(int(total_seconds), 60 * policy.minutes_per_hour(course_year(course)))
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.1"), rounding="ROUND_FLOOR")


def check_hours_fit(course: Course, *, hours: Decimal | None = None, total_seconds: int | None = None,
                    field: str = "hours") -> None:
    """An online course's declared hours may not exceed its lessons' minutes divided by the
    minutes that make one hour (policy). Raises a DomainError saying what to do. A course
    with no lessons at all is studied elsewhere and completed by its staff: not checked."""
    if course.mode != CourseMode.ONLINE:
        return
    if total_seconds is None:
        total_seconds = hours_capacity_seconds(course.id)
    if total_seconds == 0 and not db.session.scalar(sa.select(sa.func.count(Lesson.id))
                                                    .where(Lesson.course_id == course.id)):
        return
    declared = Decimal(hours if hours is not None else course.hours)
    capacity = hours_capacity(course, total_seconds)
    if declared > capacity:
        mph = policy.minutes_per_hour(course_year(course))
        raise DomainError(_("An online course's lessons must carry its hours: %(hours)s hours need at least "
                            "%(minutes)s minutes of lessons (%(mph)s minutes make one hour), but the lessons last "
                            "%(have)s minutes. Add lessons or lower the hours.",
                            hours=declared, minutes=int(declared * mph), mph=mph,
                            have=int(total_seconds // 60)),
                          field=field, code="hours_exceed_lessons")


def hours_capacity_seconds(course_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Lesson.duration_seconds), 0))
                                 .where(Lesson.course_id == course_id)) or 0)


def check_publishable(course: Course) -> None:
    """An online course needs lessons ready to study, and lessons that carry its hours."""
    if course.mode not in ONLINE_MODES:
        return
    lessons = db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)).all()
    if not lessons:
        return  # studied elsewhere (a base's own site) and completed by its staff, as before lessons existed
    missing = [lesson.title for lesson in lessons if not lesson.ready]
    if missing:
        raise DomainError(_("These lessons have no file yet: %(names)s. Upload them, or remove the lessons.",
                            names="、".join(missing)), field="status", code="lesson_without_file")
    check_hours_fit(course, total_seconds=sum(lesson.duration_seconds for lesson in lessons), field="status")


# ---------------------------------------------------------------- who may study

def study_enrollment(enrollment_id: int, learner_id: int) -> Enrollment | None:
    """The learner's own enrollment in an online or blended course, or None."""
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.learner_id != learner_id:
        return None
    course = db.session.get(Course, enrollment.course_id)
    if course is None or course.mode not in ONLINE_MODES:
        return None
    return enrollment


def _beat_target(columns, enrollment_id: int, lesson_id: int, learner_id: int) -> sa.Select:
    """``columns`` of the learner's own enrollment in an online course and one of its lessons."""
    return (sa.select(*columns)
            .join(Course, Course.id == Enrollment.course_id)
            .join(Lesson, sa.and_(Lesson.course_id == Enrollment.course_id, Lesson.id == lesson_id))
            .where(Enrollment.id == enrollment_id, Enrollment.learner_id == learner_id,
                   Course.mode.in_(ONLINE_MODES)))


def beat_target(enrollment_id: int, lesson_id: int, learner_id: int) -> tuple[Enrollment, Lesson] | None:
    """The learner's own enrollment in an online course and one of its lessons, in one
    statement (the heartbeat's checked path), or None."""
    row = db.session.execute(_beat_target((Enrollment, Lesson), enrollment_id, lesson_id, learner_id)).first()
    return (row[0], row[1]) if row is not None else None


def beat_rows(enrollment_id: int, lesson_id: int, learner_id: int):
    """The heartbeat's whole read in one statement: ``beat_target`` for an active learner,
    and their playback and progress rows locked, or None when any is missing (the first
    beat on a lesson, someone else's enrollment: the caller takes the checked path). Saves
    loading the user and a second round trip on the hottest write of the site."""
    row = db.session.execute(
        _beat_target((Enrollment, Lesson, Playback, LessonProgress), enrollment_id, lesson_id, learner_id)
        .join(User, sa.and_(User.id == Enrollment.learner_id, User.is_active_flag.is_(True),
                            User.role == Role.LEARNER))
        .join(Playback, Playback.learner_id == Enrollment.learner_id)
        .join(LessonProgress, sa.and_(LessonProgress.learner_id == Enrollment.learner_id,
                                      LessonProgress.enrollment_id == Enrollment.id,
                                      LessonProgress.lesson_id == Lesson.id))
        .with_for_update(of=[Playback, LessonProgress])
        .execution_options(populate_existing=True)).first()
    return tuple(row) if row is not None else None


def may_study(enrollment: Enrollment) -> bool:
    return enrollment.state in (EnrollmentState.CONFIRMED, EnrollmentState.COMPLETED)


def refuse_unless_studying(enrollment: Enrollment) -> None:
    if enrollment.state == EnrollmentState.CONFIRMED:
        return
    if enrollment.state == EnrollmentState.COMPLETED:
        raise DomainError(_("You have completed this course; your study time is already counted."),
                          code="completed")
    raise DomainError(_("Your seat in this course is not confirmed, so study time cannot be counted. "
                        "Pay for the seat on My courses first."), code="not_confirmed")


def lesson_of(course_id: int, lesson_id: int) -> Lesson | None:
    lesson = db.session.get(Lesson, lesson_id)
    return lesson if lesson is not None and lesson.course_id == course_id else None


def progress_rows(enrollment_id: int) -> dict[int, LessonProgress]:
    return {p.lesson_id: p for p in db.session.scalars(
        sa.select(LessonProgress).where(LessonProgress.enrollment_id == enrollment_id))}


@dataclass(frozen=True)
class LessonState:
    lesson: Lesson
    credited_seconds: float
    furthest_seconds: float
    done: bool

    @property
    def share(self) -> int:
        if self.done:
            return 100
        return min(99, int(self.credited_seconds * 100 // max(self.lesson.duration_seconds, 1)))


def lesson_states(enrollment_id: int, lessons: list[Lesson]) -> list[LessonState]:
    rows = progress_rows(enrollment_id)
    out = []
    for lesson in lessons:
        p = rows.get(lesson.id)
        out.append(LessonState(lesson, (p.credited_ms / 1000) if p else 0.0, (p.furthest_ms / 1000) if p else 0.0,
                               bool(p and p.done)))
    return out


def continue_lesson(states: list[LessonState]) -> LessonState | None:
    """Where the learner left off: the first lesson not done (None when all are)."""
    return next((s for s in states if not s.done), None)


def continue_links(enrollments_: list[Enrollment]) -> dict[int, tuple[int, int, int]]:
    """For My courses and the dashboard: enrollment id -> (next lesson id, lessons done,
    lessons) for confirmed enrollments in online courses (three statements)."""
    ids = [e.id for e in enrollments_ if e.state == EnrollmentState.CONFIRMED]
    if not ids:
        return {}
    course_of = {e.id: e.course_id for e in enrollments_ if e.id in ids}
    lessons = db.session.execute(
        sa.select(Lesson.id, Lesson.course_id).join(Chapter, Chapter.id == Lesson.chapter_id)
        .where(Lesson.course_id.in_(set(course_of.values())))
        .order_by(Lesson.course_id, Chapter.position, Lesson.position, Lesson.id)).all()
    if not lessons:
        return {}
    done = {(eid, lid) for eid, lid in db.session.execute(
        sa.select(LessonProgress.enrollment_id, LessonProgress.lesson_id)
        .where(LessonProgress.enrollment_id.in_(ids), LessonProgress.done.is_(True)))}
    by_course: dict[int, list[int]] = {}
    for lid, cid in lessons:
        by_course.setdefault(cid, []).append(lid)
    out = {}
    for eid, cid in course_of.items():
        lids = by_course.get(cid)
        if not lids:
            continue
        finished = [lid for lid in lids if (eid, lid) in done]
        nxt = next((lid for lid in lids if (eid, lid) not in done), lids[-1])
        out[eid] = (nxt, len(finished), len(lids))
    return out


@dataclass(frozen=True)
class StudyLink:
    enrollment_id: int
    course_title: str
    lesson_id: int
    lessons_done: int
    lessons: int


def studying(learner_id: int) -> dict[int, StudyLink]:
    """The learner's confirmed online enrollments with where to continue (the next lesson
    not done, else the last), for My courses and the dashboard: one statement, the lessons
    of those courses with the learner's progress on each (``kernel.db.read_rows``: on a
    cached dashboard, no transaction is opened for it)."""
    out: dict[int, StudyLink] = {}
    lessons: dict[int, list[tuple[int, bool]]] = {}
    titles: dict[int, str] = {}
    for eid, title, lid, done in read_rows(_studying_statement(), {"lid": learner_id}):
        titles[eid] = title
        lessons.setdefault(eid, []).append((lid, bool(done)))
    for eid, ls in lessons.items():
        nxt = next((lid for lid, done in ls if not done), ls[-1][0])
        out[eid] = StudyLink(eid, titles[eid], nxt, sum(done for _lid, done in ls), len(ls))
    return out


@functools.cache
def _studying_statement() -> sa.Select:
    return (sa.select(Enrollment.id, Course.title, Lesson.id, LessonProgress.done)
            .select_from(Enrollment).join(Course, Course.id == Enrollment.course_id)
            .join(Lesson, Lesson.course_id == Course.id).join(Chapter, Chapter.id == Lesson.chapter_id)
            .outerjoin(LessonProgress, sa.and_(LessonProgress.enrollment_id == Enrollment.id,
                                               LessonProgress.lesson_id == Lesson.id))
            .where(Enrollment.learner_id == sa.bindparam("lid"), Enrollment.state == EnrollmentState.CONFIRMED,
                   Course.mode.in_(ONLINE_MODES))
            .order_by(Enrollment.id, Chapter.position, Lesson.position, Lesson.id))


def media_url(lesson: Lesson, user_id: int) -> str | None:
    """A short-lived signed URL for the lesson's file, bound to ``user_id`` (local backend)
    or presigned (S3). The caller checked access."""
    if not lesson.media_key:
        return None
    app = current_app._get_current_object()
    return get_storage(app).url(lesson.media_key, expires_in=media_settings(app).url_expires, user_id=user_id,
                                content_type=lesson.media_type)


# ---------------------------------------------------------------- the heartbeat

def rules() -> tracking.Rules:
    app = current_app._get_current_object()
    cached = app.extensions.get("ntbase.learning.rules")
    if cached is None:
        cached = app.extensions["ntbase.learning.rules"] = tracking.Rules.from_config(app.config)
    return cached


def _lock_playback(learner_id: int) -> Playback:
    """The learner's playback row, locked for this transaction (PostgreSQL ``FOR UPDATE``:
    only this learner's other heartbeats wait; SQLite serialises writers anyway)."""
    q = sa.select(Playback).where(Playback.learner_id == learner_id).with_for_update()
    row = db.session.scalar(q)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(Playback(learner_id=learner_id, epoch=0))
        except IntegrityError:
            pass  # the learner's other tab created it just now
        row = db.session.scalar(q.execution_options(populate_existing=True))
    return row


def _lock_with_progress(enrollment: Enrollment, lesson: Lesson) -> tuple[Playback, LessonProgress]:
    """The learner's playback row locked and their progress on ``lesson``, in one statement
    when both exist (every heartbeat after the first)."""
    # both rows locked: PostgreSQL re-reads only locked rows once a lock wait ends, so a
    # progress row read beside a locked playback row could be the version before the wait
    found = db.session.execute(
        sa.select(Playback, LessonProgress)
        .join(LessonProgress, sa.and_(LessonProgress.learner_id == Playback.learner_id,
                                      LessonProgress.enrollment_id == enrollment.id,
                                      LessonProgress.lesson_id == lesson.id))
        .where(Playback.learner_id == enrollment.learner_id)
        .with_for_update()
        .execution_options(populate_existing=True)).first()
    if found is None:
        return _lock_playback(enrollment.learner_id), _progress_row(enrollment, lesson)
    return found[0], found[1]


def _progress_row(enrollment: Enrollment, lesson: Lesson) -> LessonProgress:
    row = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.enrollment_id == enrollment.id,
                                                            LessonProgress.lesson_id == lesson.id))
    if row is None:
        row = LessonProgress(enrollment_id=enrollment.id, lesson_id=lesson.id, learner_id=enrollment.learner_id,
                             furthest_ms=0, credited_ms=0, seq=-1, last_position_ms=0, playing=False, done=False)
        db.session.add(row)
        db.session.flush()
    return row


def _as_progress(row: LessonProgress) -> tracking.Progress:
    return tracking.Progress(furthest_ms=row.furthest_ms, credited_ms=row.credited_ms, session_id=row.session_id,
                             epoch=row.epoch, seq=row.seq, last_beat_at=row.last_beat_at,
                             last_position_ms=row.last_position_ms, playing=row.playing, check_id=row.check_id,
                             next_check_ms=row.next_check_ms, done=row.done)


def tracking_lesson(lesson: Lesson) -> tracking.Lesson:
    kind = tracking.Kind.VIDEO if lesson.kind == LessonKind.VIDEO else tracking.Kind.DOCUMENT
    return tracking.Lesson(id=lesson.id, kind=kind, duration_ms=lesson.duration_seconds * 1000)


def heartbeat(enrollment: Enrollment, lesson: Lesson, beat: tracking.Heartbeat, *, now: datetime | None = None,
              rng: random.Random | None = None, locked: tuple | None = None) -> tracking.Outcome:
    """Apply one heartbeat of the learner's player and store what the rules decided. When
    the lesson becomes done, the course completes if everything else is done too.
    ``locked``: their playback and progress rows, already locked (``beat_rows``)."""
    if lesson.kind == LessonKind.LIVE:
        raise DomainError(_("A live session is attended by joining it, not by a player."), code="live")
    refuse_unless_studying(enrollment)
    at = now or db_now()
    playback, row = locked or _lock_with_progress(enrollment, lesson)
    outcome = tracking.record_heartbeat(
        _as_progress(row), tracking.Playback(playback.session_id, playback.lesson_id, playback.epoch), beat,
        lesson=tracking_lesson(lesson), rules=rules(), now=at, rng=rng)
    p, pb = outcome.progress, outcome.playback
    if (pb.session_id, pb.lesson_id, pb.epoch) != (playback.session_id, playback.lesson_id, playback.epoch):
        playback.session_id, playback.lesson_id, playback.epoch, playback.updated_at = \
            pb.session_id, pb.lesson_id, pb.epoch, at
    if outcome.message is not tracking.Message.STALE or p != _as_progress(row):
        row.furthest_ms, row.credited_ms, row.session_id, row.epoch, row.seq = \
            p.furthest_ms, p.credited_ms, p.session_id, p.epoch, p.seq
        row.last_beat_at, row.last_position_ms, row.playing = p.last_beat_at, p.last_position_ms, p.playing
        row.check_id, row.next_check_ms, row.done, row.updated_at = p.check_id, p.next_check_ms, p.done, at
    if outcome.just_done:
        row.done_at = at
        db.session.flush()
        maybe_complete(enrollment, at)
    return outcome


# ---------------------------------------------------------------- live sessions

def live_window(lesson: Lesson) -> tuple[datetime, datetime]:
    return lesson.starts_at - timedelta(minutes=LIVE_OPENS_MINUTES), lesson.ends_at


def join_live(enrollment: Enrollment, lesson: Lesson, now: datetime | None = None) -> str:
    """Record that the learner joined a live session through NTBase and return its link.
    Joining between shortly before the start and the end counts the lesson as attended."""
    if lesson.kind != LessonKind.LIVE:
        raise DomainError(_("Only a live session can be joined."), code="not_live")
    refuse_unless_studying(enrollment)
    at = now or db_now()
    opens, closes = live_window(lesson)
    if at < opens:
        raise DomainError(_("This live session opens at %(when)s (%(n)s minutes before it starts). Come back then.",
                            when=opens.strftime("%Y-%m-%d %H:%M"), n=LIVE_OPENS_MINUTES), code="too_early")
    if at > closes:
        raise DomainError(_("This live session ended at %(when)s; joining now does not count as attending.",
                            when=closes.strftime("%Y-%m-%d %H:%M")), code="ended")
    _lock_playback(enrollment.learner_id)  # one learner's requests one at a time
    row = _progress_row(enrollment, lesson)
    if row.joined_at is None:
        row.joined_at = at
    if not row.done:
        row.done, row.done_at, row.credited_ms = True, at, lesson.duration_seconds * 1000
        row.updated_at = at
        db.session.flush()
        maybe_complete(enrollment, at)
    return lesson.join_url


# ---------------------------------------------------------------- completion

def exam_of(course_id: int) -> Exam | None:
    return db.session.scalar(sa.select(Exam).where(Exam.course_id == course_id))


def exam_passed(enrollment_id: int) -> bool:
    return bool(db.session.scalar(sa.select(sa.func.count(ExamAttempt.id)).where(
        ExamAttempt.enrollment_id == enrollment_id, ExamAttempt.passed.is_(True))))


def lessons_left(enrollment: Enrollment) -> int:
    total = db.session.scalar(sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == enrollment.course_id))
    done = db.session.scalar(sa.select(sa.func.count(LessonProgress.id)).join(
        Lesson, Lesson.id == LessonProgress.lesson_id).where(
        LessonProgress.enrollment_id == enrollment.id, LessonProgress.done.is_(True),
        Lesson.course_id == enrollment.course_id))
    return int(total or 0) - int(done or 0)


def all_lessons_done(enrollment: Enrollment) -> bool:
    return lessons_left(enrollment) <= 0 and db.session.scalar(
        sa.select(sa.func.count(Lesson.id)).where(Lesson.course_id == enrollment.course_id)) > 0


def maybe_complete(enrollment: Enrollment, now: datetime | None = None) -> bool:
    """Complete an online course when every lesson is done and its exam (if any) is passed:
    through ``enrollment.complete`` (certificate, ledger entry, notice), once. Blended
    courses are completed by their base (attendance and assessment in person)."""
    course = db.session.get(Course, enrollment.course_id)
    if course is None or course.mode != CourseMode.ONLINE or enrollment.state != EnrollmentState.CONFIRMED:
        return False
    if not all_lessons_done(enrollment):
        return False
    if exam_of(course.id) is not None and not exam_passed(enrollment.id):
        return False
    try:
        enrollments.complete(enrollment, None, now, reason="online course completed")
    except DomainError as err:
        if err.code == "already_completed":
            return False
        raise
    return True
