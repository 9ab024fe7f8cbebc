"""Fixtures: one app per test session on SQLite or PostgreSQL, clean tables per test.

Pick the database with ``NTBASE_TEST_DB=sqlite|postgres``. PostgreSQL uses
``TEST_DATABASE_URL`` (default: the local server) and creates and drops its own
database. With ``CI=true`` an unreachable PostgreSQL fails the run instead of skipping.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from ntbase import create_app
from ntbase.kernel.db import db
from tests import factories

CI = os.environ.get("CI", "").lower() == "true"
DB_KIND = os.environ.get("NTBASE_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin_engine():
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def create_pg_database() -> str:
    name = f"ntbase_test_{uuid.uuid4().hex[:10]}"
    eng = _pg_admin_engine()
    try:
        with eng.connect() as conn:
            conn.exec_driver_sql(
                f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
            # a test database is thrown away: no commit waits for its WAL to reach the disk
            conn.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit TO off")
    finally:
        eng.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    eng = _pg_admin_engine()
    with eng.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    eng.dispose()


def pg_available() -> bool:
    try:
        eng = _pg_admin_engine()
        with eng.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        eng.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if DB_KIND == "postgres":
        if not pg_available():
            if CI:
                pytest.fail(f"PostgreSQL is required in CI but not reachable at {PG_ADMIN_URL}")
            pytest.skip("PostgreSQL not reachable")
        url = create_pg_database()
        yield url
        from ntbase.kernel.extensions import db as _db  # noqa: F401

        drop_pg_database(url)
    else:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"


def base_test_config(database_url: str, instance: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "NTBASE_PII_KEY": "test-pii-key",
        "PAYMENT_WEBHOOK_SECRET": "test-webhook-secret",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # cached pages would outlive the per-test table wipe; tests/test_cache.py turns it on
        "CACHE_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "SIGNING_KEY_DIR": os.path.join(instance, "keys"),
        "SERVER_NAME": None,
        # jobs wait in this process's memory; tests run them with jobs_of(app).run_pending()
        # or start a real consumer (tests/jobs)
        "JOBS_URL": "memory://",
        "MAIL_BACKEND": "locmem",
    }


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("instance")
    os.environ["NTBASE_INSTANCE_PATH"] = str(path)
    return str(path)


class FreshRequestClient(FlaskClient):
    """Tests hold one app context for the whole test, so Flask's ``g`` would carry the
    previous request's logged-in user (Flask-Login) and language (Flask-Babel) into the
    next request. Each request here starts with neither, as in a real server."""

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            g.pop("_login_user", None)
            flask_babel.refresh()
        return super().open(*args, **kwargs)


def _reset_limiter() -> None:
    from ntbase.kernel.extensions import limiter

    try:
        limiter.reset()
    except Exception:  # noqa: BLE001 - storage not initialised yet
        pass
    limiter.enabled = False


def refuse_inline_code(response):
    """Every HTML page a test app sends is checked against the Content-Security-Policy:
    an inline style or script there would be blocked in the browser (tests/html_policy.py)."""
    if response.mimetype == "text/html" and not response.direct_passthrough:
        from tests.html_policy import inline_violations

        found = inline_violations(response.get_data(as_text=True))
        if found:
            from flask import request

            raise AssertionError(f"{request.path}: the CSP would block " + "; ".join(found))
    return response


@pytest.fixture(scope="session", autouse=True)
def demo_media_made_once(tmp_path_factory):
    """The demo's online lessons are a 10-second MP4 (ffmpeg) and a PDF with a subset CJK
    font (fpdf2): about a second of work each time ``load_demo()`` runs, which a test session
    does a dozen times. The loader still calls its ``make_mp4`` and ``make_pdf``; the first call
    with given arguments makes the file, later ones get a copy of it (same bytes)."""
    from ntbase.learning import demo as learning_demo

    folder = tmp_path_factory.mktemp("demo-media")
    made: dict[tuple, str] = {}

    def once(make):
        def wrapper(path, **kwargs):
            key = (make.__name__, os.path.basename(os.fspath(path)), tuple(sorted(kwargs.items())))
            if key not in made:
                made[key] = os.fspath(make(folder / f"{len(made)}-{os.path.basename(os.fspath(path))}", **kwargs))
            shutil.copyfile(made[key], path)
            return Path(path)
        return wrapper

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(learning_demo, "make_mp4", once(learning_demo.make_mp4))
        mp.setattr(learning_demo, "make_pdf", once(learning_demo.make_pdf))
        yield


@pytest.fixture(scope="session")
def app(database_url, instance_dir):
    app = create_app(base_test_config(database_url, instance_dir))
    app.test_client_class = FreshRequestClient
    app.after_request(refuse_inline_code)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# Tables a test wrote to (any engine: the test's app, a make_app() app, a live server's
# threads): only those are emptied after it. TRUNCATE of every table cost about 0.1 s per
# test on PostgreSQL, most of a run's time.
_DML = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?([A-Za-z_][A-Za-z0-9_]*)"?', re.I)
_written: set[str] = set()


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _note_written(conn, cursor, statement, parameters, context, executemany):
    m = _DML.match(statement)
    if m:
        _written.add(m.group(1))


def _with_referrers(tables: list[str]) -> list[str]:
    """``tables`` and every table whose rows refer to one of them, transitively: what
    TRUNCATE … CASCADE would empty (rows copied in by raw COPY, as the benchmark generator
    does, are not seen by the statement hook, but they refer to rows that are)."""
    referrers: dict[str, set[str]] = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            referrers.setdefault(fk.column.table.name, set()).add(table.name)
    out, todo = set(tables), list(tables)
    while todo:
        for r in referrers.get(todo.pop(), ()):
            if r not in out:
                out.add(r)
                todo.append(r)
    return sorted(out)


def _clean_tables() -> None:
    db.session.rollback()
    known = {t.name for t in db.metadata.sorted_tables}
    tables = [t for t in _written if t in known]
    _written.clear()
    if not tables:
        return
    if db.engine.dialect.name == "postgresql":
        # DELETE, not TRUNCATE: TRUNCATE makes new files for every table and index it empties
        # (and CASCADE empties every table that refers to "user": nearly all). Every table that
        # holds a row now was written by this test, so foreign keys are switched off for the
        # clean-up (session_replication_role) and the numbering restarts as after a TRUNCATE.
        by_name = {t.name: t for t in db.metadata.sorted_tables}
        script = ["SET LOCAL session_replication_role = replica"]
        for t in _with_referrers(tables):
            script.append(f'DELETE FROM "{t}"')
            if "id" in by_name[t].c and by_name[t].c.id.autoincrement is not False and \
                    isinstance(by_name[t].c.id.type, sa.Integer):
                script.append(f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false) "
                              f"WHERE pg_get_serial_sequence('\"{t}\"', 'id') IS NOT NULL")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("; ".join(script))
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    # the clean-up's own DELETEs are not writes of the next test: it starts with nothing to empty
    _written.clear()


# The demo site as the starting point of a test (the walks over every page and route): made
# by ntbase.demo.load_demo() the first time in a test process, then copied back row for row
# (about 1.5 s of demo loading each time on SQLite, more on PostgreSQL). The tests of the
# loader itself call load_demo() directly.
_demo_rows: list[tuple[sa.Table, list[dict]]] | None = None


def _all_tables_empty() -> bool:
    tables = db.metadata.sorted_tables
    counts = db.session.execute(sa.select(*[
        sa.select(sa.func.count()).select_from(t).scalar_subquery().label(f"c{i}") for i, t in enumerate(tables)
    ])).one()
    return not any(counts)


def load_demo_data() -> None:
    """``load_demo(); db.session.commit()`` on an empty database, the same rows each time."""
    global _demo_rows
    from ntbase.demo import load_demo

    db.session.commit()
    empty = not _written and _all_tables_empty()
    if not empty or _demo_rows is None:
        load_demo()
        db.session.commit()
        if empty:
            with db.engine.connect() as conn:
                _demo_rows = [(t, [dict(r) for r in conn.execute(t.select()).mappings()])
                              for t in db.metadata.sorted_tables]
        return
    pg = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica" if pg else "PRAGMA defer_foreign_keys=ON")
        for table, rows in _demo_rows:
            if not rows:
                continue
            conn.execute(table.insert(), rows)
            if pg and "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                    f"(SELECT max(id) FROM \"{table.name}\")) "
                    f"WHERE pg_get_serial_sequence('\"{table.name}\"', 'id') IS NOT NULL")
    db.session.expire_all()


@pytest.fixture()
def demo_data(app_ctx):
    """The demo's rows (ntbase.demo), committed; see ``load_demo_data``."""
    load_demo_data()


