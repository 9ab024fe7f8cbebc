"""Security headers on every kind of response (#15.1), and no inline code the
Content-Security-Policy would block, in the templates or in the pages they render."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.html_policy import inline_violations

ROOT = Path(__file__).resolve().parents[1]


def _csp(resp) -> dict[str, str]:
    header = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split("; ") if part}


# the headers every response carries, whatever its kind (None: any value but a missing header)
EXPECTED_CSP = {"style-src": "'self'", "object-src": "'none'", "base-uri": "'self'", "frame-ancestors": "'none'",
                "form-action": "'self'", "default-src": "'self'"}
REFERRER_POLICIES = ("strict-origin-when-cross-origin", "same-origin", "no-referrer")


def _header_problems(resp) -> list[str]:
    """What is wrong with the security headers of ``resp`` (an empty list: nothing)."""
    header = resp.headers.get("Content-Security-Policy")
    if header is None:
        return ["no Content-Security-Policy header"]
    csp = _csp(resp)
    problems = [f"{name}: {csp.get(name)!r}, not {want!r}" for name, want in EXPECTED_CSP.items()
                if csp.get(name) != want]
    if not re.fullmatch(r"'self' 'nonce-[A-Za-z0-9_-]{16,}'", csp.get("script-src", "")):
        problems.append(f"script-src: {csp.get('script-src')!r}, not 'self' and a nonce")
    problems += [f"{word} in the CSP" for word in ("unsafe-inline", "unsafe-eval") if word in header]
    if resp.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options: {resp.headers.get('X-Content-Type-Options')!r}")
    if resp.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options: {resp.headers.get('X-Frame-Options')!r}")
    if resp.headers.get("Referrer-Policy") not in REFERRER_POLICIES:
        problems.append(f"Referrer-Policy: {resp.headers.get('Referrer-Policy')!r}")
    return problems


def test_the_header_check_sees_each_missing_or_weak_header(client):
    resp = client.get("/healthz")
    assert _header_problems(resp) == []
    resp.headers["Content-Security-Policy"] += "; script-src 'self' 'unsafe-inline'"
    resp.headers["Content-Security-Policy"] = resp.headers["Content-Security-Policy"].replace(
        "object-src 'none'", "object-src *")
    resp.headers["X-Frame-Options"] = "SAMEORIGIN"
    del resp.headers["Referrer-Policy"]
    problems = " | ".join(_header_problems(resp))
    for what in ("object-src", "script-src", "unsafe-inline in the CSP", "X-Frame-Options", "Referrer-Policy: None"):
        assert what in problems, problems
    del resp.headers["Content-Security-Policy"]
    assert _header_problems(resp) == ["no Content-Security-Policy header"]


@pytest.mark.parametrize("path, mimetype", [
    ("/", "text/html"),
    ("/courses", "text/html"),
    ("/account/login", "text/html"),
    ("/no-such-page", "text/html"),
    ("/healthz", "application/json"),
    ("/api/v1/openapi.json", "application/json"),
    ("/api/v1/no-such-thing", "application/json"),
    ("/static/css/ntbase.css", "text/css"),
])
def test_headers_on_html_json_and_files(client, path, mimetype):
    resp = client.get(path)
    assert resp.mimetype == mimetype
    assert _header_problems(resp) == []
    # development and tests run on plain http://127.0.0.1: no HSTS, no redirect
    assert "Strict-Transport-Security" not in resp.headers
    assert resp.status_code != 302


def test_headers_on_a_logged_in_page_and_a_post(client, login, learner):
    login(learner)
    page = client.get("/me/courses")
    assert page.status_code == 200 and _header_problems(page) == []
    post = client.post("/api/v1/hours/assess", json={"year": 2024, "activities": []})
    assert _header_problems(post) == []


def test_nonce_changes_with_every_request(client):
    first = _csp(client.get("/"))["script-src"]
    second = _csp(client.get("/"))["script-src"]
    assert first != second


def test_production_sends_hsts_and_moves_to_https(make_app):
    app = make_app(NTBASE_ENV="production", FORCE_HTTPS=True, SESSION_COOKIE_SECURE=True)
    c = app.test_client()
    plain = c.get("/courses")
    assert plain.status_code == 302 and plain.headers["Location"].startswith("https://")
    # health checks come over plain HTTP from inside the network
    assert c.get("/healthz").status_code == 200
    secure = c.get("/healthz", base_url="https://ntbase.example.cn")
    assert secure.status_code == 200
    assert re.fullmatch(r"max-age=\d{8,}", secure.headers["Strict-Transport-Security"])
    assert _header_problems(secure) == []


def test_development_keeps_plain_http_and_its_cookie(make_app):
    app = make_app(NTBASE_ENV="development")
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.test_client().get("/healthz").status_code == 200


def test_report_uri_is_added_when_configured(make_app):
    app = make_app(CSP_REPORT_URI="/csp-report")
    resp = app.test_client().get("/healthz")
    assert _csp(resp)["report-uri"] == "/csp-report"


# ---- no inline code: templates (every file, whether a test renders it or not) and Python
TEMPLATE_RULES = [
    (re.compile(r"\sstyle\s*="), "style= attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> block"),
    (re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*\snonce=)[^>]*>", re.I), "inline <script> without nonce"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "inline on…= handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _templates():
    return sorted((ROOT / "templates").rglob("*.html"))


def test_there_are_templates_to_check():
    assert len(_templates()) > 50


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_template_has_no_inline_code(path):
    text = path.read_text(encoding="utf-8")
    found = [f"{what} at line {text[:m.start()].count(chr(10)) + 1}"
             for rx, what in TEMPLATE_RULES for m in rx.finditer(text)]
    assert not found, found


def test_python_builds_no_inline_style():
    """Markup made in Python (SVG charts, QR codes) follows the same policy."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sorted((ROOT / "ntbase").rglob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"""\sstyle=\\?["']""", line)]
    assert not found, found


