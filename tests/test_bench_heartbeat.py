"""The heartbeat row's plumbing (issue #12): the generator's online course, the lines the
runner hands wrk (one learner per connection, cookie and CSRF header each), the in-process
statement count, and merging a subset run into an earlier report. Nothing is served or timed."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from bench import generate
from bench.endpoints import BARE, ENDPOINTS, FLOOR, Context, parse_line, tsv, with_ratios


def fig(rps, p95=2.0, **kw):
    return dict({"rps": rps, "p50_ms": 1.0, "p95_ms": p95, "p99_ms": 3.0, "requests": 100, "errors": 0}, **kw)


def test_lines_carry_extra_headers_both_ways():
    line = tsv("POST", "/learn/1/lessons/2/beat", "session=abc", "application/json", '{"a": 1}',
               headers={"X-CSRFToken": "tok.en-_"})
    assert line.split("\t")[5] == "X-CSRFToken: tok.en-_"
    assert parse_line(line) == ("POST", "/learn/1/lessons/2/beat", "session=abc", "application/json", '{"a": 1}',
                                {"X-CSRFToken": "tok.en-_"})
    assert parse_line(tsv("GET", "/floor"))[5] == {}


def test_heartbeat_row_is_declared_with_the_issue_target_and_its_own_script():
    ep = ENDPOINTS["heartbeat"]
    t = ep.target
    assert (t.issue, t.size, t.clients, t.min_bare, t.max_p95_ms) == (12, "M", 32, 0.5, 30)
    assert ep.per_connection and ep.watch_locks and ep.expect == '"message":"ok"'
    assert (Path(generate.__file__).parent / "lua" / ep.script).is_file()
    assert all(generate.ONLINE_LEARNERS[s] >= 64 for s in generate.SIZES)  # one learner per connection


def test_generator_online_course_rows(monkeypatch):
    monkeypatch.setattr(generate, "store_sample_video", lambda app: ("ab/cd/" + "0" * 32, "video/mp4", 64, "f" * 64))
    at = datetime(2026, 6, 1, 9, 0)
    rows = generate.online_course(301, at, [11, 12, 13], 5000, app=None)
    assert rows["course"]["mode"] == "online" and rows["course"]["status"] == "published"
    assert rows["course"]["seats_taken"] == 3 <= rows["course"]["capacity"]
    assert rows["lesson"]["duration_seconds"] == generate.ONLINE_LESSON_SECONDS >= 3600
    assert rows["lesson"]["course_id"] == rows["chapter"]["course_id"] == 301
    assert [(e["id"], e["learner_id"], e["state"]) for e in rows["enrollments"]] == [
        (5000, 11, "confirmed"), (5001, 12, "confirmed"), (5002, 13, "confirmed")]


@pytest.fixture
def online(app_ctx, make_app, monkeypatch):
    """The generator's online course written into the test database, two learners enrolled,
    and an app with CSRF on (as the benchmarked production app)."""
    from ntbase.kernel.db import db
    from ntbase.kernel.db import now as db_now
    from tests.factories import make_base, make_learner

    monkeypatch.setattr(generate, "store_sample_video", lambda app: ("ab/cd/" + "1" * 32, "video/mp4", 64, "e" * 64))
    make_base()
    learners = [make_learner(real_name=n) for n in ("张一", "李二")]
    db.session.commit()
    rows = generate.online_course(1, db_now(), [u.id for u in learners], 1, app=None)
    w = generate.Writer(db.engine, db.metadata)
    w.write("course", [rows["course"]])
    w.write("enrollment", rows["enrollments"])
    w.write("learning_chapter", [rows["chapter"]])
    w.write("lesson", [rows["lesson"]])
    sample = {"online_lesson_id": rows["lesson"]["id"],
              "online_enrollments": [(e["learner_id"], e["id"]) for e in rows["enrollments"]]}
    return make_app(WTF_CSRF_ENABLED=True), sample


def test_each_line_is_its_own_logged_in_learner_with_a_working_csrf_header(online):
    app, sample = online
    with app.app_context():  # as bench.run builds them: under an app context (the g-reuse trap)
        lines = ENDPOINTS["heartbeat"].build(Context(app, sample))
    assert len(lines) == 2
    assert len({parse_line(x)[2] for x in lines}) == 2 and len({parse_line(x)[5]["X-CSRFToken"] for x in lines}) == 2
    for i, line in enumerate(lines):
        method, path, cookie, ctype, body, headers = parse_line(line)
        client = app.test_client()
        name, value = cookie.split("=", 1)
        client.set_cookie(name, value)
        headers = dict(headers, **{"Content-Type": ctype})
        with app.app_context():
            r = client.open(path, method=method, headers=headers, data=body)
        assert r.status_code == 200, r.get_data(as_text=True)
        assert '"message":"ok"' in r.get_data(as_text=True)  # what bench.run's check_status expects
        beat = json.dumps({"event": "beat", "session": f"bench-check-{i}", "seq": 2, "epoch": r.get_json()["epoch"],
                           "position": 0.5, "playing": True, "visible": True})
        with app.app_context():
            r = client.post(path, headers=headers, data=beat)
        assert r.status_code == 200 and r.get_json()["message"] == "ok"
        with app.app_context():  # without the header: refused, so the header is what lets it in
            assert client.post(path, headers={"Content-Type": ctype}, data=beat).status_code == 400


def test_statements_per_beat_are_counted_in_process(online):
    app, sample = online
    with app.app_context():
        lines = ENDPOINTS["heartbeat"].build(Context(app, sample))
    n = ENDPOINTS["heartbeat"].statements(app, lines)
    assert n == 2, "a beat after the first: one read that locks, one UPDATE"


def test_merge_puts_later_rows_into_an_earlier_report_with_their_own_floors():
    from bench.run import markdown, merge

    counts = dict(courses=1, learners=1, enrollments=1, certificates=1, ledger=1)

    def size(rows):
        bare, floor = rows[BARE]["32"], rows[FLOOR]["32"]
        return {"counts": counts, "generate_seconds": 1, "sql_statements_per_request": {ep: 1 for ep in rows},
                "endpoints": {ep: {c: with_ratios(r, bare, floor) for c, r in by.items()} for ep, by in rows.items()}}

    old = {"name": "latest", "machine": "m", "duration": 5, "pg": "15", "started": "then",
           "sizes": {"M": size({BARE: {"32": fig(4000)}, FLOOR: {"32": fig(2000)}, "course_page": {"32": fig(1000)}})}}
    hb = fig(900, p95=25, non200=0, starts=32, beats=4000, messages={"ok": 4000},
             lock_waits={"samples": 100, "samples_waiting": 0, "max_waiting": 0, "on": {}})
    new = {"name": "heartbeat", "duration": 5, "started": "now",
           "sizes": {"M": size({BARE: {"32": fig(3000)}, FLOOR: {"32": fig(1500)}, "heartbeat": {"32": hb}})}}
    out = merge(old, new)
    m = out["sizes"]["M"]
    assert m["endpoints"][BARE]["32"]["rps"] == 4000  # the earlier floors stay
    assert m["endpoints"]["course_page"]["32"]["rps"] == 1000
    assert m["endpoints"]["heartbeat"]["32"]["ratio_to_bare"] == 0.3  # to its own run's floor
    assert m["later_rows"][0]["rows"] == ["heartbeat"] and m["later_rows"][0]["floors_rps"][BARE] == {"32": 3000}
    assert "heartbeat" not in old["sizes"]["M"]["endpoints"]  # the earlier report is not changed
    assert merge(out, new)["sizes"]["M"]["later_rows"] == m["later_rows"]  # a rerun replaces its note
    md = markdown(out)
    assert "| heartbeat | 32 | 900 | 0.3 |" in md
    assert "from a later run (`heartbeat`, now" in md
    assert "answers 200 by message: ok 4,000; not 200: 0" in md
    assert "0 of 100 samples" in md
