"""What the enrollment domain tells the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class EnrollmentConfirmed(Event):
    enrollment_id: int
    learner_id: int
    course_id: int
    at: datetime


@dataclass(frozen=True)
class EnrollmentCompleted(Event):
    """The learner met the course's completion rule (attendance and assessment in person,
    lessons and exam online): the certificate and the hours follow from this."""

    enrollment_id: int
    learner_id: int
    course_id: int
    actor_id: int | None
    at: datetime


@dataclass(frozen=True)
class EnrollmentCancelled(Event):
    enrollment_id: int
    learner_id: int
    course_id: int
    refund_fen: int
    at: datetime