def test_the_policy_checker_finds_what_the_csp_blocks():
    bad = ('<p style="color:red">x</p><style>p{}</style><script>alert(1)</script>'
           '<a href="javascript:go()">x</a><button onclick="go()">x</button>')
    kinds = " ".join(inline_violations(bad))
    for what in ("style= attribute", "<style> block", "inline <script>", "javascript: URL", "onclick"):
        assert what in kinds
    good = ('<script src="/static/js/ntbase.js" defer></script><script type="application/json" nonce="abc">{}</script>'
            '<svg><rect width="3" fill="#000"/></svg><p class="x" data-on="1">x</p>')
    assert inline_violations(good) == []


def test_qr_codes_are_inline_svg_without_style(app_ctx):
    """The CSP's img-src is 'self' only: QR codes are inline <svg>, not data: images."""
    from ntbase.certificates.pdf import qr_svg

    svg = qr_svg("https://ntbase.example.cn/verify?code=X")
    assert svg.startswith("<svg") and "data:" not in svg
    assert inline_violations(svg) == []


@pytest.mark.parametrize("path, endpoint", [
    ("/", "main.home"),
    ("/healthz", "main.healthz"),
    ("/media/some-token", "media.serve"),  # a view with options of its own (framed by this site)
    ("/no-such-page", None),
])
@pytest.mark.parametrize("secure", [False, True])
def test_the_headers_are_an_unmodified_talismans(make_app, path, endpoint, secure):
    """NTBase's Talisman works its options and policies out once (ntbase.security_headers):
    each header must stay what the library itself sets, for every kind of view."""
    from flask import Flask, Response, request
    from flask_talisman import Talisman

    from ntbase.security_headers import talisman_options

    app = make_app(NTBASE_ENV="production", CSP_REPORT_URI="/csp-report")
    stock = Talisman()
    stock.init_app(Flask("stock"), **talisman_options(app))
    ours = app.extensions["talisman"]
    base = "https://ntbase.example.cn" if secure else "http://127.0.0.1"
    for _ in range(2):  # the second time from what the first worked out
        with app.test_request_context(path, base_url=base):
            assert request.endpoint == endpoint
            ours._make_nonce()
            nonce = request.csp_nonce
            assert re.fullmatch(r"[A-Za-z0-9_-]{32}", nonce)
            theirs = dict(stock._set_response_headers(Response("x")).headers)
            mine = dict(ours._set_response_headers(Response("x")).headers)
            assert mine == theirs
            # the nonce goes into script-src (the media view's own policy has none)
            assert (f"'nonce-{nonce}'" in mine["Content-Security-Policy"]) is (endpoint != "media.serve")
            assert ("Strict-Transport-Security" in mine) is secure
            assert mine["X-Frame-Options"] == ("SAMEORIGIN" if endpoint == "media.serve" else "DENY")
