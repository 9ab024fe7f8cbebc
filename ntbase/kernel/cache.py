"""Caching of what is read far more than written, with invalidation on the writes.

Anonymous GET pages (catalog, course page, bases) are cached whole. Each cache
*namespace* has a version; any committed write to one of its tables (ORM flush or a
core UPDATE/INSERT/DELETE such as the seat counter) bumps the version, so the next
request renders afresh. Each entry is tagged with the versions it was rendered under and
read together with the current ones (one round trip), so nothing has to be deleted.

Backends: Redis when ``CACHE_URL`` is ``redis://…`` (shared by every app server: a
write on one server invalidates the page everywhere), otherwise a small in-process LRU
whose entries also expire after ``CACHE_TTL`` seconds — exact for one process (the
embedded SQLite site), and bounded staleness when several processes run without Redis.
"""
from __future__ import annotations

import logging
import pickle
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from functools import wraps
from itertools import chain

import redis
from flask import Response, current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from ntbase.kernel.db import db

log = logging.getLogger(__name__)

# namespace -> tables whose writes invalidate it
NAMESPACES: dict[str, set[str]] = {
    "policy": {"policy", "round_year"},
    "catalog": {"course", "course_session", "course_teacher", "course_fee_line", "base", "teacher",
                "manager", "location", "room", "fee_item", "disclosure_version", "enrollment"},
}


def watch(ns: str, *tables: str) -> None:
    """A domain above the kernel declares that writes to its ``tables`` change pages of
    namespace ``ns`` (learning: lessons appear in the course page's syllabus)."""
    NAMESPACES.setdefault(ns, set()).update(tables)


class MemoryBackend:
    def __init__(self, max_items: int = 2000):
        self.data: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self.max = max_items
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            item = self.data.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                self.data.pop(key, None)
                return None
            self.data.move_to_end(key)
            return value

    def set(self, key: str, value, ttl: int) -> None:
        with self.lock:
            self.data[key] = (time.monotonic() + ttl, value)
            self.data.move_to_end(key)
            while len(self.data) > self.max:
                self.data.popitem(last=False)

    def add(self, key: str, value, ttl: int) -> bool:
        """Set ``key`` only if it is absent (or expired): True when this call set it."""
        with self.lock:
            item = self.data.get(key)
            if item is not None and item[0] >= time.monotonic():
                return False
            self.data[key] = (time.monotonic() + ttl, value)
            return True

    def delete(self, key: str) -> None:
        with self.lock:
            self.data.pop(key, None)

    def get_int(self, key: str) -> int:
        with self.lock:
            item = self.data.get(key)
            return int(item[1]) if item else 0

    def versions_and(self, version_keys: list[str], key: str) -> tuple[tuple[int, ...], object]:
        return tuple(self.get_int(k) for k in version_keys), self.get(key)

    def incr(self, key: str) -> int:
        with self.lock:
            _, value = self.data.get(key, (0, 0))
            value = int(value) + 1
            self.data[key] = (float("inf"), value)
            return value

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


class RedisBackend:
    def __init__(self, url: str):

        self.r = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.pickle = pickle

    def get(self, key: str):
        try:
            raw = self.r.get(key)
        except Exception:  # noqa: BLE001 - a cache that is down is a miss, never an error
            return None
        return self._loads(raw)

    def _loads(self, raw):
        if raw is None:
            return None
        try:
            return self.pickle.loads(raw)
        except Exception:  # noqa: BLE001 - written by another release (a class since renamed): a miss
            return None

    def set(self, key: str, value, ttl: int) -> None:
        try:
            self.r.set(key, self.pickle.dumps(value), ex=ttl)
        except Exception:  # noqa: BLE001
            pass

    def add(self, key: str, value, ttl: int) -> bool:
        try:
            return bool(self.r.set(key, self.pickle.dumps(value), ex=ttl, nx=True))
        except Exception:  # noqa: BLE001 - no lock to be had: compute, as without a cache
            return True

    def delete(self, key: str) -> None:
        try:
            self.r.delete(key)
        except Exception:  # noqa: BLE001
            pass

    def get_int(self, key: str) -> int:
        try:
            return int(self.r.get(key) or 0)
        except Exception:  # noqa: BLE001 - unknown version: a value no page is cached under
            return -int(time.time() * 1000)

    def versions_and(self, version_keys: list[str], key: str) -> tuple[tuple[int, ...], object]:
        """The versions under ``version_keys`` and the value under ``key`` in one round trip."""
        try:
            *versions, raw = self.r.mget([*version_keys, key])
        except Exception:  # noqa: BLE001 - unknown versions (no entry is tagged with them), a miss
            return (-int(time.time() * 1000),) * len(version_keys), None
        return tuple(int(v or 0) for v in versions), self._loads(raw)

    def incr(self, key: str) -> int:
        try:
            return int(self.r.incr(key))
        except Exception:  # noqa: BLE001
            return int(time.time() * 1000)

    def clear(self) -> None:
        try:
            for key in self.r.scan_iter("ntbase:*"):
                self.r.delete(key)
        except Exception:  # noqa: BLE001
            pass


