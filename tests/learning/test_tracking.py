"""The watching rules, one scenario at a time (properties are in test_tracking_properties.py)."""
from __future__ import annotations

import ast
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ntbase.learning import tracking
from ntbase.learning.tracking import (
    Event,
    Heartbeat,
    InvalidHeartbeat,
    Kind,
    Lesson,
    Message,
    Playback,
    Progress,
    Rules,
    parse_heartbeat,
    record_heartbeat,
)
from tests.learning.players import DOCUMENT, VIDEO, VIDEO_2, Learner, Player, at


# -- the module stays pure -------------------------------------------------------------------
def test_the_rules_import_neither_flask_nor_sqlalchemy():
    path = Path(tracking.__file__)
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"flask", "flask_babel", "flask_login", "sqlalchemy", "flask_sqlalchemy", "ntbase"}
    # loaded on its own (not through the ntbase package, whose __init__ builds the Flask app)
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('tracking_alone', {str(path)!r})\n"
            "mod = importlib.util.module_from_spec(spec); sys.modules['tracking_alone'] = mod\n"
            "spec.loader.exec_module(mod)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'flask', 'sqlalchemy', 'werkzeug', 'flask_babel'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


# -- honest watching -------------------------------------------------------------------------
def test_watching_a_video_end_to_end_credits_its_length_and_completes_once():
    learner = Learner()
    tab = Player(learner, VIDEO)
    outs = tab.watch(0, 60)
    assert all(o.message is Message.OK for o in outs)
    assert learner.credited(VIDEO) == 60 and learner.of(VIDEO).furthest_ms == 60_000
    assert [o.just_done for o in outs].count(True) == 1 and outs[-1].done
    after = tab.ended(61, 60)
    assert after.credited_ms == 0 and after.done and not after.just_done


def test_network_jitter_is_made_up_by_the_next_beat():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    short = tab.beat(9.7, 10)       # arrived early: 9.7 s of wall time, 10 s of video
    assert short.credited_ms == 9_700
    tab.beat(20, 20)                # 10.3 s later: the missing 0.3 s is credited now
    assert learner.credited(VIDEO) == 20


def test_the_last_second_is_tolerated():
    learner = Learner()
    tab = Player(learner, Lesson(id=9, kind=Kind.VIDEO, duration_ms=30_500))
    tab.watch(0, 29.6, step=9.8666)
    assert learner.of(tab.lesson).credited_ms < 30_500 and learner.of(tab.lesson).done


def test_done_at_a_configured_share():
    learner = Learner(Rules(done_share=0.5, done_tolerance_seconds=0))
    outs = Player(learner, VIDEO).watch(0, 30)
    assert outs[-1].done and outs[-1].just_done and not outs[-2].done


# -- faster than real time -------------------------------------------------------------------
def test_playing_faster_than_the_cap_credits_real_time_and_is_pulled_back():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    first = tab.beat(10, 12)        # 1.2×: 12 s of video in 10 s
    assert first.credited_ms == 10_000 and first.message is Message.OK
    second = tab.beat(20, 24)       # 4 s ahead of what could have been watched: beyond tolerance
    assert second.message is Message.SEEK_REFUSED and second.credited_ms == 0
    assert second.resume_at_ms == 10_000 == learner.of(VIDEO).furthest_ms


def test_a_higher_cap_allows_faster_playing():
    learner = Learner(Rules(rate_cap=1.5))
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    assert tab.beat(10, 15).credited_ms == 15_000
    assert tab.beat(20, 30).credited_ms == 15_000


def test_heartbeats_faster_than_real_time_credit_only_elapsed_time():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    outs = [tab.beat(0.1 * i, 10 * i) for i in range(1, 6)]  # 10 s of video every 0.1 s
    assert sum(o.credited_ms for o in outs) <= 500
    assert any(o.message is Message.SEEK_REFUSED for o in outs)


