"""What the hours domain tells the others (and itself: the kept yearly status follows them)."""
from __future__ import annotations

from dataclasses import dataclass

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class LedgerChanged(Event):
    """Something that can move a learner's yearly status changed: an entry accepted,
    rejected, withdrawn or credited, an exemption decided, an appointment period recorded
    or removed."""

    learner_id: int


@dataclass(frozen=True)
class PolicyChanged(Event):
    """A yearly policy or the round table changed: every year from ``from_year`` on may be
    judged differently."""

    from_year: int
