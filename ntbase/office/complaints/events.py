"""What the complaints room tells the others (and itself: handlers.py tells the learner)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class ComplaintAnswered(Event):
    complaint_id: int
    learner_id: int
    subject: str
    at: datetime
