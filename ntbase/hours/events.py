"""What the hours domain tells the others (and itself: the kept yearly status follows the
ledger; handlers.py tells the learner about reviews)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class LedgerChanged(Event):
    """Something that can move a learner's yearly status changed: an entry accepted,
    rejected, withdrawn or credited, an exemption decided, an appointment period recorded
    or removed."""

    learner_id: int


@dataclass(frozen=True)
class YearlyStatusChanged(Event):
    """The kept yearly status of these learners changed: a year's row written, changed or
    removed (``hours.status.refresh``, after a ``LedgerChanged`` or a rebuild)."""

    learner_ids: tuple[int, ...]


@dataclass(frozen=True)
class PolicyChanged(Event):
    """A yearly policy or the round table changed: every year from ``from_year`` on may be
    judged differently."""

    from_year: int


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
