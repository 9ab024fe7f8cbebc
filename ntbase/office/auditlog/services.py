"""Searching the audit log (admins): by who, what, whose data and when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import User
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.bounds import parse_id


@dataclass
class AuditFilter:
    actor: str = ""          # e-mail, name or user id
    action: str = ""
    subject: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def search(f: AuditFilter):
    """A select of audit rows, newest first, for ``db.paginate``."""
    stmt = sa.select(AuditLog)
    if f.action:
        stmt = stmt.where(AuditLog.action == f.action)
    if f.subject:
        stmt = stmt.where(AuditLog.subject_user_id == f.subject)
    if f.actor:
        term = f.actor.strip()
        if parse_id(term) is not None:  # a user number (bounded: a longer one is a name)
            stmt = stmt.where(AuditLog.actor_id == parse_id(term))
        else:
            like = f"%{term}%"
            ids = sa.select(User.id).where(sa.or_(User.email.ilike(like), User.display_name.ilike(like)))
            stmt = stmt.where(sa.or_(AuditLog.actor_id.in_(ids), AuditLog.actor_label.ilike(like)))
    if f.date_from:
        stmt = stmt.where(AuditLog.at >= datetime.combine(f.date_from, datetime.min.time()))
    if f.date_to:
        stmt = stmt.where(AuditLog.at < datetime.combine(f.date_to + timedelta(days=1), datetime.min.time()))
    return stmt.options(selectinload(AuditLog.actor)).order_by(AuditLog.at.desc(), AuditLog.id.desc())
