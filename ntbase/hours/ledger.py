"""Entries into a learner's hours ledger from other domains."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.hours.events import LedgerChanged
from ntbase.hours.models import EntryState, LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.kernel.events import publish


def record_course_completion(enrollment, certificate=None) -> LedgerEntry:
    """Credit a completed NTBase course: its declared hours, in its category, for the
    year of its last session. Accepted at once (the base attested it); entered once —
    ``ledger_entry.enrollment_id`` is unique, and a second call returns the first entry."""
    existing = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.enrollment_id == enrollment.id))
    if existing is not None:
        if certificate is not None and existing.certificate_id is None:
            existing.certificate_id = certificate.id
        return existing
    course = enrollment.course
    last = course.last_session_at or (course.sessions[-1].ends_at if course.sessions else now())
    first = course.first_session_at or last
    entry = LedgerEntry(
        learner_id=enrollment.learner_id, year=last.year, kind="course",
        category=course.category.value, hours=course.hours, title=course.title,
        organizer=course.base.name, start_date=first.date(), end_date=last.date(),
        state=EntryState.ACCEPTED, source="course", enrollment_id=enrollment.id,
        certificate_id=certificate.id if certificate is not None else None,
        reviewed_at=now(), review_reason="NTBase course completion",
    )
    db.session.add(entry)
    db.session.flush()
    publish(LedgerChanged(entry.learner_id))
    return entry


def withdraw_certificate_hours(certificate_id: int, actor_id: int | None, reason: str, at) -> int:
    """The certificate behind these entries was revoked: they show as rejected, with the
    reason, and stop counting. Returns the number of entries withdrawn."""
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.certificate_id == certificate_id, LedgerEntry.state == EntryState.ACCEPTED)).all()
    for entry in entries:
        entry.state = EntryState.REJECTED
        entry.reviewed_by_id, entry.reviewed_at = actor_id, at
        entry.review_reason = reason
    db.session.flush()
    for learner_id in {e.learner_id for e in entries}:
        publish(LedgerChanged(learner_id))
    return len(entries)


def repoint_certificate(old_id: int, new_id: int) -> None:
    """A reissued certificate replaces ``old_id``: the entries point at the one in force."""
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.certificate_id == old_id)
                       .values(certificate_id=new_id).execution_options(synchronize_session=False))
