"""The audit log: who did what to whose data, when, from where. Append-only.

The application only ever inserts: the ORM refuses to update or delete an
``AuditLog`` row, and on PostgreSQL a trigger refuses it for any client (the
migration must create the same trigger: see ``PG_APPEND_ONLY``). SQLite gets the
UPDATE trigger too; DELETE stays possible there so test clean-up can empty tables.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ntbase.kernel.db import db, now
from ntbase.kernel.security import redact_ids


class AuditLog(db.Model):
    """Append-only: every office action and every view of a person's record.

    ``subject_user_id`` is the person whose data was touched, so they can see
    who looked at their record. Never holds a full ID number. The ORM refuses
    updates and deletes (below); on PostgreSQL a trigger does too.
    """

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_subject", "subject_user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    ip: Mapped[str] = mapped_column(sa.String(64), default="")

    actor = relationship("User", foreign_keys=[actor_id], viewonly=True)


# action code -> translated description (shown to office staff and to the person).
# Each domain registers its own codes with ``register_actions`` when it is imported.
ACTIONS: dict[str, object] = {}
PENDING_VIEWS = "ntbase_audit_views"


def register_actions(labels: dict[str, object]) -> None:
    ACTIONS.update(labels)


PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"""
SQLITE_NO_UPDATE = """
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""

sa.event.listen(AuditLog.__table__, "after_create",
                sa.DDL(PG_APPEND_ONLY).execute_if(dialect="postgresql"))
sa.event.listen(AuditLog.__table__, "after_create",
                sa.DDL(SQLITE_NO_UPDATE).execute_if(dialect="sqlite"))


class AppendOnlyError(RuntimeError):
    pass


@sa.event.listens_for(AuditLog, "before_update")
def _refuse_update(_mapper, _conn, target):
    raise AppendOnlyError("audit_log is append-only")


@sa.event.listens_for(AuditLog, "before_delete")
def _refuse_delete(_mapper, _conn, target):
    raise AppendOnlyError("audit_log is append-only")


def api_label(token) -> str:
    """How an API call appears in the log (and to the person): the office system's name and
    the officer who owns its token. No part of the token itself: the person sees this."""
    return f"{actor_label(token.owner)} · API: {token.name}"[:120]


def action_title(code: str) -> str:
    return str(ACTIONS.get(code, code))


def client_ip() -> str:
    """The request's address (ProxyFix, when deployed behind one, sets remote_addr)."""
    if not has_request_context():
        return ""
    return (request.remote_addr or "")[:64]


def actor_label(user) -> str:
    """Who acted, as stored: a name, not a translated role (the row outlives the request's
    language, and the person reads it in theirs)."""
    if user is None:
        return "system"
    return (user.display_name or user.email)[:120]


def _row(action: str, actor, *, subject_user_id, object_type, object_id, detail, ip, label) -> dict:
    # callers never pass a full ID number; should one slip into ``detail`` (a file name, a
    # typed note), it is masked here, because the log is kept for ever
    return dict(at=now(), actor_id=actor.id if actor is not None else None,
                actor_label=label or actor_label(actor), action=action, subject_user_id=subject_user_id,
                object_type=object_type, object_id=str(object_id or "")[:40],
                detail=redact_ids(detail or "")[:2000], ip=client_ip() if ip is None else ip)


def record(action: str, actor=None, *, subject_user_id: int | None = None, object_type: str = "",
           object_id: str | int = "", detail: str = "", ip: str | None = None,
           label: str | None = None) -> AuditLog:
    """Append one row recording an action, in the action's own transaction: if the action
    is rolled back, so is its record. ``actor`` is a User (or None for the system)."""
    row = AuditLog(**_row(action, actor, subject_user_id=subject_user_id, object_type=object_type,
                          object_id=object_id, detail=detail, ip=ip, label=label))
    db.session.add(row)
    return row


def record_view(action: str, actor=None, *, subject_user_id: int | None = None, object_type: str = "",
                object_id: str | int = "", detail: str = "", ip: str | None = None,
                label: str | None = None) -> None:
    """Record that someone looked at personal data. A look cannot be undone: the row is
    written when the unit of work ends, in a transaction of its own, whether the request's
    own writes were committed or rolled back (a form error on the page still showed it)."""
    pending = db.session().info.setdefault(PENDING_VIEWS, [])
    pending.append(_row(action, actor, subject_user_id=subject_user_id, object_type=object_type,
                        object_id=object_id, detail=detail, ip=ip, label=label))


def take_pending_views(session) -> list[dict]:
    """The looks recorded during a unit of work, as rows to insert (the unit of work writes
    them in a transaction of their own after its commit or rollback)."""
    return session.info.pop(PENDING_VIEWS, None) or []


def views_of(user_id: int, limit: int = 500) -> list[AuditLog]:
    """What the person may see: who touched their record, newest first."""
    return db.session.scalars(
        sa.select(AuditLog).where(AuditLog.subject_user_id == user_id).options(selectinload(AuditLog.actor))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    ).all()