class PageCache:
    def __init__(self, app):
        url = app.config.get("CACHE_URL") or ""
        self.enabled = bool(app.config.get("CACHE_ENABLED", True))
        self.ttl = int(app.config.get("CACHE_TTL", 300))
        self.backend = RedisBackend(url) if url.startswith("redis") else MemoryBackend()

    def version(self, ns: str) -> int:
        return self.backend.get_int(f"ntbase:v:{ns}")

    def bump(self, ns: str) -> None:
        self.backend.incr(f"ntbase:v:{ns}")

    def lookup(self, key: str, namespaces: tuple[str, ...], extra: tuple = ()) -> tuple[tuple, object]:
        """``(tag, value)``: the tag an entry of ``key`` must carry now (the ``namespaces``'
        versions and ``extra``) and the entry's value if it carries it, else None. The versions
        and the entry are read together: one round trip to Redis for a cached page."""
        versions, entry = self.backend.versions_and([f"ntbase:v:{ns}" for ns in namespaces], key)
        tag = versions + extra
        if entry is not None and entry[0] == tag:
            return tag, entry[1]
        return tag, None

    def store(self, key: str, tag: tuple, value) -> None:
        """Keep ``value`` under ``key`` for the tag ``lookup`` gave before it was worked out:
        a write committed meanwhile has moved a version on, so the entry is already stale."""
        self.backend.set(key, (tag, value), self.ttl)


def init_cache(app) -> None:
    app.extensions["ntbase_cache"] = PageCache(app)


def page_cache() -> PageCache:
    return current_app.extensions["ntbase_cache"]


def touch(ns: str) -> None:
    """Namespace ``ns`` changes when this transaction commits (as a write to one of its
    tables would make it): for namespaces kept per object (one employer's staff) by the
    domain that knows which objects a change concerns."""
    db.session().info.setdefault("ntbase_cache_dirty", set()).add(ns)


def bump(ns: str) -> None:
    if has_app_context() and "ntbase_cache" in current_app.extensions:
        page_cache().bump(ns)


def memo(ns: str, name: str, load):
    """Per-process memo of ``load()`` valid while namespace ``ns`` keeps its version
    (for small, rarely written data such as the yearly policies)."""
    if not has_app_context() or "ntbase_cache" not in current_app.extensions or not page_cache().enabled:
        return load()
    if ns in db.session().info.get("ntbase_cache_dirty", ()):
        return load()  # this transaction wrote to it: what it reads must include its own writes
    store = current_app.extensions.setdefault("ntbase_memo", {})
    version = page_cache().version(ns)
    hit = store.get((ns, name))
    if hit is not None and hit[0] == version:
        return hit[1]
    value = load()
    store[(ns, name)] = (version, value)
    return value


def tagged(name: str, namespaces: tuple[str, ...], compute: Callable[[], object]):
    """``compute()`` kept in the page cache's backend (shared by every app server) until one
    of ``namespaces`` changes, for what is costly to work out and read far more often than
    it changes (an employer's staff counts). A transaction that has itself written to one of
    them computes afresh: it must see its own writes."""
    if not has_app_context() or "ntbase_cache" not in current_app.extensions or not page_cache().enabled:
        return compute()
    session = db.session()
    if session.new or session.dirty or session.deleted:
        session.flush()  # what autoflush would do before the computation's first query
    if set(namespaces) & session.info.get("ntbase_cache_dirty", set()):
        return compute()
    pc = page_cache()
    key = f"ntbase:tagged:{name}"
    tag, value = pc.lookup(key, namespaces)
    if value is None:
        value = compute()
        pc.store(key, tag, value)
    return value


