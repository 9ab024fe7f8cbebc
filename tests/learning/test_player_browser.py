"""static/js/player.js with the vendored Plyr in headless Chromium, against a small test app:
signed local media URLs (the media blueprint, Range requests from a real <video>), a
heartbeat endpoint that applies ntbase.learning.tracking, and a strict CSP on the page.

The lead's real page and endpoint come later; this pins the player's side of the protocol.
"""
from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask, Response, abort, request
from werkzeug.serving import make_server

from ntbase.learning.tracking import (
    Kind,
    Lesson,
    Message,
    Playback,
    Progress,
    Rules,
    parse_heartbeat,
    record_heartbeat,
)
from ntbase.media.factory import get_storage
from ntbase.media.samples import make_webm

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CSRF = "csrf-token-for-the-test"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; frame-ancestors 'none'; base-uri 'none'")
TEXTS = {Message.SEEK_REFUSED: "SERVER: jumped back", Message.PAUSED_ELSEWHERE: "SERVER: paused elsewhere",
         Message.STILL_HERE: "SERVER: still here?"}
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>player</title>
<meta name="csrf-token" content="{csrf}">
<link rel="stylesheet" href="/static/vendor/plyr/plyr.css">
<script src="/static/vendor/plyr/plyr.min.js" defer></script>
<script src="/static/js/player.js" defer></script>
</head><body>
<div data-lesson-player data-heartbeat-url="/heartbeat" data-kind="video" data-interval="1"
     data-start-position="{start}" data-max-rate="1" data-msg-error="ERROR">
  <video data-player-media playsinline preload="auto" muted controls>
    <source src="{src}" type="video/webm"></video>
  <p data-player-message role="status" hidden></p>
  <button type="button" data-player-confirm hidden>still here</button>
</div></body></html>"""


class LessonServer:
    """One learner, one 10 s lesson; state in memory, as the lead's tables will hold it."""

    def __init__(self, media_root: Path, video: Path, rules: Rules):
        self.rules = rules
        self.lesson = Lesson(id=1, kind=Kind.VIDEO, duration_ms=10_000)
        self.progress, self.playback = Progress(), Playback()
        self.log: list[tuple[dict, dict]] = []
        self.lock = threading.Lock()
        app = Flask(__name__, static_folder=str(ROOT / "static"))
        app.config.update(SECRET_KEY="s" * 40, MEDIA_ROOT=str(media_root), MEDIA_STORAGE="local")
        from ntbase.media.serving import bp

        app.register_blueprint(bp)
        with app.app_context(), open(video, "rb") as fh:
            self.key = get_storage(app).put(fh, content_type="video/webm").key

        @app.get("/player")
        def player():
            src = get_storage(app).url(self.key, expires_in=600, content_type="video/webm")
            html = PAGE.format(csrf=CSRF, start=self.progress.furthest_ms / 1000, src=src)
            return Response(html, headers={"Content-Security-Policy": CSP})

        @app.post("/heartbeat")
        def heartbeat():
            if request.headers.get("X-CSRFToken") != CSRF:
                abort(400)
            payload = request.get_json()
            with self.lock:
                out = record_heartbeat(self.progress, self.playback, parse_heartbeat(payload), lesson=self.lesson,
                                       rules=self.rules, now=datetime.now())
                self.progress, self.playback = out.progress, out.playback
                answer = out.answer() | {"text": TEXTS.get(out.message, "")}
                self.log.append((payload, answer))
            return answer

        self.app = app

    def events(self, message: str | None = None) -> list[tuple[dict, dict]]:
        with self.lock:
            return [(p, a) for p, a in self.log if message is None or a["message"] == message]


@pytest.fixture(scope="module")
def sample_video(tmp_path_factory):
    return make_webm(tmp_path_factory.mktemp("video") / "lesson.webm", seconds=10, size="160x90")


