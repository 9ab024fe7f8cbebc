"""Each learner's yearly status, kept rather than recomputed on every read.

A ``YearlyStatus`` row holds what the engine says of one learner's year (counted total and
public hours, the verdict, what is still short, which policy judged it). It is refreshed in
the same transaction as every change that can move it — an entry accepted, rejected,
withdrawn or credited, an exemption decided, an appointment period recorded or removed, a
policy or round changed — through the hours domain's own ``LedgerChanged`` and
``PolicyChanged`` events (``ntbase.hours.handlers``). The dashboard, the employer's staff
list, the office's person record and its statistics read these rows.

Rows exist for the years from a learner's first activity (or exemption, or appointment
period) to the current year; a year without a row is an empty year (nothing counted).
``rebuild()`` recomputes everything from scratch (``flask ntbase hours-rebuild-status``),
and a test checks that the kept rows always equal a full recomputation.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from ntbase.accounts.models import AppointmentPeriod
from ntbase.hours import engine
from ntbase.hours.activities import entry_activity, event_exemption, period_for
from ntbase.hours.events import YearlyStatusChanged
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry, YearlyStatus
from ntbase.hours.policy import FIRST_YEAR, load_rules
from ntbase.kernel.db import db, now
from ntbase.kernel.events import publish

CHUNK = 1000  # learners per statement when rebuilding


@dataclass(frozen=True)
class Verdict:
    """One learner's year as the kept row (or an empty year) says it."""

    learner_id: int
    year: int
    counted_total: Decimal
    counted_public: Decimal
    public_hours: Decimal
    required_total: Decimal
    required_public: Decimal
    complies: bool
    short_total: Decimal
    short_public: Decimal
    total_exempt: bool

    @classmethod
    def of(cls, row: YearlyStatus) -> Verdict:
        return cls(row.learner_id, row.year, row.counted_total, row.counted_public, row.public_hours,
                   row.required_total, row.required_public, row.complies, row.short_total, row.short_public,
                   row.total_exempt)


def _values(a: engine.Assessment) -> dict:
    return {
        "counted_total": engine.round1(a.counted_total),
        "counted_public": engine.round1(a.public_counted),
        "public_hours": engine.round1(a.public_hours),
        "required_total": engine.round1(a.required_total),
        "required_public": engine.round1(a.required_public),
        "complies": bool(a.complies),
        "short_total": engine.round1_up(a.shortfall_total),
        "short_public": engine.round1_up(a.shortfall_public),
        "total_exempt": bool(a.total_exempt),
        "policy_year": a.policy.effective_year,
    }


def _years_of(entries, events, periods, today: date) -> range:
    first = min([e.year for e in entries] + [ev.year for ev in events if ev.year]
                + [p.start_year for p in periods if p.start_year <= today.year] + [today.year])
    return range(max(first, FIRST_YEAR), today.year + 1)


def compute(learner_id: int, entries, events, periods, rules, rounds, today: date) -> dict[int, dict]:
    """year -> row values, from one learner's accepted entries and events (pure)."""
    accepted = [e for e in entries if e.state == EntryState.ACCEPTED]
    accepted_events = [ev for ev in events if ev.state == EntryState.ACCEPTED]
    if not accepted and not accepted_events and not periods:
        return {}
    exemptions = [event_exemption(ev) for ev in accepted_events]
    by_year: dict[int, list] = defaultdict(list)
    for e in accepted:
        by_year[e.year].append(entry_activity(e))
    out = {}
    for year in _years_of(accepted, accepted_events, periods, today):
        a = engine.assess_year(year, by_year.get(year, []), exemptions, engine.select_policy(rules, year),
                               round_years=rounds, appointment_period=period_for(periods, year))
        out[year] = _values(a)
    return out


def _load(learner_ids: list[int]):
    entries: dict[int, list] = defaultdict(list)
    events: dict[int, list] = defaultdict(list)
    periods: dict[int, list] = defaultdict(list)
    for e in db.session.scalars(sa.select(LedgerEntry).where(
            LedgerEntry.learner_id.in_(learner_ids), LedgerEntry.state == EntryState.ACCEPTED)):
        entries[e.learner_id].append(e)
    for ev in db.session.scalars(sa.select(ExemptionEvent).where(
            ExemptionEvent.learner_id.in_(learner_ids), ExemptionEvent.state == EntryState.ACCEPTED)):
        events[ev.learner_id].append(ev)
    for p in db.session.scalars(sa.select(AppointmentPeriod).where(AppointmentPeriod.learner_id.in_(learner_ids))):
        periods[p.learner_id].append(p)
    return entries, events, periods


