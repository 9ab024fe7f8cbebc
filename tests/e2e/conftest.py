"""Browser journeys: the app served on a real port, driven by Debian's headless Chromium.

Every page a journey visits is checked twice, with the site's real Content-Security-Policy
in force (no ``bypass_csp``):
- no CSP violation is reported (Chromium logs each one to the console);
- axe-core (vendored in tests/e2e/vendor/axe-core, MPL-2.0) finds no violation of impact
  serious or critical. axe is evaluated through the DevTools protocol, which the page's
  CSP does not govern, so no ``<script>`` tag has to be let in.
Each newly loaded document is audited before the journey acts on it again (the next
click, fill, goto, screenshot…) and when the test ends, so the check always sees a
whole page and never races the journey's next navigation.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

SHOTS = Path(__file__).parent / "screenshots"
# the session's one headless Chromium (``browser``) is a fixture of tests/conftest.py: every
# folder's browser tests share it, so one test process never starts Playwright twice


@contextmanager
def serving(make_app, **overrides):
    """A CSRF-enabled app (with ``overrides``) on 127.0.0.1:<free port>, same database as
    the test; ``server.url`` and ``server.app``."""
    app = make_app(WTF_CSRF_ENABLED=True, TESTING=False, SERVER_NAME=None, **overrides)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture()
def live_server(app_ctx, make_app):
    with serving(make_app) as server:
        yield server


AXE_JS = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
FAILING_IMPACTS = ("serious", "critical")
# page methods after which the document may have changed: audit what loaded before them
ACTIONS = ("goto", "click", "dblclick", "tap", "fill", "type", "press", "check", "uncheck", "set_checked",
           "select_option", "set_input_files", "go_back", "go_forward", "reload", "screenshot",
           "dispatch_event", "set_content")

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1, 3).join(" "))}));
}"""


def is_csp_report(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


class PageAudit:
    """Runs axe on each document the page loads and collects CSP reports (see above)."""

    def __init__(self, page):
        self.page = page
        self.dirty = False
        self.audited: list[str] = []
        self.csp_reports: list[str] = []
        self.enabled = True
        page.on("framenavigated", self._navigated)
        page.on("console", self._console)
        for name in ACTIONS:
            setattr(page, name, self._before(getattr(page, name)))

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.dirty = True

    def _console(self, msg):
        if msg.type == "error" and is_csp_report(msg.text):
            self.csp_reports.append(f"{self.page.url}: {msg.text}")

    def _before(self, method):
        def wrapped(*args, **kwargs):
            self.check()
            return method(*args, **kwargs)
        return wrapped

    def check(self):
        if self.csp_reports:
            reports, self.csp_reports = self.csp_reports, []
            raise AssertionError("Content-Security-Policy violations:\n" + "\n".join(reports))
        if not (self.dirty and self.enabled) or self.page.is_closed() or self.page.url.startswith("about:"):
            return
        from playwright.sync_api import Error

        for attempt in range(3):
            self.dirty = False
            self.page.wait_for_load_state("load")
            try:
                if self.page.evaluate("() => typeof window.axe") != "object":
                    self.page.evaluate(AXE_JS + "\n;0")
                violations = self.page.evaluate(AXE_RUN)
            except Error as exc:  # the page navigated by itself during the audit
                if "context was destroyed" not in str(exc) or attempt == 2:
                    raise
                continue
            break
        self.audited.append(self.page.url)
        bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if bad:
            raise AssertionError(f"axe: {len(bad)} serious/critical violation(s) on {self.page.url}:\n"
                                 + json.dumps(bad, ensure_ascii=False, indent=1))


def _audited_page(ctx):
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    pg.audit = PageAudit(pg)
    return pg


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pg = _audited_page(ctx)
    yield pg
    try:
        pg.audit.check()
    finally:
        ctx.close()


@pytest.fixture()
def phone_page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                              has_touch=True, device_scale_factor=2)
    pg = _audited_page(ctx)
    yield pg
    try:
        pg.audit.check()
    finally:
        ctx.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
