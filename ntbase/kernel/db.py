"""Declarative base with a naming convention, shared column helpers."""
from __future__ import annotations

import enum
import sqlite3
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