@pytest.fixture()
def app_ctx(app):
    """An app context with clean tables; everything a test writes is wiped after it."""
    with app.app_context():
        yield app
        db.session.remove()
        _clean_tables()


@pytest.fixture()
def client(app_ctx):
    return app_ctx.test_client()


@pytest.fixture()
def make_app(database_url, instance_dir):
    """A fresh app with config overrides (CSRF on, rate limits on…), same database."""
    created = []

    def _make(**overrides):
        cfg = base_test_config(database_url, instance_dir)
        cfg.update(overrides)
        a = create_app(cfg)
        a.test_client_class = FreshRequestClient
        a.after_request(refuse_inline_code)
        created.append(a)
        return a

    yield _make
    for a in created:
        with a.app_context():
            db.session.remove()
    # the limiter is one global object: a rate-limited app must not leak into later tests
    _reset_limiter()


@pytest.fixture()
def login(client):
    """login(user) logs the test client in as ``user`` (no password round-trip)."""

    def _login(user, c=None):
        c = c or client
        with c.session_transaction() as sess:
            sess["_user_id"] = str(user.id)
            sess["_fresh"] = True
        return c

    return _login


@pytest.fixture()
def base_a(app_ctx):
    return factories.make_base(name="甲基地", slug="base-a")


@pytest.fixture()
def base_b(app_ctx):
    return factories.make_base(name="乙基地", slug="base-b")


