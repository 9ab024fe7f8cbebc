"""The console's figures: each is a room's own count, all read in one statement."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.office import applicants, complaints


def _hours_queue() -> sa.ScalarSelect:
    """The hours review queue (/office/hours/pending): pending entries and exemption claims."""
    entries = sa.select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.state == EntryState.PENDING)
    claims = sa.select(sa.func.count(ExemptionEvent.id)).where(ExemptionEvent.state == EntryState.PENDING)
    return entries.scalar_subquery() + claims.scalar_subquery()


def console_counts(at: datetime | None = None) -> dict:
    at = at or now()
    figures = {
        "pending_entries": _hours_queue(),
        "open_complaints": complaints.open_count().scalar_subquery(),
        "overdue_complaints": complaints.open_count(at, overdue=True).scalar_subquery(),
        "postponed_applicants": applicants.postponed_count().scalar_subquery(),
    }
    row = db.session.execute(sa.select(*figures.values())).one()
    return dict(zip(figures, row, strict=True))
