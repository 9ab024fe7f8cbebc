"""How much watching counts: the server's rules for lesson heartbeats.

Pure: plain values in, plain values out; no Flask, no SQLAlchemy, no clock (the server's
time is passed in) and no hidden randomness (an ``rng`` is passed in), so every rule is
tested directly and the same code serves the web endpoint, the CLI and the benchmark.

Two records are read and returned for each heartbeat:

- ``Progress``: one learner on one lesson (furthest point watched, credited time, the
  baseline of the last accepted heartbeat, the playing session, a pending check).
- ``Playback``: one learner — which player (session id, lesson, epoch) may credit now.
  It is what makes "one playing lesson per learner at a time" hold across lessons.

The rules (all times in integer milliseconds, so sums are exact):

1. Only continuous playing is credited, at no more than real time: the interval since the
   last accepted heartbeat of the current player counts only if the player was playing
   then and the gap is at most ``max_gap`` (a longer gap credits nothing), and then at
   most ``elapsed × rate_cap``.
2. Only new ground is credited: at most ``position − furthest`` (watching again what was
   already credited counts nothing, or a lesson could be "done" by replaying its first
   minute). Measured from ``furthest`` rather than from the previous position, so network
   jitter that made one interval look short is made up by the next one, and a lesson
   watched end to end reaches 100 %.
3. No seeking past the furthest point: a position beyond
   ``furthest + elapsed × rate_cap + seek_tolerance`` credits nothing and is answered
   ``seek_refused`` with ``resume_at = furthest``. For a video, furthest and credited move
   together under these rules; both are kept because documents have no position.
4. One player at a time per learner: ``start`` always takes over (a new epoch); a
   heartbeat of any other player or an older epoch is answered ``paused_elsewhere`` (or
   ``stale`` for an older epoch of the same player) and credits nothing. Players echo the
   epoch the ``start`` answer gave them, so a replayed ``start`` cannot revive the old
   heartbeats that followed it.
5. Replayed or out-of-order heartbeats (``seq`` not above the last accepted) credit nothing.
6. Optionally, "are you still here?" after a random amount of credited time: while it is
   pending nothing is credited; the answer (``here`` with the check id) resumes counting
   from that moment.
7. Done when credited ≥ ``done_share × duration − done_tolerance`` (default 100 %, less
   one second for the last frame).
8. Documents (``Kind.DOCUMENT``): time counts while the page is visible (``visible``),
   at real time, up to the declared minutes; there is no position.

Concurrency is the caller's: process one learner's heartbeats one at a time (a row lock or
compare-and-set on that learner's ``Playback``), which blocks no other learner.
"""
from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

MS = timedelta(milliseconds=1)
MAX_POSITION_MS = 100 * 3600 * 1000  # 100 hours: no lesson is longer
MAX_SEQ = 2 ** 53 - 1                # what a JavaScript number holds exactly
_SYSTEM_RANDOM = random.SystemRandom()


class Event(StrEnum):
    START = "start"    # the player starts or resumes playing (or the document is opened)
    BEAT = "beat"      # every N seconds while playing / open, and on visibility changes
    PAUSE = "pause"    # paused (or the page is being left)
    ENDED = "ended"    # reached the end
    HERE = "here"      # the answer to "are you still here?"


class Kind(StrEnum):
    VIDEO = "video"
    DOCUMENT = "document"


class Message(StrEnum):
    OK = "ok"
    SEEK_REFUSED = "seek_refused"          # jump back to resume_at
    PAUSED_ELSEWHERE = "paused_elsewhere"  # another tab or device plays now: pause
    STILL_HERE = "still_here"              # show the check; post `here` with its id
    STALE = "stale"                        # replayed / out of order: ignored
    NOT_STARTED = "not_started"            # send `start` first
    HIDDEN = "hidden"                      # a document page in the background counts nothing


class InvalidHeartbeat(ValueError):
    """The payload is not a heartbeat (wrong types or values): answer 400."""


