"""What the catalog tells the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class CourseCancelled(Event):
    """A base cancelled a course; ``reason`` is what learners read."""

    course_id: int
    actor_id: int | None
    reason: str
    at: datetime


@dataclass(frozen=True)
class CourseChanged(Event):
    """Terms learners enrolled for changed: ``fields`` among price, schedule, location and
    hours. The enrollment domain refuses the change when learners have enrolled and no
    ``reason`` is given, and otherwise tells each of them."""

    course_id: int
    fields: tuple[str, ...]
    reason: str
    at: datetime


@dataclass(frozen=True)
class SessionsRemoved(Event):
    """Sessions are about to be removed from a course; a domain holding records of them
    (attendance) refuses by raising a DomainError."""

    course_id: int
    session_ids: tuple[int, ...]


@dataclass(frozen=True)
class CourseReadyCheck(Event):
    """A course is about to be published, or a published course's hours or mode changed: a
    domain with its own rule for the course (learning: an online course's lessons must carry
    its hours) refuses by raising a DomainError on ``field``."""

    course_id: int
    field: str