def kept(name: str, load: Callable[[], object], *, max_age: int, fresh: bool = False,
         wait_seconds: float = 30.0) -> tuple[object, float]:
    """``(value, computed_at)``: ``load()`` computed at most once every ``max_age`` seconds
    and shared by every app server through the page cache's backend (for aggregates too
    costly to run per request, such as the office statistics). While one request recomputes
    an expired value the others get the previous one, so a busy page never waits on the
    aggregate; when there is none yet, they wait (up to ``wait_seconds``) for the one being
    worked out. ``fresh`` recomputes now. ``computed_at`` is a Unix time."""
    if not has_app_context() or "ntbase_cache" not in current_app.extensions or not page_cache().enabled:
        return load(), time.time()
    backend = page_cache().backend
    key = f"ntbase:kept:{name}"
    hit = backend.get(key)
    started = time.time()
    if hit is not None and not fresh:
        at, value = hit
        if started - at < max_age or not backend.add(key + ":lock", 1, 60):
            return value, at
    elif hit is None and not backend.add(key + ":lock", 1, 60):
        # nothing to serve yet and another request is working it out: wait for it rather
        # than run the same aggregate again (a burst of requests on a cold cache)
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
            hit = backend.get(key)
            if hit is not None:
                return hit[1], hit[0]
    try:
        value = load()
        # kept well past its age: served (stale) while the next request recomputes it
        backend.set(key, (started, value), max(max_age * 12, 60))
    finally:
        backend.delete(key + ":lock")
    return value, started


# ---- the parts of a shared page that belong to one person
# A cached page marks them ``<!--p:name-->…<!--/p:name-->`` (``personal(name)`` in the
# templates); a logged-in learner gets the anonymous body with each part filled for them.
_FILLERS: dict[str, Callable[..., str]] = {}
_REGION = re.compile(r"<!--p:([a-z0-9-]+)-->.*?<!--/p:\1-->", re.S)


def register_filler(name: str, fill: Callable[..., str]) -> None:
    """``fill(**view_kwargs)`` returns the HTML of part ``name`` for the current user."""
    _FILLERS[name] = fill


def render_part(template: str, **context) -> str:
    """Render one personal part for a filler: the template alone, with ``current_user`` and
    ``context`` (and the environment's globals: url_for, csrf_token, gettext…), without
    the context processors a whole page runs."""
    return current_app.jinja_env.get_template(template).render(current_user=current_user, **context)


def personal(name: str, html: str) -> Markup:
    """Template helper: ``html`` (what a visitor sees) marked as part ``name``."""
    return Markup(f"<!--p:{name}-->{html}<!--/p:{name}-->")


def fill_personal(body: str, view_kwargs: dict) -> str:
    def one(m: re.Match) -> str:
        name = m.group(1)
        fill = _FILLERS.get(name)
        return personal(name, fill(**view_kwargs)) if fill is not None else m.group(0)

    return _REGION.sub(one, body)


def _filled(resp: Response, view_kwargs: dict) -> Response:
    """A freshly rendered page with its personal parts filled, as a cached one would be."""
    if resp.status_code == 200 and not resp.direct_passthrough:
        resp.set_data(fill_personal(resp.get_data(as_text=True), view_kwargs))
    return resp


@contextmanager
def _as_visitor():
    """Render what an anonymous visitor sees, inside a logged-in request."""
    saved = g.get("_login_user")
    g._login_user = current_app.login_manager.anonymous_user()
    try:
        yield
    finally:
        g._login_user = saved