# -- seeking ---------------------------------------------------------------------------------
def test_a_forged_seek_ahead_is_refused_and_credits_nothing():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 20)
    forged = tab.beat(30, 55)
    assert forged.message is Message.SEEK_REFUSED and forged.credited_ms == 0
    assert forged.resume_at_ms == 20_000 and learner.of(VIDEO).furthest_ms == 20_000
    assert forged.answer()["resume_at"] == 20.0
    # the player jumped back: counting goes on from the furthest point
    assert tab.beat(40, 30).credited_ms == 10_000


def test_starting_beyond_the_furthest_point_is_refused():
    learner = Learner()
    tab = Player(learner, VIDEO)
    out = tab.start(0, 40)
    assert out.message is Message.SEEK_REFUSED and out.resume_at_ms == 0
    assert tab.beat(10, 50).message is Message.SEEK_REFUSED
    assert learner.credited(VIDEO) == 0


def test_seeking_back_is_allowed_and_watching_again_counts_nothing():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 30)
    back = tab.beat(31, 5)
    assert back.message is Message.OK and back.credited_ms == 0
    assert tab.beat(41, 15).credited_ms == 0           # rewatching
    crossing = [tab.beat(51, 25), tab.beat(61, 35)]   # passes the furthest point at 30
    assert [o.credited_ms for o in crossing] == [0, 5_000]
    assert learner.credited(VIDEO) == 35


def test_resuming_at_the_furthest_point_in_a_later_visit():
    learner = Learner()
    Player(learner, VIDEO, session="monday").watch(0, 30)
    tuesday = Player(learner, VIDEO, session="tuesday")
    outs = tuesday.watch(86_400, 86_430, from_position=30)
    assert [o.message for o in outs] == [Message.OK] * 4
    assert learner.credited(VIDEO) == 60 and outs[-1].just_done


# -- gaps and pauses -------------------------------------------------------------------------
def test_a_gap_longer_than_the_limit_credits_nothing():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 10)
    late = tab.beat(10 + 26, 10)   # max gap 2 × 10 + 5 = 25 s
    assert late.credited_ms == 0 and late.message is Message.OK
    assert tab.beat(46, 20).credited_ms == 10_000  # counting goes on from the late beat


def test_a_gap_does_not_let_the_position_run_ahead():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 10)
    late = tab.beat(70, 50)        # "I kept playing while the network was down"
    assert late.message is Message.SEEK_REFUSED and late.resume_at_ms == 10_000
    assert learner.credited(VIDEO) == 10


def test_paused_time_counts_nothing():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 10)
    assert tab.pause(15, 15).credited_ms == 5_000
    assert tab.beat(25, 15, playing=False).credited_ms == 0
    assert tab.start(100, 15).credited_ms == 0
    assert tab.beat(110, 25).credited_ms == 10_000


def test_a_clock_behind_never_reopens_time():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 20)
    behind = tab.beat(15, 21)      # another server, 5 s behind
    assert behind.credited_ms == 0
    assert learner.of(VIDEO).last_beat_at == at(20)
    assert tab.beat(30, 30).credited_ms == 10_000


# -- one player at a time --------------------------------------------------------------------
def test_a_second_tab_takes_over_and_the_first_is_paused():
    learner = Learner()
    first, second = Player(learner, VIDEO, "tab-a"), Player(learner, VIDEO, "tab-b")
    first.watch(0, 20)
    assert second.start(25, 20).message is Message.OK
    old = first.beat(30, 30)
    assert old.message is Message.PAUSED_ELSEWHERE and old.credited_ms == 0
    assert second.beat(35, 30).credited_ms == 10_000
    # only an explicit start takes back
    assert first.start(40, 30).message is Message.OK
    assert second.beat(45, 40).message is Message.PAUSED_ELSEWHERE
    assert first.beat(50, 40).credited_ms == 10_000
    assert learner.credited(VIDEO) == 40


def test_one_playing_lesson_per_learner():
    learner = Learner()
    lesson1, lesson2 = Player(learner, VIDEO, "tab-a"), Player(learner, VIDEO_2, "tab-b")
    lesson1.watch(0, 10)
    lesson2.start(12, 0)
    assert lesson1.beat(20, 20).message is Message.PAUSED_ELSEWHERE
    assert lesson2.beat(22, 10).credited_ms == 10_000
    assert learner.credited(VIDEO) == 10 and learner.credited(VIDEO_2) == 10


