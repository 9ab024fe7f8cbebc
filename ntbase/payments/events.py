"""What the payments domain tells the others."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    """The provider took the money for ``payment_id``. Whoever the payment was for (an
    enrollment, or a group of enrollments an employer pays for: ``group_id``) confirms what
    it bought, or refunds it if that is no longer possible."""

    payment_id: int
    enrollment_id: int | None
    amount_fen: int
    at: datetime
    group_id: int | None = None