def cached_page(ns: str):
    """Cache a GET view's whole response, keyed by the namespace version, the language and
    the full path. Visitors get it as it is; a logged-in learner gets the same body with
    its personal parts filled (name, CSRF token, their enrollment) — the page itself is not
    rendered again."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            pc = page_cache()
            learner = current_user.is_authenticated and getattr(current_user, "is_learner", False)
            if request.method != "GET" or (current_user.is_authenticated and not learner):
                return view(*args, **kwargs)
            if not pc.enabled or session.get("_flashes") or "lang" in request.args:
                resp = current_app.make_response(view(*args, **kwargs))
                # the same page a shared cache would give: its personal parts by their fillers
                return _filled(resp, kwargs) if learner else resp
            key = f"ntbase:page:{ns}:{get_locale()}:{request.full_path}"
            tag, hit = pc.lookup(key, (ns,))
            state = "hit"
            if hit is None:
                state = "miss"
                if learner:
                    with _as_visitor():
                        resp = current_app.make_response(view(*args, **kwargs))
                else:
                    resp = current_app.make_response(view(*args, **kwargs))
                # only plain successful pages that did not start a session
                if not (resp.status_code == 200 and not resp.direct_passthrough and (
                        learner or (not session.modified and "Set-Cookie" not in resp.headers))):
                    return view(*args, **kwargs) if learner else resp
                hit = (resp.status_code, resp.mimetype, resp.get_data())
                pc.store(key, tag, hit)
            status, mimetype, body = hit
            if learner:
                resp = Response(fill_personal(body.decode("utf-8"), kwargs), status=status, mimetype=mimetype)
                resp.headers["Cache-Control"] = "private, no-store"
                resp.headers["X-Cache"] = f"{state}-personal"
            else:
                resp = Response(body, status=status, mimetype=mimetype)
                resp.headers["X-Cache"] = state
            resp.vary.add("Cookie")
            return resp

        return wrapped

    return decorator


_CSRF_MARK = "__ntbase_csrf_token__"


def cached_for_user(name: str, version: str, render: Callable[[], object], *, namespaces: tuple[str, ...] = (),
                    fill_kwargs: dict | None = None) -> Response:
    """One person's page (``name``, e.g. ``dashboard:<user id>``) cached while ``version``
    (what the page reads of theirs, worked out by the caller in one cheap statement), the
    ``namespaces``' versions, the language and the day stay the same. The CSRF tokens of its
    forms and its personal parts (``personal(name)``) are filled on every request, so the
    cached body is never another session's. Not cached: a page with flashed messages, a
    language switch, an answer other than a plain 200."""
    pc = page_cache()
    if not pc.enabled or session.get("_flashes") or "lang" in request.args:
        return _filled(current_app.make_response(render()), fill_kwargs or {})
    from flask_wtf.csrf import generate_csrf

    from ntbase.kernel.db import now

    key = f"ntbase:user-page:{name}:{get_locale()}"
    tag, body = pc.lookup(key, namespaces, (version, now().date().isoformat()))
    state = "hit"
    if body is None:
        state = "miss"
        resp = current_app.make_response(render())
        if resp.status_code != 200 or resp.direct_passthrough or resp.mimetype != "text/html":
            return resp
        body = resp.get_data(as_text=True).replace(generate_csrf(), _CSRF_MARK)
        pc.store(key, tag, body)
    out = Response(fill_personal(body.replace(_CSRF_MARK, generate_csrf()), fill_kwargs or {}), mimetype="text/html")
    out.headers["Cache-Control"] = "private, no-store"
    out.headers["X-Cache"] = f"{state}-user"
    return out


# ---- invalidation: collect touched tables per session, bump after commit
def _mark(session_: Session, tables) -> None:
    dirty = session_.info.setdefault("ntbase_cache_dirty", set())
    for ns, watched in NAMESPACES.items():
        if watched & set(tables):
            dirty.add(ns)


@event.listens_for(Session, "after_flush")
def _after_flush(session_, _ctx):
    tables = {getattr(o, "__tablename__", None) for o in chain(session_.new, session_.dirty, session_.deleted)}
    _mark(session_, tables - {None})


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state):
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, "table", None)
        name = getattr(table, "name", None)
        if name:
            _mark(state.session, {name})


@event.listens_for(Session, "after_commit")
def _after_commit(session_):
    for ns in session_.info.pop("ntbase_cache_dirty", set()):
        bump(ns)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session_):
    session_.info.pop("ntbase_cache_dirty", None)
