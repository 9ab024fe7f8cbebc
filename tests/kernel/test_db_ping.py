"""Pooled PostgreSQL connections are checked after an idle spell, not on every checkout
(kernel.db.ping_after_idle): a connection the server dropped while idle is replaced, and a
busy connection costs no extra round trip."""
import time

import pytest
import sqlalchemy as sa

from ntbase.kernel.db import db


def _pid(app) -> int:
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.commit()
        db.session.remove()
    return pid


def _terminate(pid: int) -> None:
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        other.commit()


@pytest.fixture()
def pg(app_ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("connection pooling is tested on PostgreSQL (NTBASE_TEST_DB=postgres)")


def test_a_connection_dropped_while_idle_is_replaced(pg, make_app):
    app = make_app(DB_PING_AFTER_IDLE=0.05)
    pid = _pid(app)
    _terminate(pid)
    time.sleep(0.1)
    assert _pid(app) != pid, "the dead connection was pinged, found dead, and replaced"


def test_a_busy_connection_is_not_pinged(pg, make_app):
    app = make_app(DB_PING_AFTER_IDLE=60)
    pid = _pid(app)
    with app.app_context():
        seen = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: seen.append(a[2]))
        assert _pid(app) == pid and seen == ["SELECT pg_backend_pid()"], seen
    _terminate(pid)
    # within the idle spell nothing checks it: the next use fails once, and the pool drops it
    with pytest.raises(sa.exc.OperationalError), app.app_context():
        db.session.scalar(sa.text("SELECT 1"))
    assert _pid(app) != pid