@dataclass(frozen=True)
class Rules:
    heartbeat_seconds: float = 10
    rate_cap: float = 1.0
    max_gap_seconds: float | None = None      # default 2 × heartbeat + 5 s
    seek_tolerance_seconds: float = 3
    done_share: float = 1.0
    done_tolerance_seconds: float = 1
    check_enabled: bool = False
    check_min_seconds: float = 300
    check_max_seconds: float = 900
    video_requires_visible: bool = False      # False: picture-in-picture still counts

    def __post_init__(self):
        if not self.heartbeat_seconds > 0:
            raise ValueError("heartbeat_seconds must be positive")
        if not self.rate_cap > 0:
            raise ValueError("rate_cap must be positive")
        if not 0 < self.done_share <= 1:
            raise ValueError("done_share must be in (0, 1]")
        if self.seek_tolerance_seconds < 0 or self.done_tolerance_seconds < 0:
            raise ValueError("tolerances cannot be negative")
        if not 0 < self.check_min_seconds <= self.check_max_seconds:
            raise ValueError("need 0 < check_min_seconds <= check_max_seconds")
        if self.max_gap_seconds is not None and self.max_gap_seconds < self.heartbeat_seconds:
            raise ValueError("max_gap_seconds must be at least heartbeat_seconds")

    @property
    def max_gap_ms(self) -> int:
        gap = self.max_gap_seconds if self.max_gap_seconds is not None else 2 * self.heartbeat_seconds + 5
        return int(gap * 1000)

    @property
    def seek_tolerance_ms(self) -> int:
        return int(self.seek_tolerance_seconds * 1000)

    def done_threshold_ms(self, duration_ms: int) -> int:
        return max(0, math.ceil(self.done_share * duration_ms) - int(self.done_tolerance_seconds * 1000))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        """From ``TRACKING_*`` keys (app.config or the environment; strings are converted)."""
        def num(key, default):
            value = config.get(key)
            return default if value in (None, "") else float(value)

        def flag(key, default):
            value = config.get(key)
            if value in (None, ""):
                return default
            return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}

        return cls(
            heartbeat_seconds=num("TRACKING_HEARTBEAT_SECONDS", 10),
            rate_cap=num("TRACKING_RATE_CAP", 1.0),
            max_gap_seconds=num("TRACKING_MAX_GAP_SECONDS", None),
            seek_tolerance_seconds=num("TRACKING_SEEK_TOLERANCE_SECONDS", 3),
            done_share=num("TRACKING_DONE_SHARE", 1.0),
            done_tolerance_seconds=num("TRACKING_DONE_TOLERANCE_SECONDS", 1),
            check_enabled=flag("TRACKING_CHECK_ENABLED", False),
            check_min_seconds=num("TRACKING_CHECK_MIN_SECONDS", 300),
            check_max_seconds=num("TRACKING_CHECK_MAX_SECONDS", 900),
            video_requires_visible=flag("TRACKING_VIDEO_REQUIRES_VISIBLE", False),
        )


@dataclass(frozen=True)
class Lesson:
    id: int | str
    kind: Kind
    duration_ms: int


@dataclass(frozen=True)
class Playback:
    """Per learner: the one player allowed to credit now."""
    session_id: str | None = None
    lesson_id: int | str | None = None
    epoch: int = 0


@dataclass(frozen=True)
class Progress:
    """Per learner and lesson."""
    furthest_ms: int = 0
    credited_ms: int = 0
    session_id: str | None = None   # the player whose baseline is below
    epoch: int | None = None        # the Playback epoch of that baseline
    seq: int = -1                   # last accepted sequence number in that epoch
    last_beat_at: datetime | None = None
    last_position_ms: int = 0
    playing: bool = False           # the player was playing (document: visible) at the baseline
    check_id: str | None = None     # a pending "are you still here?"
    next_check_ms: int | None = None  # credited time at which the next check is asked
    done: bool = False

    @property
    def check_pending(self) -> bool:
        return self.check_id is not None


@dataclass(frozen=True)
class Heartbeat:
    event: Event
    session_id: str
    seq: int
    position_ms: int = 0
    playing: bool = True
    visible: bool = True
    epoch: int | None = None        # from the `start` answer; None on `start`
    check_id: str | None = None     # on `here`


@dataclass(frozen=True)
class Outcome:
    progress: Progress
    playback: Playback
    credited_ms: int                # added by this heartbeat
    message: Message
    resume_at_ms: int | None = None
    just_done: bool = False         # done became true now: complete the lesson, once
    epoch: int | None = None        # what the player echoes from now on

    @property
    def done(self) -> bool:
        return self.progress.done

    def answer(self) -> dict[str, Any]:
        """The JSON body for the player (seconds as numbers)."""
        return {
            "message": self.message.value,
            "epoch": self.epoch,
            "credited": self.progress.credited_ms / 1000,
            "furthest": self.progress.furthest_ms / 1000,
            "done": self.progress.done,
            "resume_at": None if self.resume_at_ms is None else self.resume_at_ms / 1000,
            "check": self.progress.check_id if self.message is Message.STILL_HERE else None,
        }


