"""The audit log: who did what to whose data, when, from where. Append-only.

The application only ever inserts: the ORM refuses to update or delete an
``AuditLog`` row, and on PostgreSQL a trigger refuses it for any client (the
migration must create the same trigger: see ``PG_APPEND_ONLY``). SQLite gets the
UPDATE trigger too; DELETE stays possible there so test clean-up can empty tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l

from ntbase.db import db, now
from ntbase.office.models import AuditLog

# action code -> translated description (shown to office staff and to the person)
ACTIONS = {
    "person.view": _l("Viewed the person's record"),
    "person.lookup": _l("Looked up a person by ID number"),
    "person.lookup_miss": _l("Looked up an ID number with no account"),
    "person.print": _l("Printed the appointment-period check"),
    "person.entry_review": _l("Reviewed an external activity"),
    "api.person_assessment": _l("Read the yearly assessment through the API"),
    "api.verify_bulk": _l("Verified codes through the API"),
    "bulk.upload": _l("Uploaded a bulk verification file"),
    "bulk.download": _l("Downloaded bulk verification results"),
    "applicant.register": _l("Registered a title applicant"),
    "applicant.recheck": _l("Re-checked title applicants"),
    "applicant.proof": _l("Recorded public-hours proof"),
    "applicant.export": _l("Exported the title applicants"),
    "base.certify": _l("Certified a base"),
    "base.status": _l("Changed a base's certification"),
    "base.assess": _l("Recorded a base assessment"),
    "complaint.transition": _l("Handled a complaint"),
    "complaint.view": _l("Viewed a complaint"),
    "complaint.file": _l("Opened a complaint's attachment"),
    "token.create": _l("Created an API token"),
    "token.revoke": _l("Revoked an API token"),
    "stats.export": _l("Exported statistics"),
}

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


def record(action: str, actor=None, *, subject_user_id: int | None = None, object_type: str = "",
           object_id: str | int = "", detail: str = "", ip: str | None = None,
           label: str | None = None) -> AuditLog:
    """Append one row. ``actor`` is a User (or None for the system).

    Callers never pass a full ID number; should one slip into ``detail`` (a file name, a
    typed note), it is masked here, because the log is kept for ever.
    """
    from ntbase.office.bulk import redact_ids

    detail = redact_ids(detail or "")
    row = AuditLog(
        at=now(), actor_id=actor.id if actor is not None else None,
        actor_label=label or actor_label(actor), action=action, subject_user_id=subject_user_id,
        object_type=object_type, object_id=str(object_id or "")[:40], detail=detail[:2000],
        ip=client_ip() if ip is None else ip,
    )
    db.session.add(row)
    return row


@dataclass
class AuditFilter:
    actor: str = ""          # e-mail, name or user id
    action: str = ""
    subject: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def search(f: AuditFilter):
    """A select of audit rows, newest first, for ``db.paginate``."""
    from ntbase.accounts.models import User

    stmt = sa.select(AuditLog)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.subject:
        stmt = stmt.where(AuditLog.subject_user_id == f.subject)
    if f.actor:
        term = f.actor.strip()
        if term.isdigit():
            stmt = stmt.where(AuditLog.actor_id == int(term))
        else:
            like = f"%{term}%"
            ids = sa.select(User.id).where(sa.or_(User.email.ilike(like), User.display_name.ilike(like)))
            stmt = stmt.where(sa.or_(AuditLog.actor_id.in_(ids), AuditLog.actor_label.ilike(like)))
    if f.date_from:
        stmt = stmt.where(AuditLog.at >= datetime.combine(f.date_from, datetime.min.time()))
    if f.date_to:
        stmt = stmt.where(AuditLog.at < datetime.combine(f.date_to + timedelta(days=1), datetime.min.time()))
    from sqlalchemy.orm import selectinload

    return stmt.options(selectinload(AuditLog.actor)).order_by(AuditLog.at.desc(), AuditLog.id.desc())


def views_of(user_id: int, limit: int = 500) -> list[AuditLog]:
    """What the person may see: who touched their record, newest first."""
    from sqlalchemy.orm import selectinload

    return db.session.scalars(
        sa.select(AuditLog).where(AuditLog.subject_user_id == user_id).options(selectinload(AuditLog.actor))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    ).all()
