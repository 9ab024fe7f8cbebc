"""What bench.run measures and what each figure must reach: one declaration per row.

A row is a function that returns the requests wrk replays (tab-separated lines, see
bench/lua/paths.lua), registered with ``@endpoint(name, target=Target(...))``. The order of
declaration is the order of the tables. Adding a row (heartbeat, logged-in catalog, employer
staff list, office statistics…) is one decorated function here; bench.run, the markdown and
JSON output, the README target table and the growth figures pick it up.

Two floors run in the same pass as every row, at every concurrency, and every figure is
divided by both:

- ``bare_floor``: a bare Flask app (bench/bare_app.py, no NTBase code) under the same gunicorn
  settings: what Flask and gunicorn cost on this machine;
- ``floor``: NTBase's own ``/floor`` (same app, its middleware, no database).
"""
from __future__ import annotations

import json
import random
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

BARE = "bare_floor"
FLOOR = "floor"
REFERENCES = (BARE, FLOOR)
SIZE_ORDER = ("XS", "S", "M", "L")


@dataclass(frozen=True)
class Target:
    """What a row must reach at ``size`` with ``clients`` concurrent clients (None: no target)."""

    issue: int
    size: str = "M"
    clients: int = 32
    min_bare: float | None = None  # throughput ratio to the bare Flask floor
    min_floor: float | None = None  # throughput ratio to NTBase's /floor
    max_p95_ms: float | None = None
    max_growth: float | None = 1.5  # p50 at L / p50 at S, at the run's highest concurrency


@dataclass(frozen=True)
class Endpoint:
    name: str
    build: Callable[[Context], list[str]]
    server: str = "ntbase"  # "ntbase" or "bare": which gunicorn answers it
    target: Target | None = None
    # the wrk script in bench/lua/ that replays the lines; ``per_connection``: one wrk thread
    # per connection, so the script's state is one client's (a player with its epoch and seq)
    script: str = "paths.lua"
    per_connection: bool = False
    # the first line must answer 200 and, if set, contain this text (bench.run.check_status)
    expect: str | None = None
    # SQL statements per request, counted in-process: (app, lines) -> mean; None: replay lines
    statements: Callable[[object, list[str]], float] | None = None
    # sample PostgreSQL's lock waits (pg_stat_activity) while wrk runs this row
    watch_locks: bool = False


ENDPOINTS: dict[str, Endpoint] = {}


def endpoint(name: str, *, server: str = "ntbase", target: Target | None = None, **options):
    def register(fn: Callable[[Context], list[str]]):
        ENDPOINTS[name] = Endpoint(name, fn, server, target, **options)
        return fn
    return register


def tsv(method: str, path: str, cookie: str = "", ctype: str = "", body: str = "",
        headers: dict[str, str] | None = None) -> str:
    """One request line: METHOD, PATH, COOKIE, CONTENT-TYPE, BODY, then one ``Name: value``
    column per extra header."""
    extra = [f"{k}: {v}" for k, v in (headers or {}).items()]
    return "\t".join([method, path, cookie, ctype, body, *extra])


def parse_line(line: str) -> tuple[str, str, str, str, str, dict[str, str]]:
    """The inverse of ``tsv``: (method, path, cookie, content type, body, extra headers)."""
    method, path, cookie, ctype, body, *extra = line.split("\t")
    return method, path, cookie, ctype, body, dict(h.split(": ", 1) for h in extra if ": " in h)


def session_cookies(app, user_ids: list[int]) -> list[tuple[str, str]]:
    """(cookie header, CSRF form token) for each user, signed with the app's key."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    out = []
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    for uid in user_ids:
        # a new app context each time: under an outer one, test_request_context would reuse its
        # ``g``, and generate_csrf would hand every user the first user's token (cached in g)
        # without putting a CSRF secret into their sessions
        with app.app_context(), app.test_request_context("/"):
            session["_user_id"] = str(uid)
            session["_fresh"] = True
            session["lang"] = app.config["BABEL_DEFAULT_LOCALE"]  # as a log-in leaves it (accounts.login)
            token = generate_csrf()
            cookie = f"{name}={serializer.dumps(dict(session))}"
        out.append((cookie, token))
    return out


@dataclass
class Context:
    """What the row builders draw on: the in-process app, the generator's sample, a seeded rng."""

    app: object
    sample: dict
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @cached_property
    def real_codes(self) -> list[str]:
        from ntbase.certificates import codes

        return self.sample["certificate_codes"][:1000] or [codes.new_code()]

    @cached_property
    def mixed_codes(self) -> list[str]:
        """Real and unknown certificate codes, alternating."""
        from ntbase.certificates import codes

        unknown = [codes.new_code() for _ in range(len(self.real_codes))]
        return [c for pair in zip(self.real_codes, unknown, strict=False) for c in pair]

    @cached_property
    def course_ids(self) -> list[int]:
        return self.sample["course_ids"]

    @cached_property
    def learner_sessions(self) -> list[tuple[str, str]]:
        return session_cookies(self.app, self.sample["dashboard_learner_ids"][:100])

    @cached_property
    def office_session(self) -> str:
        from ntbase.accounts.models import User
        from ntbase.kernel.db import db

        with self.app.app_context():
            uid = db.session.scalar(db.select(User.id).where(User.email == self.sample["office_email"]))
        return session_cookies(self.app, [uid])[0][0]