# -- parsing -------------------------------------------------------------------------------
def parse_heartbeat(payload: Mapping[str, Any]) -> Heartbeat:
    """A Heartbeat from the player's JSON (see docs/online-learning.md), or InvalidHeartbeat."""
    if not isinstance(payload, Mapping):
        raise InvalidHeartbeat("payload must be an object")
    try:
        event = Event(payload.get("event"))
    except ValueError:
        raise InvalidHeartbeat("event must be one of " + ", ".join(e.value for e in Event)) from None
    session = payload.get("session")
    if not isinstance(session, str) or not 1 <= len(session) <= 64 or not session.isascii() \
            or not all(c.isalnum() or c == "-" for c in session):
        raise InvalidHeartbeat("session must be 1-64 letters, digits or dashes")
    seq = payload.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise InvalidHeartbeat("seq must be a non-negative integer")
    position = payload.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int | float) or not math.isfinite(position) \
            or not 0 <= position * 1000 <= MAX_POSITION_MS:
        raise InvalidHeartbeat("position must be seconds from 0")
    playing = payload.get("playing", event in (Event.START, Event.BEAT, Event.HERE))
    visible = payload.get("visible", True)
    if not isinstance(playing, bool) or not isinstance(visible, bool):
        raise InvalidHeartbeat("playing and visible must be true or false")
    epoch = payload.get("epoch")
    if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, int) or not 0 <= epoch <= MAX_SEQ):
        raise InvalidHeartbeat("epoch must be the integer the start answer gave")
    check = payload.get("check")
    if check is not None and (not isinstance(check, str) or len(check) > 64):
        raise InvalidHeartbeat("check must be the id the still-here answer gave")
    return Heartbeat(event=event, session_id=session, seq=seq, position_ms=int(round(position * 1000)),
                     playing=playing, visible=visible, epoch=None if event is Event.START else epoch,
                     check_id=check)


# -- the rules -----------------------------------------------------------------------------
def _counting(beat: Heartbeat, lesson: Lesson, rules: Rules) -> bool:
    """Whether the interval after this heartbeat can count."""
    if beat.event in (Event.PAUSE, Event.ENDED):
        return False
    if lesson.kind is Kind.DOCUMENT or rules.video_requires_visible:
        return beat.playing and beat.visible
    return beat.playing


def _draw_check(credited_ms: int, rules: Rules, rng: random.Random) -> int:
    return credited_ms + rng.randint(int(rules.check_min_seconds * 1000), int(rules.check_max_seconds * 1000))


def _new_check_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def _unchanged(progress: Progress, playback: Playback, message: Message, epoch: int | None) -> Outcome:
    return Outcome(progress=progress, playback=playback, credited_ms=0, message=message, epoch=epoch)


def _finish(before: Progress, after: Progress, playback: Playback, credited: int, message: Message,
            resume_at: int | None, lesson: Lesson, rules: Rules) -> Outcome:
    done = after.done or after.credited_ms >= rules.done_threshold_ms(lesson.duration_ms)
    after = replace(after, done=done)
    if message is Message.OK and lesson.kind is Kind.DOCUMENT and not after.playing:
        message = Message.HIDDEN
    return Outcome(progress=after, playback=playback, credited_ms=credited, message=message,
                   resume_at_ms=resume_at, just_done=done and not before.done, epoch=playback.epoch)


