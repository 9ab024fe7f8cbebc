"""The payment state machine. Same compare-and-set approach as enrollments: an impossible
change raises and changes nothing; every change writes a ``PaymentEvent``.

A provider may report success for an intent NTBase already gave up on (expired, cancelled,
failed): the money has moved, so the intent becomes ``succeeded`` and the enrollment side
decides whether a seat can still be given or the money goes back.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ntbase.kernel.errors import DomainError
from ntbase.kernel.history import StateMachine
from ntbase.payments.models import (
    PaymentEvent,
    PaymentIntent,
    PaymentState,
    RefundEvent,
    RefundState,
)

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


class IllegalRefundTransition(DomainError):
    def __init__(self, frm, to):
        super().__init__(_("This refund cannot go from “%(frm)s” to “%(to)s”.",
                           frm=frm.title if frm else "—", to=to.title), code="illegal_transition")


class ConcurrentRefundChange(DomainError):
    def __init__(self):
        super().__init__(_("This refund was retried at the same moment by someone else. Please reload the page."),
                         code="conflict")


MACHINE = StateMachine(history=PaymentEvent, owner_key="payment_id", allowed=ALLOWED,
                       illegal=IllegalPaymentTransition, concurrent=ConcurrentPaymentChange)
can_transition = MACHINE.can

R = RefundState
REFUND_ALLOWED: dict[RefundState | None, frozenset[RefundState]] = {
    None: frozenset({R.PENDING, R.SUCCEEDED, R.FAILED}),
    R.PENDING: frozenset({R.SUCCEEDED, R.FAILED}),
    # a refund the provider refused is sent again by staff after checking why
    R.FAILED: frozenset({R.PENDING}),
    R.SUCCEEDED: frozenset(),
}
REFUNDS = StateMachine(history=RefundEvent, owner_key="refund_id", allowed=REFUND_ALLOWED,
                       illegal=IllegalRefundTransition, concurrent=ConcurrentRefundChange)


def record(intent: PaymentIntent, frm: PaymentState | None, to: PaymentState, actor_id: int | None,
           reason: str, at: datetime, refund_id: int | None = None) -> PaymentEvent:
    return MACHINE.record(intent, frm, to, actor_id, reason, at, refund_id=refund_id)


def transition(intent: PaymentIntent, to: PaymentState, actor_id: int | None, reason: str,
               at: datetime | None = None, refund_id: int | None = None, **values) -> PaymentIntent:
    return MACHINE.transition(intent, to, actor_id, reason, at, history={"refund_id": refund_id}, **values)