def build_lines(ctx: Context, only: list[str] | None = None) -> dict[str, list[str]]:
    """The lines of every declared row (or of ``only``; the floors always), in declaration
    order; a row whose data the sample lacks (an older generated database) builds none and is left out."""
    out = {}
    for name, ep in ENDPOINTS.items():
        if only is not None and name not in only and name not in REFERENCES:
            continue
        lines = ep.build(ctx)
        if lines:
            out[name] = lines
    return out


# ---------------------------------------------------------------- the rows
@endpoint(BARE, server="bare")
def _bare_floor(ctx: Context) -> list[str]:
    return [tsv("GET", "/floor")]


@endpoint(FLOOR)
def _floor(ctx: Context) -> list[str]:
    return [tsv("GET", "/floor")]


@endpoint("catalog_filters", target=Target(issue=8, min_floor=0.4, max_p95_ms=50))
def _catalog_filters(ctx: Context) -> list[str]:
    return ([tsv("GET", f"/courses?category={c}&mode=in_person&sort=price&page={p}")
             for c in ("public", "specialized") for p in (1, 2, 3)]
            + [tsv("GET", "/courses?category=public&seats_left=1&price_max=300")])


@endpoint("catalog_keyword", target=Target(issue=8, min_floor=0.4, max_p95_ms=50))
def _catalog_keyword(ctx: Context) -> list[str]:
    return [tsv("GET", "/courses?q=" + urllib.parse.quote(w)) for w in ("安全", "护理", "数字", "会计", "建筑", "教学")]


@endpoint("course_page", target=Target(issue=8, min_floor=0.5, max_p95_ms=40))
def _course_page(ctx: Context) -> list[str]:
    return [tsv("GET", f"/courses/{cid}") for cid in ctx.course_ids[:200]]


@endpoint("verify_page", target=Target(issue=14, min_bare=0.35, max_p95_ms=40))
def _verify_page(ctx: Context) -> list[str]:
    from ntbase.certificates import codes

    return [tsv("GET", "/verify?code=" + codes.display(c)) for c in ctx.mixed_codes]


@endpoint("verify_api", target=Target(issue=14, min_bare=0.5, max_p95_ms=30))
def _verify_api(ctx: Context) -> list[str]:
    return [tsv("GET", f"/api/v1/certificates/{c}") for c in ctx.mixed_codes]


@endpoint("verify_api_known")
def _verify_api_known(ctx: Context) -> list[str]:
    """Only codes that exist: with ``verify_api_unknown``, shows a known code answers in the
    same time as an unknown one (both medians are reported under each size)."""
    return [tsv("GET", f"/api/v1/certificates/{c}") for c in ctx.real_codes]


@endpoint("verify_api_unknown")
def _verify_api_unknown(ctx: Context) -> list[str]:
    return [tsv("GET", f"/api/v1/certificates/{c}") for c in ctx.mixed_codes[1::2]]


@endpoint("hours_assess_api", target=Target(issue=8, min_floor=0.6, max_p95_ms=30))
def _hours_assess_api(ctx: Context) -> list[str]:
    rng = ctx.rng
    bodies = []
    for _ in range(50):
        body = {"year": rng.choice([2021, 2022, 2023, 2024, 2025]),
                "activities": [{"kind": "course", "hours": rng.choice([24, 30, 40]), "category": "public"},
                               {"kind": "training_class", "days": rng.choice([2, 5.5, 8])},
                               {"kind": "conference", "level": "national", "days": 2},
                               {"kind": "self_study", "hours": rng.choice([10, 45])}],
                "exemptions": [{"kind": "papers", "year": 2021, "provincial": 1, "city": 1, "county": 0}]}
        bodies.append(json.dumps(body))
    return [tsv("POST", "/api/v1/hours/assess", "", "application/json", b) for b in bodies]


@endpoint("learner_dashboard", target=Target(issue=14, min_bare=0.25, max_p95_ms=60))
def _learner_dashboard(ctx: Context) -> list[str]:
    return [tsv("GET", "/me/hours", cookie) for cookie, _ in ctx.learner_sessions]


