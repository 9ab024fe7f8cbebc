"""Enrollment's background jobs: unpaid holds and untaken offers expire on time, with no
page visit (the seat goes to the next learner waiting)."""
from __future__ import annotations

from ntbase.enrollment import services
from ntbase.kernel.jobs import every_minute, job


@job("enrollment.sweep_expired", periodic=every_minute)
def sweep_expired_every_minute() -> None:
    """The safety net: whatever lapsed anywhere expires within a minute."""
    services.sweep_expired()


@job("enrollment.expire_lapsed")
def expire_lapsed_in_course(course_id: int) -> None:
    """Scheduled for the moment a hold or an offer in ``course_id`` runs out."""
    services.sweep_expired(course_id=course_id)
