"""The payment state machine. Same compare-and-set approach as enrollments: an impossible
change raises and changes nothing; every change writes a ``PaymentEvent``.

A provider may report success for an intent NTBase already gave up on (expired, cancelled,
failed): the money has moved, so the intent becomes ``succeeded`` and the enrollment side
decides whether a seat can still be given or the money goes back.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ntbase.db import DomainError, compare_and_set, db, now
from ntbase.payments.models import PaymentEvent, PaymentIntent, PaymentState

P = PaymentState

ALLOWED: dict[PaymentState | None, frozenset[PaymentState]] = {
    None: frozenset({P.PENDING}),
    P.PENDING: frozenset({P.SUCCEEDED, P.FAILED, P.CANCELLED, P.EXPIRED}),
    P.FAILED: frozenset({P.SUCCEEDED}),
    P.CANCELLED: frozenset({P.SUCCEEDED}),
    P.EXPIRED: frozenset({P.SUCCEEDED}),
    P.SUCCEEDED: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PARTIALLY_REFUNDED: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.REFUNDED: frozenset(),
}
# money the learner has paid and not (fully) got back
PAID_STATES = (P.SUCCEEDED, P.PARTIALLY_REFUNDED)


class IllegalPaymentTransition(DomainError):
    def __init__(self, frm, to):
        super().__init__(_("This payment cannot go from “%(frm)s” to “%(to)s”.",
                           frm=frm.title if frm else "—", to=to.title), code="illegal_transition")
        self.frm, self.to = frm, to


class ConcurrentPaymentChange(DomainError):
    def __init__(self):
        super().__init__(_("This payment was changed at the same moment by another request. "
                           "Please try again."), code="conflict")


def can_transition(frm: PaymentState | None, to: PaymentState) -> bool:
    return to in ALLOWED.get(frm, frozenset())


def record(intent: PaymentIntent, frm: PaymentState | None, to: PaymentState, actor_id: int | None,
           reason: str, at: datetime, refund_id: int | None = None) -> PaymentEvent:
    event = PaymentEvent(payment_id=intent.id, refund_id=refund_id, from_state=frm.value if frm else None,
                         to_state=to.value, actor_id=actor_id, reason=reason[:300], at=at)
    db.session.add(event)
    return event


def transition(intent: PaymentIntent, to: PaymentState, actor_id: int | None, reason: str,
               at: datetime | None = None, refund_id: int | None = None, **values) -> PaymentIntent:
    frm = intent.state
    if not can_transition(frm, to):
        raise IllegalPaymentTransition(frm, to)
    at = at or now()
    values["updated_at"] = at
    if not compare_and_set(intent, frm, to, **values):
        raise ConcurrentPaymentChange()
    record(intent, frm, to, actor_id, reason, at, refund_id)
    return intent