@endpoint("catalog_logged_in", target=Target(issue=14, min_bare=0.4))
def _catalog_logged_in(ctx: Context) -> list[str]:
    """The catalog for logged-in learners: the visitors' cached body with their parts filled."""
    pages = [f"/courses?category={c}&page={p}" for c in ("public", "specialized") for p in (1, 2)]
    return [tsv("GET", path, cookie) for (cookie, _), path in zip(ctx.learner_sessions, pages * 25, strict=False)]


@endpoint("course_page_logged_in", target=Target(issue=14, min_bare=0.4))
def _course_page_logged_in(ctx: Context) -> list[str]:
    return [tsv("GET", f"/courses/{cid}", cookie)
            for (cookie, _), cid in zip(ctx.learner_sessions, ctx.course_ids[:100], strict=False)]


@endpoint("enroll_page", target=Target(issue=14))
def _enroll_page(ctx: Context) -> list[str]:
    """A logged-in learner's enrollment page for a course (the form before paying; the
    peer run compares it with Indico's registration form)."""
    return [tsv("GET", f"/courses/{cid}/enroll", cookie)
            for (cookie, _), cid in zip(ctx.learner_sessions, ctx.course_ids[:100], strict=False)]


@endpoint("office_stats", target=Target(issue=14, max_p95_ms=300))
def _office_stats(ctx: Context) -> list[str]:
    return [tsv("GET", f"/office/stats?year={y}", ctx.office_session) for y in (2024, 2025, 2026)]


def heartbeat_body(event: str, session: str, seq: int, position: float = 0.0, epoch: int | None = None) -> str:
    body = {"event": event, "session": session, "seq": seq, "position": position, "playing": True, "visible": True}
    if epoch is not None:
        body["epoch"] = epoch
    return json.dumps(body)


def _heartbeat_statements(app, lines: list[str], learners: int = 3, beats: int = 3) -> float:
    """Statements per ``beat`` (not the ``start`` before it), in-process, for a few learners."""
    import secrets

    import sqlalchemy as sa

    from ntbase.kernel.db import db

    counts = []
    client = app.test_client()
    for line in lines[:learners]:
        _m, path, cookie, ctype, _b, headers = parse_line(line)
        headers = dict(headers, **{"Content-Type": ctype})
        client._cookies.clear()
        name, value = cookie.split("=", 1)
        client.set_cookie(name, value)
        session = "stmt-" + secrets.token_hex(4)
        with app.app_context():
            epoch = client.post(path, headers=headers, data=heartbeat_body("start", session, 1)).get_json()["epoch"]
        for seq in range(2, 2 + beats):
            with app.app_context():
                n = {"c": 0}

                def before(*_a, _n=n, **_k):
                    _n["c"] += 1

                sa.event.listen(db.engine, "before_cursor_execute", before)
                try:
                    r = client.post(path, headers=headers, data=heartbeat_body("beat", session, seq, 0.0, epoch))
                finally:
                    sa.event.remove(db.engine, "before_cursor_execute", before)
            if r.status_code != 200:
                raise RuntimeError(f"heartbeat: in-process beat answered {r.status_code}")
            counts.append(n["c"])
    return round(sum(counts) / len(counts), 1) if counts else 0.0


@endpoint("heartbeat", script="heartbeat.lua", per_connection=True, expect='"message":"ok"',
          statements=_heartbeat_statements, watch_locks=True,
          target=Target(issue=12, min_bare=0.5, max_p95_ms=30, max_growth=None))
def _heartbeat(ctx: Context) -> list[str]:
    """The player's heartbeat: one learner per connection (bench/lua/heartbeat.lua sends
    ``start``, then ``beat`` with growing ``seq``, the echoed epoch, real-time positions)."""
    pairs = ctx.sample.get("online_enrollments") or []
    lesson = ctx.sample.get("online_lesson_id")
    if not pairs or lesson is None:
        return []
    sessions = session_cookies(ctx.app, [learner for learner, _ in pairs])
    return [tsv("POST", f"/learn/{enrollment}/lessons/{lesson}/beat", cookie, "application/json",
                heartbeat_body("start", f"bench-check-{i}", 1), headers={"X-CSRFToken": token})
            for i, ((_learner, enrollment), (cookie, token)) in enumerate(zip(pairs, sessions, strict=True))]


@endpoint("employer_staff")
def _employer_staff(ctx: Context) -> list[str]:
    """The employer's staff list (who still lacks hours), read from the kept yearly status:
    the largest employer of the size (5,000 staff at M), a page at a time."""
    admin = ctx.sample.get("employer_admin_id")
    if admin is None:
        return []
    cookie = session_cookies(ctx.app, [admin])[0][0]
    return [tsv("GET", f"/employer/staff?page={p}", cookie) for p in (1, 2, 3)]