def test_the_same_session_id_on_another_lesson_is_still_one_player():
    learner = Learner()
    a = Player(learner, VIDEO, "same")
    a.watch(0, 10)
    b = Player(learner, VIDEO_2, "same", seq=a.seq)
    b.start(12, 0)
    assert a.beat(20, 20).message is Message.PAUSED_ELSEWHERE


def test_a_beat_without_start_is_told_to_start():
    learner = Learner()
    out = Player(learner, VIDEO).beat(5, 5)
    assert out.message is Message.NOT_STARTED and out.credited_ms == 0


# -- replays ---------------------------------------------------------------------------------
def test_replayed_and_out_of_order_heartbeats_credit_nothing():
    learner = Learner()
    tab = Player(learner, VIDEO)
    tab.watch(0, 20)
    last = learner.log[-1].beat
    assert learner.send(VIDEO, last, at(30)).message is Message.STALE
    older = replace(last, seq=last.seq - 1, position_ms=30_000)
    assert learner.send(VIDEO, older, at(30)).message is Message.STALE
    assert learner.credited(VIDEO) == 20


def test_a_replayed_start_cannot_revive_its_heartbeats():
    learner = Learner()
    old = Player(learner, VIDEO, "old-tab")
    old.watch(0, 20)
    Player(learner, VIDEO, "new-tab").watch(30, 50, from_position=20)
    credited = learner.of(VIDEO).credited_ms
    for sent in list(learner.log[:3]):       # the old tab's start and beats, sent again
        out = learner.send(VIDEO, sent.beat, at(60 + sent.beat.seq))
        assert out.credited_ms == 0
    assert learner.of(VIDEO).credited_ms == credited


# -- are you still here? ---------------------------------------------------------------------
def test_still_here_stops_counting_until_answered():
    learner = Learner(Rules(check_enabled=True, check_min_seconds=15, check_max_seconds=15))
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    assert tab.beat(10, 10).message is Message.OK
    asked = tab.beat(20, 20)
    assert asked.message is Message.STILL_HERE and asked.credited_ms == 10_000
    check = asked.answer()["check"]
    assert check and learner.of(VIDEO).check_pending
    waiting = tab.beat(30, 20, playing=False)
    assert waiting.message is Message.STILL_HERE and waiting.credited_ms == 0
    assert tab.here(40, 20, check="wrong").message is Message.STILL_HERE
    answered = tab.here(50, 20, check=check)
    assert answered.message is Message.OK and answered.credited_ms == 0
    assert not learner.of(VIDEO).check_pending
    assert tab.beat(60, 30).credited_ms == 10_000   # counting resumes from the answer
    assert learner.credited(VIDEO) == 30


def test_the_check_comes_at_a_random_moment_drawn_from_the_injected_rng():
    rules = Rules(check_enabled=True, check_min_seconds=12, check_max_seconds=40)
    moments = set()
    for seed in range(8):
        learner = Learner(rules, seed=seed)
        tab = Player(learner, VIDEO)
        tab.start(0, 0)
        for t in range(5, 60, 5):
            if tab.beat(t, t).message is Message.STILL_HERE:
                moments.add(t)
                break
    assert len(moments) > 1 and all(12 <= m <= 45 for m in moments)


def test_a_new_tab_cannot_skip_a_pending_check():
    learner = Learner(Rules(check_enabled=True, check_min_seconds=5, check_max_seconds=5))
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    assert tab.beat(10, 10).message is Message.STILL_HERE
    other = Player(learner, VIDEO, "tab-b")
    assert other.start(12, 10).message is Message.STILL_HERE
    assert other.beat(22, 20).credited_ms == 0


