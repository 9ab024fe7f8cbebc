"""What the hours domain tells the others (and itself: handlers.py tells the learner)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class HoursReviewed(Event):
    """The office accepted or rejected an entry the learner recorded (``kind`` "entry": a
    ledger entry; "exemption": an exemption event)."""

    kind: str
    item_id: int
    learner_id: int
    accepted: bool
    title: str
    reason: str
    at: datetime
