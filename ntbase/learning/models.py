"""Online learning (issue #12): chapters and lessons of online and blended courses, each
learner's progress per lesson, the one player allowed to credit per learner, the question
bank, the exam and its attempts.

The watching rules are pure (``ntbase.learning.tracking``); these tables keep their state.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum


class LessonKind(LabeledEnum):
    VIDEO = "video"
    DOCUMENT = "document"
    LIVE = "live"

    @classmethod
    def _titles(cls):
        return {"video": _l("Video"), "document": _l("Document"), "live": _l("Live session")}


class QuestionKind(LabeledEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"

    @classmethod
    def _titles(cls):
        return {"single": _l("Single choice"), "multiple": _l("Multiple choice"), "true_false": _l("True or false")}


class Chapter(db.Model):
    __tablename__ = "learning_chapter"
    __table_args__ = (sa.UniqueConstraint("course_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(200))

    lessons: Mapped[list[Lesson]] = relationship(back_populates="chapter", order_by="Lesson.position",
                                                 cascade="all, delete-orphan")


class Lesson(db.Model):
    """A video or a document (a stored object under a key the server chose) or a live
    session (a join link between two times). ``duration_minutes`` is what counts towards
    the course's hours: a video's is read from the file (ffprobe)."""

    __tablename__ = "lesson"
    __table_args__ = (
        sa.UniqueConstraint("chapter_id", "position"),
        sa.CheckConstraint("duration_seconds > 0 AND duration_seconds <= 360000", name="duration_range"),
        sa.CheckConstraint("kind <> 'live' OR (join_url IS NOT NULL AND starts_at IS NOT NULL "
                           "AND ends_at IS NOT NULL AND ends_at > starts_at)", name="live_has_link_and_times"),
        sa.CheckConstraint("kind = 'live' OR join_url IS NULL", name="only_live_has_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    chapter_id: Mapped[int] = mapped_column(sa.ForeignKey("learning_chapter.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[LessonKind] = mapped_column(enum_column(LessonKind))
    # seconds, exact for a video; documents and live sessions declare whole minutes
    duration_seconds: Mapped[int]
    media_key: Mapped[str | None] = mapped_column(sa.String(40))
    media_type: Mapped[str | None] = mapped_column(sa.String(60))
    media_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    media_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    join_url: Mapped[str | None] = mapped_column(sa.String(500))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    chapter: Mapped[Chapter] = relationship(back_populates="lessons")

    @property
    def duration_minutes(self) -> float:
        return self.duration_seconds / 60

    @property
    def ready(self) -> bool:
        """Learners can study it: a file for videos and documents."""
        return self.kind == LessonKind.LIVE or self.media_key is not None


class LessonProgress(db.Model):
    """One learner (through their enrollment) on one lesson: the tracking ``Progress``."""

    __tablename__ = "lesson_progress"
    __table_args__ = (
        sa.UniqueConstraint("enrollment_id", "lesson_id"),
        sa.CheckConstraint("credited_ms >= 0 AND furthest_ms >= 0", name="progress_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    furthest_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credited_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    session_id: Mapped[str | None] = mapped_column(sa.String(64))
    epoch: Mapped[int | None] = mapped_column(sa.BigInteger)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=-1)
    last_beat_at: Mapped[datetime | None]
    last_position_ms: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    playing: Mapped[bool] = mapped_column(default=False)
    check_id: Mapped[str | None] = mapped_column(sa.String(64))
    next_check_ms: Mapped[int | None] = mapped_column(sa.BigInteger)
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]  # live sessions: when the learner joined through NTBase
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Playback(db.Model):
    """Per learner: the one player (tab or device) allowed to credit now. Heartbeats of one
    learner lock this row; no other learner's heartbeat waits on it."""

    __tablename__ = "learning_playback"

    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(sa.String(64))
    lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("lesson.id", ondelete="SET NULL"))
    epoch: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Question(db.Model):
    """A question of a course's bank. ``choices`` is a list of texts; ``answer`` the sorted
    indexes of the right ones (one for single choice and true/false)."""

    __tablename__ = "question"
    __table_args__ = (sa.UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind))
    text: Mapped[str] = mapped_column(sa.Text)
    choices: Mapped[list] = mapped_column(sa.JSON)
    answer: Mapped[list] = mapped_column(sa.JSON)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


class Exam(db.Model):
    """A course's exam: drawn at random from its active questions."""

    __tablename__ = "exam"
    __table_args__ = (
        sa.CheckConstraint("question_count >= 1 AND question_count <= 200", name="question_count_range"),
        sa.CheckConstraint("time_limit_minutes >= 1 AND time_limit_minutes <= 600", name="time_limit_range"),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="exam_pass_mark_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), unique=True)
    question_count: Mapped[int] = mapped_column(default=10)
    time_limit_minutes: Mapped[int] = mapped_column(default=30)
    pass_mark: Mapped[int] = mapped_column(default=60)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class ExamAttempt(db.Model):
    """One sitting: the questions drawn, the answers given, the grade. Attempt 2 is the one
    resit, as for in-person assessments."""

    __tablename__ = "exam_attempt"
    __table_args__ = (
        sa.UniqueConstraint("enrollment_id", "attempt"),
        sa.CheckConstraint("attempt IN (1, 2)", name="exam_attempt_one_or_two"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="exam_score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id", ondelete="CASCADE"), index=True)
    exam_id: Mapped[int] = mapped_column(sa.ForeignKey("exam.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(default=1)
    question_ids: Mapped[list] = mapped_column(sa.JSON)
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)   # {question id: [indexes]}
    started_at: Mapped[datetime] = mapped_column(default=now)
    deadline_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]   # graded (at submit, or when the time ran out)
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    pass_mark: Mapped[int]
    late: Mapped[bool] = mapped_column(default=False)  # graded after the limit: unanswered counted wrong
