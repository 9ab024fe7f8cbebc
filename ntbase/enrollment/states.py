"""The enrollment state machine: which changes are possible, and one function that makes them.

    waitlisted → offered → held → confirmed → completed
         ↘           ↘        ↘          ↘
       cancelled   expired  expired   cancelled         (expired → confirmed: late payment)

``transition`` is a compare-and-set at the database (``UPDATE … WHERE id = :id AND
state = :from``): two requests racing to change the same enrollment (a sweep and a
payment, a double click) cannot both win, and the loser changes nothing. Every change
writes an ``EnrollmentEvent`` (who, when, from, to, why).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ntbase.enrollment.models import Enrollment, EnrollmentEvent, EnrollmentState
from ntbase.kernel.errors import DomainError
from ntbase.kernel.history import StateMachine

S = EnrollmentState

ALLOWED: dict[EnrollmentState | None, frozenset[EnrollmentState]] = {
    None: frozenset({S.WAITLISTED, S.HELD, S.CONFIRMED, S.OFFERED}),
    S.WAITLISTED: frozenset({S.OFFERED, S.CANCELLED}),
    S.OFFERED: frozenset({S.HELD, S.CONFIRMED, S.EXPIRED, S.CANCELLED}),
    S.HELD: frozenset({S.CONFIRMED, S.EXPIRED, S.CANCELLED}),
    # a payment that arrives after its hold expired revives the enrollment if a seat is free
    S.EXPIRED: frozenset({S.CONFIRMED}),
    S.CONFIRMED: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


class IllegalTransition(DomainError):
    def __init__(self, frm, to):
        super().__init__(
            _("This enrollment cannot go from “%(frm)s” to “%(to)s”.",
              frm=frm.title if frm else "—", to=to.title),
            code="illegal_transition")
        self.frm, self.to = frm, to


class ConcurrentChange(DomainError):
    def __init__(self):
        super().__init__(_("This enrollment was changed at the same moment by someone else. "
                           "Please reload the page."), code="conflict")


MACHINE = StateMachine(history=EnrollmentEvent, owner_key="enrollment_id", allowed=ALLOWED,
                       illegal=IllegalTransition, concurrent=ConcurrentChange)
can_transition = MACHINE.can


def record(enrollment: Enrollment, frm: EnrollmentState | None, to: EnrollmentState,
           actor_id: int | None, reason: str, at: datetime) -> EnrollmentEvent:
    return MACHINE.record(enrollment, frm, to, actor_id, reason, at)


def transition(enrollment: Enrollment, to: EnrollmentState, actor_id: int | None, reason: str,
               at: datetime | None = None, **values) -> Enrollment:
    """Move ``enrollment`` to ``to`` (plus column ``values``), or raise and change nothing."""
    return MACHINE.transition(enrollment, to, actor_id, reason, at, **values)