# ---------------------------------------------------------------- ratios and targets
def combine(samples: list[dict]) -> dict:
    """One figure from several wrk runs of the same endpoint (the floors bracket each pass)."""
    n = len(samples)
    out = {k: round(sum(s[k] for s in samples) / n, 3) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
    out["rps"] = round(out["rps"], 1)
    out["requests"] = sum(s["requests"] for s in samples)
    out["errors"] = sum(s["errors"] for s in samples)
    if n > 1:
        out["rps_samples"] = [s["rps"] for s in samples]
    return out


def ratio(r: dict, ref: dict | None) -> float | None:
    if not ref or not ref.get("rps"):
        return None
    return round(r["rps"] / ref["rps"], 3)


def with_ratios(r: dict, bare: dict | None, floor: dict | None) -> dict:
    return dict(r, ratio_to_bare=ratio(r, bare), ratio_to_floor=ratio(r, floor))


def _pick(keys, wanted: str, order) -> str | None:
    """``wanted`` if measured, else the largest measured key (by ``order``)."""
    keys = list(keys)
    if not keys:
        return None
    if wanted in keys:
        return wanted
    return max(keys, key=order)


def evaluate_targets(report: dict) -> list[dict]:
    """Each declared target against the run: the figure at the target's size and clients when
    the run has them (``exact``), else at the largest size and nearest clients it has."""
    rows = []
    sizes = report.get("sizes", {})
    for ep in ENDPOINTS.values():
        t = ep.target
        if t is None:
            continue
        size = _pick(sizes, t.size, lambda s: SIZE_ORDER.index(s) if s in SIZE_ORDER else -1)
        by_c = sizes[size]["endpoints"].get(ep.name, {}) if size else {}
        clients = _pick(by_c, str(t.clients), lambda c, want=t.clients: -abs(int(c) - want))
        r = by_c.get(clients) if clients else None
        growth = report.get("growth", {}).get(ep.name)
        checks = []
        if t.min_bare is not None:
            checks.append(("bare", r and r.get("ratio_to_bare"), t.min_bare, "min"))
        if t.min_floor is not None:
            checks.append(("floor", r and r.get("ratio_to_floor"), t.min_floor, "min"))
        if t.max_p95_ms is not None:
            checks.append(("p95", r and r.get("p95_ms"), t.max_p95_ms, "max"))
        if t.max_growth is not None:
            checks.append(("growth", growth, t.max_growth, "max"))
        exact = r is not None and size == t.size and clients == str(t.clients)
        failed = [name for name, v, lim, kind in checks
                  if v is not None and (v < lim if kind == "min" else v > lim)]
        missing = [name for name, v, _lim, _kind in checks if v is None]
        if not exact:
            met = "not measured" if r is None else f"n/a (target at {t.size}, {t.clients} clients)"
        elif failed:
            met = "no"
        elif missing:
            met = "not measured: " + ", ".join(missing)
        else:
            met = "yes"
        rows.append({"endpoint": ep.name, "issue": t.issue, "size": size, "clients": clients,
                     "target_size": t.size, "target_clients": t.clients, "exact": exact,
                     "ratio_to_bare": r.get("ratio_to_bare") if r else None, "min_bare": t.min_bare,
                     "ratio_to_floor": r.get("ratio_to_floor") if r else None, "min_floor": t.min_floor,
                     "p95_ms": r.get("p95_ms") if r else None, "max_p95_ms": t.max_p95_ms,
                     "growth": growth, "max_growth": t.max_growth, "failed": failed, "met": met})
    return rows


def _fmt(v, nd: int | None = None) -> str:
    if v is None:
        return "—"
    if nd is not None:
        return f"{v:.{nd}f}"
    return str(v)


def target_table(rows: list[dict]) -> str:
    lines = ["| endpoint | issue | measured at | ratio to bare floor | target | ratio to /floor | target "
             "| p95 ms | target | p50 L/S | target | met? |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        at = f"{r['size']}, {r['clients']} clients" if r["clients"] else "—"
        lines.append(
            f"| {r['endpoint']} | #{r['issue']} | {at} | {_fmt(r['ratio_to_bare'])} | "
            f"{'≥ ' + str(r['min_bare']) if r['min_bare'] is not None else ''} | {_fmt(r['ratio_to_floor'])} | "
            f"{'≥ ' + str(r['min_floor']) if r['min_floor'] is not None else ''} | {_fmt(r['p95_ms'], 1)} | "
            f"{'≤ ' + str(r['max_p95_ms']) if r['max_p95_ms'] is not None else ''} | {_fmt(r['growth'])} | "
            f"{'≤ ' + str(r['max_growth']) if r['max_growth'] is not None else ''} | {r['met']} |")
    return "\n".join(lines)
