"""Properties of the watching rules over random sessions: honest and forged positions, several
tabs and lessons, pauses, gaps, still-here checks and replays (hypothesis)."""
from __future__ import annotations

import math
import random
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntbase.learning.tracking import MS, Event, Heartbeat, Kind, Message, Rules
from tests.learning.players import DOCUMENT, T0, VIDEO, VIDEO_2, Learner

LESSONS = [VIDEO, VIDEO_2, DOCUMENT]
TABS = ["tab-a", "tab-b", "phone"]

action = st.fixed_dictionaries({
    "dt": st.one_of(st.sampled_from([0, 100, 5_000, 9_700, 10_000, 10_000, 10_000, 10_300]),
                    st.integers(0, 40_000)),
    # mostly one tab on one lesson, so that crediting chains are long; others interleave
    "tab": st.sampled_from([0] * 6 + [1] * 2 + [2]),
    "lesson": st.sampled_from([0] * 6 + [1] * 2 + [2] * 2),
    "event": st.sampled_from(["start"] + ["beat"] * 8 + ["pause", "ended", "here", "replay"]),
    # honest: the tab's own position moved at `speed`; else a forged absolute position
    "speed": st.sampled_from([1] * 6 + [0, 1.5, 3, None]),
    "forged": st.integers(0, 70_000),
    "playing": st.sampled_from([True] * 5 + [False]),
    "visible": st.sampled_from([True, True, True, False]),
    "right_check": st.booleans(),
    "obeys": st.sampled_from([True] * 4 + [False]),
})

# one tab watching one lesson, now and then disturbed: long crediting chains, done lessons
steady = st.fixed_dictionaries({
    "dt": st.sampled_from([10_000] * 8 + [9_000, 11_000, 30_000, 0]),
    "tab": st.sampled_from([0] * 20 + [1]),
    "lesson": st.sampled_from([0] * 20 + [2]),
    "event": st.sampled_from(["beat"] * 20 + ["start", "pause", "here", "replay"]),
    "speed": st.sampled_from([1] * 20 + [2, None]),
    "forged": st.integers(0, 70_000),
    "playing": st.sampled_from([True] * 20 + [False]),
    "visible": st.sampled_from([True] * 20 + [False]),
    "right_check": st.sampled_from([True] * 4 + [False]),
    "obeys": st.sampled_from([True] * 4 + [False]),
})

rules_st = st.builds(
    Rules,
    rate_cap=st.sampled_from([0.5, 1.0, 1.25, 2.0]),
    done_share=st.sampled_from([0.5, 0.9, 1.0]),
    check_enabled=st.booleans(),
    check_min_seconds=st.just(5),
    check_max_seconds=st.sampled_from([5, 20]),
    video_requires_visible=st.booleans(),
)


class Tab:
    def __init__(self, name):
        self.name, self.seq, self.epoch, self.position, self.check = name, 0, None, 0, None
        self.paused = self.told_to_stop = True


def run(rules: Rules, actions: list[dict], seed: int) -> tuple[Learner, list]:
    """Play the actions; return the learner and [(lesson, beat, now, before, outcome)] in order."""
    learner = Learner(rules, seed)
    tabs = {(n, lesson.id): Tab(n) for n in TABS for lesson in LESSONS}
    now = T0
    rng = random.Random(seed)
    for a in actions:
        now += timedelta(milliseconds=a["dt"])
        lesson = LESSONS[a["lesson"]]
        if a["event"] == "replay":
            if learner.log:
                old = rng.choice(learner.log)
                learner.send(old.lesson, old.beat, now)
            continue
        tab = tabs[(TABS[a["tab"]], lesson.id)]
        tab.seq += 1
        # a real player starts before it beats, and after "paused elsewhere" it sends nothing
        # until the learner presses play again; a forged one may beat anyway (1 in 5)
        event = Event.START if tab.told_to_stop and a["obeys"] else Event(a["event"])
        if a["speed"] is None:
            tab.position = a["forged"]
        elif event is Event.START:
            tab.position = learner.of(lesson).furthest_ms  # the page resumes where the learner stopped
        elif not tab.paused:
            tab.position += int(a["dt"] * a["speed"])
        beat = Heartbeat(event=event, session_id=tab.name, seq=tab.seq, position_ms=tab.position,
                         playing=a["playing"] and event not in (Event.PAUSE, Event.ENDED),
                         visible=a["visible"], epoch=None if event is Event.START else tab.epoch,
                         check_id=tab.check if a["right_check"] else "0" * 16)
        out = learner.send(lesson, beat, now)
        if event is Event.START and out.message is not Message.STALE:
            tab.epoch = out.epoch
        if out.message is Message.STILL_HERE:
            tab.check = out.answer()["check"]
        if out.resume_at_ms is not None:
            tab.position = out.resume_at_ms
        tab.told_to_stop = out.message in (Message.PAUSED_ELSEWHERE, Message.NOT_STARTED)
        tab.paused = tab.told_to_stop or out.message is Message.STILL_HERE or not beat.playing
    return learner, learner.log


common = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
sessions = st.one_of(st.lists(action, min_size=1, max_size=60), st.lists(steady, min_size=1, max_size=60))
seeds = st.integers(0, 2 ** 16)


@common
@given(rules_st, sessions, seeds)
def test_credit_never_exceeds_elapsed_server_time_times_the_cap(rules, actions, seed):
    _, log = run(rules, actions, seed)
    for sent in log:
        gained = sent.outcome.credited_ms
        assert gained >= 0
        if gained:
            elapsed = (sent.now - sent.before.last_beat_at) // MS
            assert gained <= math.floor(elapsed * rules.rate_cap)
            assert elapsed <= rules.max_gap_ms
    total = sum(s.outcome.credited_ms for s in log)
    span = (log[-1].now - T0) // MS if log else 0
    assert total <= span * rules.rate_cap


@common
@given(rules_st, sessions, seeds)
def test_credit_never_exceeds_the_duration(rules, actions, seed):
    learner, log = run(rules, actions, seed)
    for lesson in LESSONS:
        p = learner.of(lesson)
        assert 0 <= p.credited_ms <= lesson.duration_ms and p.furthest_ms <= lesson.duration_ms
        assert sum(s.outcome.credited_ms for s in log if s.lesson is lesson) == p.credited_ms
        if p.done:
            assert p.credited_ms >= rules.done_threshold_ms(lesson.duration_ms)
        assert sum(s.outcome.just_done for s in log if s.lesson is lesson) == (1 if p.done else 0)


@common
@given(rules_st, sessions, seeds, st.data())
def test_replaying_any_prefix_credits_nothing_more(rules, actions, seed, data):
    learner, log = run(rules, actions, seed)
    k = data.draw(st.integers(0, len(log)))
    replay = [(s.lesson, s.beat) for s in log[:k]]
    now = log[-1].now if log else T0
    gaps = data.draw(st.lists(st.integers(0, 20_000), min_size=len(replay), max_size=len(replay)))
    for (lesson, beat), gap in zip(replay, gaps, strict=True):
        now += timedelta(milliseconds=gap)
        out = learner.send(lesson, beat, now)
        assert out.credited_ms == 0, (beat, out)


@common
@given(rules_st, sessions, seeds)
def test_a_forged_seek_never_moves_furthest_beyond_what_was_allowed(rules, actions, seed):
    _, log = run(rules, actions, seed)
    for sent in log:
        if sent.lesson.kind is not Kind.VIDEO:
            continue
        before, after = sent.before, sent.outcome.progress
        moved = after.furthest_ms - before.furthest_ms
        assert moved >= 0
        if moved:
            elapsed = (sent.now - before.last_beat_at) // MS
            assert moved <= math.floor(elapsed * rules.rate_cap)   # no faster than the cap
            assert after.furthest_ms <= sent.beat.position_ms        # never past the player
        allowed = before.furthest_ms + rules.seek_tolerance_ms + (
            math.floor(((sent.now - before.last_beat_at) // MS) * rules.rate_cap) if before.last_beat_at else 0)
        position = min(sent.beat.position_ms, sent.lesson.duration_ms)  # a position past the end is the end
        if position > allowed and sent.beat.event is not Event.START:
            assert moved == 0 and sent.outcome.credited_ms == 0


@common
@given(rules_st, sessions, seeds)
def test_two_players_never_credit_the_same_wall_clock_interval(rules, actions, seed):
    _, log = run(rules, actions, seed)
    intervals = sorted((s.before.last_beat_at, s.now, s.beat.session_id, s.lesson.id)
                       for s in log if s.outcome.credited_ms)
    for (_, end, *_), (start, _, *_) in zip(intervals, intervals[1:], strict=False):
        assert end <= start


@common
@given(sessions, seeds)
def test_a_paused_elsewhere_or_stale_answer_never_changes_progress(actions, seed):
    _, log = run(Rules(check_enabled=True, check_min_seconds=5, check_max_seconds=20), actions, seed)
    for sent in log:
        if sent.outcome.message in (Message.PAUSED_ELSEWHERE, Message.STALE, Message.NOT_STARTED):
            assert sent.outcome.progress == sent.before and sent.outcome.credited_ms == 0


def test_the_heartbeat_rule_is_deterministic_for_a_given_rng():
    actions = [{"dt": 10_000 * (i > 0), "tab": 0, "lesson": 0, "event": "start" if i == 0 else "beat",
                "speed": 1, "forged": 0, "playing": True, "visible": True, "right_check": True, "obeys": True} for i in range(8)]
    rules = Rules(check_enabled=True, check_min_seconds=5, check_max_seconds=60)
    a = [s.outcome for s in run(rules, actions, 7)[1]]
    b = [s.outcome for s in run(rules, actions, 7)[1]]
    assert a == b and any(o.message is Message.STILL_HERE for o in a)