def refresh(learner_ids: Iterable[int], *, today: date | None = None) -> int:
    """Bring the kept rows of ``learner_ids`` in line with their ledger. Returns rows written."""
    ids = sorted(set(learner_ids))
    today = today or now().date()
    rules, rounds = load_rules()
    written = 0
    changed: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        entries, events, periods = _load(chunk)
        existing = {(r.learner_id, r.year): r for r in db.session.scalars(
            sa.select(YearlyStatus).where(YearlyStatus.learner_id.in_(chunk)))}
        at = now()
        for learner_id in chunk:
            wanted = compute(learner_id, entries[learner_id], events[learner_id], periods[learner_id],
                             rules, rounds, today)
            for year, values in wanted.items():
                row = existing.pop((learner_id, year), None)
                if row is None:
                    db.session.add(YearlyStatus(learner_id=learner_id, year=year, updated_at=at, **values))
                    written += 1
                    changed.add(learner_id)
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    row.updated_at = at
                    written += 1
                    changed.add(learner_id)
        for row in existing.values():  # a year that no longer has anything in it
            db.session.delete(row)
            written += 1
            changed.add(row.learner_id)
    db.session.flush()
    if changed:
        publish(YearlyStatusChanged(tuple(sorted(changed))))
    return written


def learners_with_data() -> sa.Select:
    return sa.union(sa.select(LedgerEntry.learner_id), sa.select(ExemptionEvent.learner_id),
                    sa.select(AppointmentPeriod.learner_id), sa.select(YearlyStatus.learner_id))


def rebuild(*, today: date | None = None) -> int:
    """Recompute every learner's rows from scratch (after a policy change, or by hand)."""
    ids = db.session.scalars(sa.select(learners_with_data().subquery().c[0])).all()
    return refresh(ids, today=today)


def verdicts(learner_ids: Iterable[int], year: int) -> dict[int, Verdict]:
    """The kept status of ``year`` for many learners, in one statement per ``CHUNK``;
    learners with nothing in that year get an empty year under its policy."""
    ids = sorted(set(learner_ids))
    empty = empty_year(year)  # the same statements whoever has a row (policies are memoised)
    found: dict[int, Verdict] = {}
    for i in range(0, len(ids), CHUNK):
        for row in db.session.scalars(sa.select(YearlyStatus).where(
                YearlyStatus.learner_id.in_(ids[i:i + CHUNK]), YearlyStatus.year == year)):
            found[row.learner_id] = Verdict.of(row)
    if len(found) < len(ids):
        for learner_id in ids:
            if learner_id not in found:
                found[learner_id] = Verdict(learner_id, year, **empty)
    return found


def empty_year(year: int) -> dict:
    rules, rounds = load_rules()
    a = engine.assess_year(year, [], [], engine.select_policy(rules, year), round_years=rounds)
    values = _values(a)
    values.pop("policy_year")
    return values


def share_complying(year: int, learner_ids: sa.Select) -> tuple[int, int]:
    """(learners judged, learners meeting the year's requirement) among ``learner_ids``."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(learner_ids.subquery())) or 0
    met = db.session.scalar(sa.select(sa.func.count(YearlyStatus.learner_id)).where(
        YearlyStatus.year == year, YearlyStatus.complies.is_(True),
        YearlyStatus.learner_id.in_(learner_ids))) or 0
    return total, met


def years_of(learner_id: int, *, today: date | None = None) -> list[Verdict]:
    """Every year of one learner, newest first, from their kept rows (one statement): from
    their first year with anything in it to the current year; empty years included."""
    today = today or now().date()
    rows = {r.year: Verdict.of(r) for r in db.session.scalars(
        sa.select(YearlyStatus).where(YearlyStatus.learner_id == learner_id))}
    first = min([*rows, today.year])
    out = []
    for year in range(today.year, first - 1, -1):
        out.append(rows.get(year) or Verdict(learner_id, year, **empty_year(year)))
    return out
