"""The complaint state machine (Art. 29): received → in progress → answered, or straight
from received to answered. Anything else raises; every change is a ``ComplaintEvent``
written by the kernel's ``StateMachine`` (a compare-and-set, so two officers answering
at once cannot both win)."""
from __future__ import annotations

from flask_babel import gettext as _

from ntbase.kernel.errors import DomainError
from ntbase.kernel.history import StateMachine
from ntbase.office.complaints.models import ComplaintEvent, ComplaintState

S = ComplaintState

ALLOWED: dict[ComplaintState | None, frozenset[ComplaintState]] = {
    None: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.IN_PROGRESS, S.ANSWERED}),
    S.IN_PROGRESS: frozenset({S.ANSWERED}),
    S.ANSWERED: frozenset(),
}


def illegal_transition(frm: ComplaintState | None, to: ComplaintState) -> DomainError:
    return DomainError(_("A complaint that is %(state)s cannot become %(to)s.",
                         state=frm.title if frm else "—", to=to.title), field="state")


def concurrent_change() -> DomainError:
    return DomainError(_("This complaint was changed at the same moment by someone else. Please reload the "
                         "page."), code="conflict")


MACHINE = StateMachine(history=ComplaintEvent, owner_key="complaint_id", allowed=ALLOWED,
                       illegal=illegal_transition, concurrent=concurrent_change)