@pytest.fixture()
def learner(app_ctx):
    user = factories.make_learner(real_name="张晓明")
    db.session.commit()
    return user


@pytest.fixture()
def staff_a(app_ctx, base_a):
    from ntbase.kernel.enums import Role

    user = factories.make_user(Role.BASE_STAFF, base=base_a)
    db.session.commit()
    return user


@pytest.fixture()
def staff_b(app_ctx, base_b):
    from ntbase.kernel.enums import Role

    user = factories.make_user(Role.BASE_STAFF, base=base_b)
    db.session.commit()
    return user


@pytest.fixture()
def office(app_ctx):
    from ntbase.kernel.enums import Role

    user = factories.make_user(Role.OFFICE)
    db.session.commit()
    return user


@pytest.fixture()
def admin(app_ctx):
    from ntbase.kernel.enums import Role

    user = factories.make_user(Role.ADMIN)
    db.session.commit()
    return user


@pytest.fixture()
def count_queries(app_ctx):
    """with count_queries() as q: ...; q.count -> SQL statements executed."""
    import contextlib

    @contextlib.contextmanager
    def _count():
        class Counter:
            count = 0
            statements: list = []

        counter = Counter()
        counter.statements = []

        def before(conn, cursor, statement, params, context, executemany):
            counter.count += 1
            counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return _count


@pytest.fixture()
def count_begins(app_ctx):
    """with count_begins() as began: ...; len(began) -> transactions a session began on a
    connection (a BEGIN sent), whichever session."""
    import contextlib

    from sqlalchemy.orm import Session

    @contextlib.contextmanager
    def _count():
        began: list = []

        def on_begin(session, _tx, _conn):
            began.append(session)

        sa.event.listen(Session, "after_begin", on_begin)
        try:
            yield began
        finally:
            sa.event.remove(Session, "after_begin", on_begin)

    return _count


_ = tempfile  # tmp dirs come from pytest


# ---------------------------------------------------------------- the browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if CI:
            pytest.fail(f"Chromium is required in CI but missing at {CHROMIUM}")
        pytest.skip("chromium not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if CI:
            raise
        pytest.skip("playwright not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