def serve(server: LessonServer):
    http = make_server("127.0.0.1", 0, server.app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    return http, thread, f"http://127.0.0.1:{http.server_port}"


@pytest.fixture()
def lesson_site(tmp_path, sample_video, request):
    rules = getattr(request, "param", Rules(heartbeat_seconds=1, seek_tolerance_seconds=1))
    server = LessonServer(tmp_path / "media", sample_video, rules)
    http, thread, url = serve(server)
    server.url = url
    yield server
    http.shutdown()
    thread.join(5)


@pytest.fixture()
def context(browser):  # noqa: F811
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.add_init_script("""
        window.__csp = []; window.__answers = [];
        document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
        document.addEventListener('lesson:answer', e => window.__answers.push(e.detail));
    """)
    yield ctx
    ctx.close()


def open_player(context, site: LessonServer):
    page = context.new_page()
    page.set_default_timeout(20_000)
    hosts = []
    page.on("request", lambda r: hosts.append(r.url))
    page.goto(site.url + "/player")
    page.wait_for_selector(".plyr")            # Plyr took over the <video>
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    return page, hosts


def wait_until(page, condition, attempts: int = 100) -> None:
    """Poll a condition on the server side while the page runs (bounded, not timed)."""
    for _ in range(attempts):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the server never saw it")


def play(page):
    page.click("button[data-plyr='play']")
    page.wait_for_function("() => !document.querySelector('video').paused")


def test_the_player_reports_watching_and_is_sent_back_from_a_forged_seek(context, lesson_site):
    page, hosts = open_player(context, lesson_site)
    play(page)
    page.wait_for_function("() => window.__answers.some(a => a.credited > 0)")
    first = lesson_site.events()[0][0]
    assert first["event"] == "start" and len(first["session"]) == 36 and "epoch" not in first

    # a forged seek the page's own guard does not see: the server refuses it and the page obeys
    page.evaluate("""() => { const p = document.querySelector('[data-lesson-player]').lessonPlayer;
                             p.furthest = 100; document.querySelector('video').currentTime = 9; }""")
    page.wait_for_function("() => window.__answers.some(a => a.message === 'seek_refused')")
    page.wait_for_function("() => document.querySelector('video').currentTime < 8")
    message = page.locator("[data-player-message]")
    assert message.is_visible() and message.inner_text() == TEXTS[Message.SEEK_REFUSED]
    refused = lesson_site.events("seek_refused")[0][1]
    assert refused["resume_at"] < 8

    # watched to the end at real time: done
    page.wait_for_function("() => window.__answers.some(a => a.done)", timeout=40_000)
    page.wait_for_function("() => document.querySelector('video').ended")
    wait_until(page, lambda: any(p["event"] == "ended" for p, _ in lesson_site.events()))
    assert lesson_site.progress.done and lesson_site.progress.credited_ms >= 9_000
    beats = [p for p, _ in lesson_site.events()]
    assert [b["seq"] for b in beats] == sorted(b["seq"] for b in beats)
    assert {b["event"] for b in beats} >= {"start", "beat", "ended"}
    assert all(h.startswith(lesson_site.url) for h in hosts), [h for h in hosts if not h.startswith(lesson_site.url)]
    assert page.evaluate("window.__csp") == []
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/media/" in name for name in loaded) and any("plyr.svg" in name for name in loaded)


def test_a_second_tab_pauses_the_first(context, lesson_site):
    first, _ = open_player(context, lesson_site)
    play(first)
    first.wait_for_function("() => window.__answers.some(a => a.message === 'ok' && a.epoch)")
    second, _ = open_player(context, lesson_site)
    play(second)
    first.wait_for_function("() => document.querySelector('video').paused")
    message = first.locator("[data-player-message]")
    assert message.inner_text() == TEXTS[Message.PAUSED_ELSEWHERE]
    assert not second.evaluate("document.querySelector('video').paused")
    starts = [p for p, _ in lesson_site.events() if p["event"] == "start"]
    assert lesson_site.playback.session_id == starts[-1]["session"] != starts[0]["session"]


@pytest.mark.parametrize("lesson_site", [Rules(heartbeat_seconds=1, seek_tolerance_seconds=1, check_enabled=True,
                                                check_min_seconds=1, check_max_seconds=1)], indirect=True)
def test_still_here_pauses_until_confirmed(context, lesson_site):
    page, _ = open_player(context, lesson_site)
    play(page)
    page.wait_for_selector("[data-player-confirm]:not([hidden])")
    page.wait_for_function("() => document.querySelector('video').paused")
    assert page.locator("[data-player-message]").inner_text() == TEXTS[Message.STILL_HERE]
    assert lesson_site.progress.check_pending
    page.click("[data-player-confirm]")
    page.wait_for_function("() => !document.querySelector('video').paused")
    page.wait_for_selector("[data-player-confirm][hidden]", state="attached")
    answered = [p for p, _ in lesson_site.events() if p["event"] == "here"]
    assert answered and answered[0]["check"]
