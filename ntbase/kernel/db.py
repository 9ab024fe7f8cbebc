"""Declarative base with a naming convention, shared column helpers."""
from __future__ import annotations

import enum
import sqlite3
import time
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Nantong keeps one clock: every stored datetime is naive China Standard Time
# (UTC+8, no daylight saving), the time people type and read on every page.
CST = timezone(timedelta(hours=8), "Asia/Shanghai")


def now() -> datetime:
    """The current time as naive China Standard Time."""
    return datetime.now(CST).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


def enum_column(enum_cls: type[enum.Enum], **kw) -> sa.Enum:
    """Store enums by value as VARCHAR plus a CHECK (portable, easy to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=kw.pop("name", enum_cls.__name__.lower()),
        **kw,
    )


def compare_and_set(obj, frm, to, **values) -> bool:
    """Move ``obj.state`` from ``frm`` to ``to`` (and set ``values``) with one conditional
    UPDATE, so two requests racing on the same row cannot both win. On success the loaded
    object is brought up to date without another SELECT; on failure it is expired."""
    model = type(obj)
    result = db.session.execute(
        sa.update(model).where(model.id == obj.id, model.state == frm)
        .values(state=to, **values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.expire(obj)
        return False
    set_committed_value(obj, "state", to)
    for key, value in values.items():
        set_committed_value(obj, key, value)
    return True


def ping_after_idle(engine: sa.engine.Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it has been idle ``idle_seconds`` or
    more (a server restart or a firewall's idle cut shows there), instead of SQLAlchemy's
    ``pool_pre_ping`` on every checkout: that is a BEGIN and a SELECT 1, two round trips on
    every request, more than the whole look-up of the verify API. A dead connection is
    replaced, as with pre-ping; one that dies mid-use fails that request once and is
    discarded with the pool's other connections (SQLAlchemy's disconnect handling)."""

    @sa.event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["ntbase_idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        since = record.info.get("ntbase_idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # new, or in use a moment ago
        try:
            cur = dbapi_conn.cursor()
            cur.execute("SELECT 1")
            cur.close()
            dbapi_conn.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure: give the pool another connection
            raise sa.exc.DisconnectionError(str(exc)) from exc


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
    """SQLite: enforce foreign keys, wait on locks instead of failing at once; write-ahead
    log with ``synchronous=NORMAL``, SQLite's advice for WAL: a commit survives a crash of
    the app, and only a power cut can lose the last commits, never corrupt the file."""
    if isinstance(dbapi_conn, sqlite3.Connection):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


# Schema objects that exist on PostgreSQL only (created by hand in migration 0002):
# autogenerate and the migration test leave them out of the comparison.
PG_ONLY_OBJECTS = {"ix_course_search_trgm"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return name not in PG_ONLY_OBJECTS


_HOLDS = "ntbase_holds_connection"


@sa.event.listens_for(sa.orm.Session, "after_begin")
def _began(session, _transaction, _connection) -> None:
    session.info[_HOLDS] = True


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_HOLDS, None)


def holds_connection(session: sa.orm.Session) -> bool:
    """The session's transaction has begun on a connection (it has read or written), or it
    has changes waiting for the next flush. ``Session.in_transaction()`` is not the same:
    attaching an object (the session user) begins a transaction without a connection."""
    return bool(session.info.get(_HOLDS) or session.new or session.dirty or session.deleted)


def read_rows(stmt, params: dict | None = None) -> list:
    """The rows of a read-only Core ``stmt`` for a request's page: on the request's
    transaction when it has one (it sees that transaction's own writes), otherwise on an
    autocommit connection, the statement alone with no BEGIN and COMMIT around it (the
    personal parts of a cached page, what a cache entry's version is worked out from)."""
    params = params or {}
    if db.session.registry.has() and holds_connection(db.session()):
        return db.session.execute(stmt, params).all()
    return autocommit_rows(stmt, params)


def autocommit_rows(stmt, params: dict) -> list:
    """The rows of a read-only ``stmt`` on an autocommit connection: the statement alone, no
    BEGIN and COMMIT around it (a public look-up, the session user of a request that has no
    transaction yet). Under READ COMMITTED it sees what a transaction's statement would,
    except that transaction's own writes: callers with a transaction read in it."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(stmt, params).all()
