"""What the enrollment domain tells the others (and itself: ``handlers.py`` tells the
learner of each change they care about, through ``ntbase.notifications``).

``by`` says who or what caused the change: "learner" (on the page in front of them),
"base" (base staff), "payment" (the provider's webhook), "waitlist" (a freed seat),
"course" (the base cancelled the whole course), "no_seat" (money arrived for no seat).
"""
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
    by: str = "learner"
    paid_fen: int = 0
    late: bool = False  # the payment arrived after the hold expired, a seat was still free


@dataclass(frozen=True)
class EnrollmentOffered(Event):
    """A seat is reserved for the learner until ``expires_at`` (from the waitlist, or by a
    base enrolling them in a paid course)."""

    enrollment_id: int
    learner_id: int
    course_id: int
    expires_at: datetime
    at: datetime
    by: str = "waitlist"


@dataclass(frozen=True)
class EnrollmentWaitlisted(Event):
    enrollment_id: int
    learner_id: int
    course_id: int
    at: datetime
    by: str = "learner"


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
    by: str = "learner"
    reason: str = ""
    payer: str = ""  # the employer that paid for the seat, when one did (the refund goes to it)


@dataclass(frozen=True)
class EnrollmentRefunded(Event):
    """Money went back while the enrollment kept its state (a base's goodwill refund), or
    a payment that found no seat was returned in full."""

    enrollment_id: int
    learner_id: int
    course_id: int
    amount_fen: int
    at: datetime
    by: str = "base"
    reason: str = ""
    payer: str = ""  # the employer that paid for the seat, when one did


@dataclass(frozen=True)
class EnrollmentCompleting(Event):
    """About to complete: a domain whose own rule decides completion (learning: an online
    course with lessons completes itself when they are done) refuses a completion by a
    person (``actor_id`` set) by raising a DomainError."""

    enrollment_id: int
    course_id: int
    actor_id: int | None