# -- documents -------------------------------------------------------------------------------
def test_a_document_counts_while_its_page_is_in_front():
    learner = Learner()
    doc = Player(learner, DOCUMENT)
    doc.start(0)
    assert doc.beat(10).credited_ms == 10_000
    hidden = doc.beat(15, visible=False)     # sent when the page went to the background
    assert hidden.credited_ms == 5_000 and hidden.message is Message.HIDDEN
    assert doc.beat(25, visible=False).credited_ms == 0
    assert doc.beat(40, visible=True).credited_ms == 0   # it was hidden until now
    outs = [doc.beat(50), doc.beat(55), doc.beat(60)]
    assert [o.credited_ms for o in outs] == [10_000, 5_000, 0]
    assert learner.credited(DOCUMENT) == 30 and outs[1].just_done


def test_a_document_open_in_a_background_tab_without_beats_counts_nothing():
    learner = Learner()
    doc = Player(learner, DOCUMENT)
    doc.start(0)
    assert doc.beat(600).credited_ms == 0


def test_a_video_may_require_visibility():
    learner = Learner(Rules(video_requires_visible=True))
    tab = Player(learner, VIDEO)
    tab.start(0, 0)
    tab.beat(10, 10, visible=False)
    assert tab.beat(20, 20, visible=False).credited_ms == 0


# -- parsing and config ----------------------------------------------------------------------
def test_parse_heartbeat():
    beat = parse_heartbeat({"event": "beat", "session": "3b241101-e2bb-4255-8caf-4136c566a962", "seq": 4,
                            "epoch": 2, "position": 12.3456, "playing": True, "visible": False})
    assert beat == Heartbeat(event=Event.BEAT, session_id="3b241101-e2bb-4255-8caf-4136c566a962", seq=4,
                             position_ms=12_346, playing=True, visible=False, epoch=2)
    start = parse_heartbeat({"event": "start", "session": "s1", "seq": 0, "epoch": 99})
    assert start.epoch is None and start.playing
    assert parse_heartbeat({"event": "pause", "session": "s1", "seq": 1}).playing is False


@pytest.mark.parametrize("payload", [
    [], {"event": "jump", "session": "s", "seq": 1},
    {"event": "beat", "session": "", "seq": 1},
    {"event": "beat", "session": "x" * 65, "seq": 1},
    {"event": "beat", "session": "a b", "seq": 1},
    {"event": "beat", "session": "s", "seq": True},
    {"event": "beat", "session": "s", "seq": -1},
    {"event": "beat", "session": "s", "seq": 1.5},
    {"event": "beat", "session": "s", "seq": 1, "position": math.nan},
    {"event": "beat", "session": "s", "seq": 1, "position": -1},
    {"event": "beat", "session": "s", "seq": 1, "position": "10"},
    {"event": "beat", "session": "s", "seq": 1, "position": 10 ** 9},
    {"event": "beat", "session": "s", "seq": 1, "playing": "yes"},
    {"event": "beat", "session": "s", "seq": 1, "epoch": "2"},
    {"event": "here", "session": "s", "seq": 1, "check": 5},
])
def test_parse_heartbeat_refuses_what_is_not_a_heartbeat(payload):
    with pytest.raises(InvalidHeartbeat):
        parse_heartbeat(payload)


def test_rules_from_config():
    rules = Rules.from_config({"TRACKING_RATE_CAP": "1.25", "TRACKING_DONE_SHARE": 0.9,
                               "TRACKING_CHECK_ENABLED": "true", "TRACKING_HEARTBEAT_SECONDS": "15"})
    assert (rules.rate_cap, rules.done_share, rules.check_enabled) == (1.25, 0.9, True)
    assert rules.max_gap_ms == 35_000
    assert Rules.from_config({}) == Rules()
    with pytest.raises(ValueError):
        Rules(done_share=0)
    with pytest.raises(ValueError):
        Rules(rate_cap=0)


def test_the_answer_is_plain_json():
    out = record_heartbeat(Progress(), Playback(), Heartbeat(Event.START, "s", 1), lesson=VIDEO,
                           rules=Rules(), now=at(0))
    assert out.answer() == {"message": "ok", "epoch": 1, "credited": 0.0, "furthest": 0.0, "done": False,
                            "resume_at": None, "check": None}