def _start(progress: Progress, playback: Playback, beat: Heartbeat, lesson: Lesson, rules: Rules,
           now: datetime, rng: random.Random) -> Outcome:
    if progress.session_id == beat.session_id and beat.seq <= progress.seq:
        return _unchanged(progress, playback, Message.STALE, None)
    epoch = playback.epoch + 1
    new_playback = Playback(session_id=beat.session_id, lesson_id=lesson.id, epoch=epoch)
    furthest = progress.furthest_ms
    position = min(beat.position_ms, lesson.duration_ms)
    refused = lesson.kind is Kind.VIDEO and position > furthest + rules.seek_tolerance_ms
    next_check = progress.next_check_ms
    if rules.check_enabled and next_check is None and not progress.done:
        next_check = _draw_check(progress.credited_ms, rules, rng)
    at = max(now, progress.last_beat_at) if progress.last_beat_at else now
    after = replace(progress, session_id=beat.session_id, epoch=epoch, seq=beat.seq, last_beat_at=at,
                    last_position_ms=furthest if refused else position,
                    playing=_counting(beat, lesson, rules), next_check_ms=next_check)
    if refused:
        message, resume = Message.SEEK_REFUSED, furthest
    elif rules.check_enabled and after.check_pending:
        message, resume = Message.STILL_HERE, None
    else:
        message, resume = Message.OK, None
    return _finish(progress, after, new_playback, 0, message, resume, lesson, rules)


def record_heartbeat(progress: Progress, playback: Playback, beat: Heartbeat, *, lesson: Lesson,
                     rules: Rules, now: datetime, rng: random.Random | None = None) -> Outcome:
    """Apply one heartbeat; the caller stores ``outcome.progress`` and ``outcome.playback``
    and answers ``outcome.answer()``. ``now`` is the server's time."""
    rng = rng or _SYSTEM_RANDOM
    if beat.event is Event.START:
        return _start(progress, playback, beat, lesson, rules, now, rng)

    # -- is this the player allowed to credit? ----------------------------------------------
    current = (playback.session_id == beat.session_id and playback.lesson_id == lesson.id
               and beat.epoch == playback.epoch and progress.epoch == playback.epoch
               and progress.session_id == beat.session_id)
    if not current:
        if playback.session_id is None or beat.epoch is None:
            message = Message.NOT_STARTED
        elif playback.session_id == beat.session_id and playback.lesson_id == lesson.id:
            message = Message.STALE if beat.epoch < playback.epoch else Message.NOT_STARTED
        else:
            message = Message.PAUSED_ELSEWHERE
        return _unchanged(progress, playback, message, beat.epoch)
    if beat.seq <= progress.seq:
        return _unchanged(progress, playback, Message.STALE, playback.epoch)

    # -- the interval since the baseline ---------------------------------------------------------
    last = progress.last_beat_at
    at = max(now, last) if last else now  # a server whose clock is behind never re-opens time
    elapsed = (at - last) // MS if last else 0
    continuous = progress.playing and last is not None and elapsed <= rules.max_gap_ms
    budget = math.floor(elapsed * rules.rate_cap) if continuous else 0
    furthest, credited = progress.furthest_ms, progress.credited_ms
    counting = _counting(beat, lesson, rules)
    base = replace(progress, seq=beat.seq, last_beat_at=at, playing=counting)

    pending = rules.check_enabled and progress.check_pending
    answered = False
    if beat.event is Event.HERE and pending:
        if beat.check_id != progress.check_id:
            return _finish(progress, base, playback, 0, Message.STILL_HERE, None, lesson, rules)
        # answered: counting resumes from now; the time the question waited is not credited
        pending, answered, budget = False, True, 0
        base = replace(base, check_id=None, next_check_ms=_draw_check(credited, rules, rng))

    if lesson.kind is Kind.VIDEO:
        position = min(beat.position_ms, lesson.duration_ms)
        if position > furthest + budget + rules.seek_tolerance_ms:
            after = replace(base, last_position_ms=furthest)
            message = Message.STILL_HERE if pending else Message.SEEK_REFUSED
            return _finish(progress, after, playback, 0, message, furthest, lesson, rules)
        gain = 0 if pending or answered else max(0, min(position - furthest, budget,
                                                         lesson.duration_ms - credited))
        after = replace(base, last_position_ms=position, furthest_ms=furthest + gain, credited_ms=credited + gain)
    else:
        gain = 0 if pending or answered else max(0, min(budget, lesson.duration_ms - credited))
        after = replace(base, credited_ms=credited + gain)

    if pending:
        return _finish(progress, after, playback, 0, Message.STILL_HERE, None, lesson, rules)
    message = Message.OK
    if (rules.check_enabled and not answered and after.next_check_ms is not None
            and after.credited_ms >= after.next_check_ms
            and after.credited_ms < rules.done_threshold_ms(lesson.duration_ms)):
        after = replace(after, check_id=_new_check_id(rng))
        message = Message.STILL_HERE
    return _finish(progress, after, playback, gain, message, None, lesson, rules)
