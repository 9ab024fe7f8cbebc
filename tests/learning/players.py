"""A learner with tabs (players) that send heartbeats, for the tracking tests."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ntbase.learning.tracking import (
    Event,
    Heartbeat,
    Kind,
    Lesson,
    Message,
    Outcome,
    Playback,
    Progress,
    Rules,
    record_heartbeat,
)

T0 = datetime(2026, 3, 2, 9, 0, 0)
VIDEO = Lesson(id=1, kind=Kind.VIDEO, duration_ms=60_000)
VIDEO_2 = Lesson(id=2, kind=Kind.VIDEO, duration_ms=45_000)
DOCUMENT = Lesson(id=3, kind=Kind.DOCUMENT, duration_ms=30_000)


def at(seconds: float) -> datetime:
    return T0 + timedelta(milliseconds=round(seconds * 1000))


@dataclass
class Sent:
    lesson: Lesson
    beat: Heartbeat
    now: datetime
    before: Progress
    outcome: Outcome


class Learner:
    def __init__(self, rules: Rules | None = None, seed: int = 0):
        self.rules = rules or Rules()
        self.rng = random.Random(seed)
        self.playback = Playback()
        self.progress: dict = {}
        self.log: list[Sent] = []

    def of(self, lesson: Lesson) -> Progress:
        return self.progress.get(lesson.id, Progress())

    def send(self, lesson: Lesson, beat: Heartbeat, now: datetime) -> Outcome:
        before = self.of(lesson)
        out = record_heartbeat(before, self.playback, beat, lesson=lesson, rules=self.rules, now=now, rng=self.rng)
        self.progress[lesson.id] = out.progress
        self.playback = out.playback
        self.log.append(Sent(lesson, beat, now, before, out))
        return out

    def credited(self, lesson: Lesson) -> float:
        return self.of(lesson).credited_ms / 1000


@dataclass
class Player:
    """One tab or device playing one lesson."""
    learner: Learner
    lesson: Lesson
    session: str = "tab-a"
    seq: int = 0
    epoch: int | None = None
    check: str | None = None
    answers: list[Outcome] = field(default_factory=list)

    def _send(self, event: Event, when: float, position: float, **kw) -> Outcome:
        self.seq += 1
        beat = Heartbeat(event=event, session_id=self.session, seq=self.seq,
                         position_ms=round(position * 1000), epoch=None if event is Event.START else self.epoch,
                         **kw)
        out = self.learner.send(self.lesson, beat, at(when))
        if event is Event.START and out.message is not Message.STALE:
            self.epoch = out.epoch
        if out.message is Message.STILL_HERE:
            self.check = out.answer()["check"]
        self.answers.append(out)
        return out

    def start(self, when: float, position: float = 0, **kw) -> Outcome:
        return self._send(Event.START, when, position, **kw)

    def beat(self, when: float, position: float = 0, **kw) -> Outcome:
        return self._send(Event.BEAT, when, position, **kw)

    def pause(self, when: float, position: float = 0) -> Outcome:
        return self._send(Event.PAUSE, when, position, playing=False)

    def ended(self, when: float, position: float) -> Outcome:
        return self._send(Event.ENDED, when, position, playing=False)

    def here(self, when: float, position: float = 0, check: str | None = None) -> Outcome:
        return self._send(Event.HERE, when, position, check_id=check if check is not None else self.check)

    def watch(self, start: float, until: float, step: float = 10, from_position: float = 0) -> list[Outcome]:
        """Honest playing at 1×: start, then a beat every ``step`` seconds."""
        outs = [self.start(start, from_position)]
        t = start
        while t + step <= until:
            t += step
            outs.append(self.beat(t, from_position + t - start))
        return outs
