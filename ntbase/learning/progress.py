"""The base staff's view of an online or blended course: every learner × every lesson, the
exam attempts, what is done. A pure read (nothing is written), in five SQL statements
whatever the number of learners and lessons:

1. the lessons in syllabus order (chapter position, lesson position) with their chapter,
2. the course's exam, if any,
3. the enrollments that count, with the learner's name and masked ID number,
4. the progress rows of those enrollments,
5. their exam attempts.

Which enrollments count: ``CONFIRMED`` (the seat is paid or free: the learner may study)
and ``COMPLETED`` (finished; their progress stays visible). Waitlisted, offered and held
seats have not started (they cannot study), cancelled and expired ones are gone; their
progress rows, if any, are left out too.

A lesson's share is the one the learner sees on their own page (``services.LessonState``):
100 once the lesson is done, otherwise the credited time against the lesson's length,
rounded down and never above 99. A live session is done when the learner joined it in
time (``joined_at``).

The learner is named by the real name on their profile (the account's display name or
e-mail when there is none) and the masked ID number kept on the profile
(``kernel.security.mask_id_number``, e.g. 320602********123X); the full ID number is
never read here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.accounts.models import LearnerProfile, User
from ntbase.catalog.models import Course
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.learning.models import Chapter, Exam, ExamAttempt, Lesson, LessonKind, LessonProgress

COUNTED_STATES = (EnrollmentState.CONFIRMED, EnrollmentState.COMPLETED)


@dataclass(frozen=True)
class LessonColumn:
    id: int
    title: str
    kind: LessonKind
    chapter_title: str
    duration_seconds: int

    @property
    def is_live(self) -> bool:
        return self.kind == LessonKind.LIVE


@dataclass(frozen=True)
class LessonCell:
    lesson: LessonColumn
    started: bool          # a progress row exists (the learner opened the lesson, or joined)
    credited_ms: int
    done: bool
    done_at: datetime | None
    joined_at: datetime | None  # live sessions only

    @property
    def percent(self) -> int:
        """As the learner's own page shows it: 100 when done, else at most 99."""
        if self.done:
            return 100
        return min(99, self.credited_ms * 100 // max(self.lesson.duration_seconds * 1000, 1))

    @property
    def joined(self) -> bool:
        return self.joined_at is not None


@dataclass(frozen=True)
class AttemptInfo:
    attempt: int           # 1, or 2 for the resit
    started_at: datetime
    submitted_at: datetime | None  # None: not graded yet (in progress, or the time ran out)
    score: int | None
    passed: bool | None
    late: bool

    @property
    def graded(self) -> bool:
        return self.submitted_at is not None


@dataclass(frozen=True)
class LearnerProgress:
    enrollment_id: int
    learner_id: int
    name: str
    id_number_masked: str
    state: EnrollmentState
    completed_at: datetime | None
    cells: list[LessonCell]
    attempts: list[AttemptInfo]
    last_activity: datetime | None

    @property
    def lessons_done(self) -> int:
        return sum(1 for c in self.cells if c.done)

    @property
    def all_lessons_done(self) -> bool:
        return bool(self.cells) and self.lessons_done == len(self.cells)

    @property
    def exam_passed(self) -> bool:
        return any(a.passed for a in self.attempts)

    @property
    def completed(self) -> bool:
        return self.state == EnrollmentState.COMPLETED

    def attempt(self, number: int) -> AttemptInfo | None:
        return next((a for a in self.attempts if a.attempt == number), None)


@dataclass(frozen=True)
class ExamInfo:
    question_count: int
    time_limit_minutes: int
    pass_mark: int


@dataclass(frozen=True)
class CourseProgress:
    course_id: int
    lessons: list[LessonColumn]
    exam: ExamInfo | None
    rows: list[LearnerProgress] = field(default_factory=list)

    @property
    def enrolled(self) -> int:
        return len(self.rows)

    @property
    def completed(self) -> int:
        return sum(1 for r in self.rows if r.completed)

    @property
    def lessons_all_done(self) -> int:
        return sum(1 for r in self.rows if r.all_lessons_done)

    @property
    def exam_passed(self) -> int:
        return sum(1 for r in self.rows if r.exam_passed)


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def course_progress(course: Course) -> CourseProgress:
    """Every counted enrollment of ``course`` with its progress per lesson and its exam
    attempts (five statements, see the module's docstring)."""
    lessons = [LessonColumn(lesson.id, lesson.title, lesson.kind, chapter_title, lesson.duration_seconds)
               for lesson, chapter_title in db.session.execute(
                   sa.select(Lesson, Chapter.title).join(Chapter, Chapter.id == Lesson.chapter_id)
                   .where(Lesson.course_id == course.id)
                   .order_by(Chapter.position, Chapter.id, Lesson.position, Lesson.id))]
    exam_row = db.session.execute(
        sa.select(Exam.question_count, Exam.time_limit_minutes, Exam.pass_mark)
        .where(Exam.course_id == course.id)).first()
    exam = ExamInfo(*exam_row) if exam_row is not None else None

    counted = sa.and_(Enrollment.course_id == course.id, Enrollment.state.in_(COUNTED_STATES))
    enrollments = db.session.execute(
        sa.select(Enrollment.id, Enrollment.learner_id, Enrollment.state, Enrollment.completed_at,
                  LearnerProfile.real_name, LearnerProfile.id_number_masked, User.display_name, User.email)
        .join(User, User.id == Enrollment.learner_id)
        .outerjoin(LearnerProfile, LearnerProfile.user_id == User.id)
        .where(counted)
        .order_by(Enrollment.id)).all()
    if not enrollments:
        return CourseProgress(course.id, lessons, exam, [])

    progress: dict[tuple[int, int], sa.Row] = {}
    for p in db.session.execute(
            sa.select(LessonProgress.enrollment_id, LessonProgress.lesson_id, LessonProgress.credited_ms,
                      LessonProgress.done, LessonProgress.done_at, LessonProgress.joined_at,
                      LessonProgress.last_beat_at, LessonProgress.updated_at)
            .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(counted, Lesson.course_id == course.id)):
        progress[(p.enrollment_id, p.lesson_id)] = p

    attempts: dict[int, list[AttemptInfo]] = {}
    for a in db.session.execute(
            sa.select(ExamAttempt.enrollment_id, ExamAttempt.attempt, ExamAttempt.started_at,
                      ExamAttempt.submitted_at, ExamAttempt.score, ExamAttempt.passed, ExamAttempt.late)
            .join(Enrollment, Enrollment.id == ExamAttempt.enrollment_id)
            .where(counted)
            .order_by(ExamAttempt.enrollment_id, ExamAttempt.attempt)):
        attempts.setdefault(a.enrollment_id, []).append(
            AttemptInfo(a.attempt, a.started_at, a.submitted_at, a.score, a.passed, bool(a.late)))

    rows = []
    for e in enrollments:
        cells, moments = [], []
        for lesson in lessons:
            p = progress.get((e.id, lesson.id))
            if p is None:
                cells.append(LessonCell(lesson, False, 0, False, None, None))
                continue
            cells.append(LessonCell(lesson, True, int(p.credited_ms or 0), bool(p.done), p.done_at, p.joined_at))
            moments += [p.last_beat_at, p.updated_at, p.done_at, p.joined_at]
        mine = attempts.get(e.id, [])
        moments += [m for a in mine for m in (a.started_at, a.submitted_at)]
        rows.append(LearnerProgress(
            enrollment_id=e.id, learner_id=e.learner_id,
            name=e.real_name or e.display_name or e.email, id_number_masked=e.id_number_masked or "",
            state=e.state, completed_at=e.completed_at, cells=cells, attempts=mine,
            last_activity=_latest(*moments, e.completed_at)))
    return CourseProgress(course.id, lessons, exam, rows)


# ---------------------------------------------------------------- the export

def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def progress_table(view: CourseProgress) -> tuple[list[str], list[list]]:
    """The page's table as rows for ``kernel.tabular`` (which escapes formula-like cells):
    a lesson's share as a number (0–100), a live session's join time."""
    yes, no = _("Yes"), _("No")
    header = [_("Name"), _("ID number (masked)"), _("Status")]
    header += [_("%(title)s (joined at)", title=c.title) if c.is_live else _("%(title)s (%%)", title=c.title)
               for c in view.lessons]
    header.append(_("Lessons done"))
    if view.exam is not None:
        for label in (_("First attempt"), _("Resit")):
            header += [_("%(attempt)s: score", attempt=label), _("%(attempt)s: submitted at", attempt=label),
                       _("%(attempt)s: late", attempt=label)]
        header.append(_("Passed the exam"))
    header += [_("Last activity"), _("Completed"), _("Completed at")]
    table = []
    for r in view.rows:
        row: list = [r.name, r.id_number_masked, r.state.title]
        row += [(_when(c.joined_at) or _("Not joined")) if c.lesson.is_live else c.percent for c in r.cells]
        row.append(r.lessons_done)
        if view.exam is not None:
            for number in (1, 2):
                a = r.attempt(number)
                if a is None:
                    row += ["", "", ""]
                elif not a.graded:
                    row += ["", _("Not submitted yet"), ""]
                else:
                    row += [a.score, _when(a.submitted_at), yes if a.late else no]
            row.append(yes if r.exam_passed else no)
        row += [_when(r.last_activity), yes if r.completed else no, _when(r.completed_at)]
        table.append(row)
    return header, table
