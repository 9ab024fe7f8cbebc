"""Yearly verdicts for many learners at once (an employer's staff list, statistics by
employer), in a fixed number of SQL statements whatever the number of learners.

``yearly_verdicts`` reads the kept yearly status (``ntbase.hours.status``: the engine's
verdict, kept up to date with the ledger in the same transaction): two statements at any
scale. ``detail=True`` works the year out again with the pure engine from the accepted
entries, exemptions and periods (three statements, judged in Python) for what the kept row
does not hold — the hours by category of a yearly report.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

import sqlalchemy as sa

from ntbase.accounts.models import AppointmentPeriod
from ntbase.hours import engine, status
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry, YearlyStatus
from ntbase.hours.policy import load_rules
from ntbase.hours.services import entry_activity, event_exemption, period_for
from ntbase.kernel.db import db


@dataclass(frozen=True)
class Verdict:
    """One learner's year, as the engine judged it (hours to one decimal place; shortfalls
    rounded up, so a year that is not met is never shown as 0 h short)."""

    learner_id: int
    year: int
    counted_total: Decimal
    counted_public: Decimal  # public-subject hours (all of them, for the public minimum)
    complies: bool
    shortfall_total: Decimal
    shortfall_public: Decimal
    total_met: bool = False
    public_met: bool = False
    # hours by category (public / specialized / elective / self_study) before the yearly caps
    hours_by_category: dict = field(default_factory=dict)

    @property
    def shortfall(self) -> Decimal:
        """The larger of the two gaps: what the person must still do at least."""
        return max(self.shortfall_total, self.shortfall_public)


def verdict_of(learner_id: int, assessment: engine.Assessment) -> Verdict:
    by_category: dict[str, Decimal] = defaultdict(lambda: Decimal("0.0"))
    for line in assessment.lines:
        if not line.counted:
            continue
        key = "self_study" if line.activity.kind == "self_study" else line.activity.category
        by_category[key] += engine.round1(line.hours)
    return Verdict(
        learner_id=learner_id, year=assessment.year, counted_total=engine.round1(assessment.counted_total),
        counted_public=engine.round1(assessment.public_hours), complies=assessment.complies,
        shortfall_total=engine.round1_up(assessment.shortfall_total),
        shortfall_public=engine.round1_up(assessment.shortfall_public),
        total_met=assessment.total_met, public_met=assessment.public_met, hours_by_category=dict(by_category))


def yearly_verdicts(learner_ids: Iterable[int] | sa.Select, year: int, *, detail: bool = False) -> dict[int, Verdict]:
    """The ``year`` verdict of each learner in ``learner_ids`` (a list of user ids, or a
    select of them, which keeps very long lists out of the statement's parameters). A
    learner with nothing recorded gets the verdict of an empty year."""
    if not detail:
        return _kept_verdicts(learner_ids, year)
    return _judged_verdicts(learner_ids, year)


KEPT_FIELDS = ("counted_total", "counted_public", "complies", "shortfall_total", "shortfall_public")


def with_kept_year(stmt: sa.Select, learner_id, year: int, *, per_row: bool = False) -> tuple[sa.Select, dict]:
    """``stmt`` outer-joined to the kept ``year`` of the learner in column ``learner_id``, and
    the verdict's columns (``KEPT_FIELDS``: an empty year's values where nothing is kept), for
    lists of many learners filtered, counted and paged in SQL (the employer's staff list).

    ``per_row``: on PostgreSQL, a LATERAL join, one index probe per row of ``stmt``. For a few
    thousand rows out of a city's, the planner would otherwise hash the whole year's table
    (a cost that grows with the city, not with the list); SQLite probes the index anyway."""
    empty = status.empty_year(year)
    if per_row and db.session.get_bind().dialect.name == "postgresql":
        kept = (sa.select(YearlyStatus.counted_total, YearlyStatus.public_hours, YearlyStatus.complies,
                          YearlyStatus.short_total, YearlyStatus.short_public)
                .where(YearlyStatus.learner_id == learner_id, YearlyStatus.year == year)
                .limit(1).lateral("kept"))  # LIMIT (one row anyway): not flattened into a join
        stmt = stmt.outerjoin(kept, sa.true())
        kept = kept.c
    else:
        kept = sa.orm.aliased(YearlyStatus)
        stmt = stmt.outerjoin(kept, sa.and_(kept.learner_id == learner_id, kept.year == year))

    def value(column, key):
        return sa.func.coalesce(column, sa.literal(empty[key], type_=column.type))

    return stmt, {"counted_total": value(kept.counted_total, "counted_total"),
                  "counted_public": value(kept.public_hours, "public_hours"),
                  "complies": value(kept.complies, "complies"),
                  "shortfall_total": value(kept.short_total, "short_total"),
                  "shortfall_public": value(kept.short_public, "short_public")}


def kept_verdict(learner_id: int, year: int, counted_total, counted_public, complies, shortfall_total,
                 shortfall_public) -> Verdict:
    """A ``Verdict`` from the columns of ``with_kept_year``."""
    return Verdict(learner_id=learner_id, year=year, counted_total=Decimal(counted_total),
                   counted_public=Decimal(counted_public), complies=bool(complies),
                   shortfall_total=Decimal(shortfall_total), shortfall_public=Decimal(shortfall_public),
                   total_met=Decimal(shortfall_total) == 0, public_met=Decimal(shortfall_public) == 0)


def _kept_verdicts(learner_ids: Iterable[int] | sa.Select, year: int) -> dict[int, Verdict]:
    if isinstance(learner_ids, sa.Select):
        ids = list(dict.fromkeys(db.session.scalars(learner_ids)))
        rows = db.session.scalars(sa.select(YearlyStatus).where(
            YearlyStatus.year == year, YearlyStatus.learner_id.in_(learner_ids.scalar_subquery())))
        kept = {r.learner_id: status.Verdict.of(r) for r in rows}
        empty = status.empty_year(year)
        if len(kept) < len(ids):
            kept.update({i: status.Verdict(i, year, **empty) for i in ids if i not in kept})
    else:
        ids = list(dict.fromkeys(learner_ids))
        kept = status.verdicts(ids, year)
    return {i: Verdict(learner_id=i, year=year, counted_total=k.counted_total, counted_public=k.public_hours,
                       complies=k.complies, shortfall_total=k.short_total, shortfall_public=k.short_public,
                       total_met=k.short_total == 0, public_met=k.short_public == 0)
            for i in ids for k in (kept[i],)}


def _judged_verdicts(learner_ids: Iterable[int] | sa.Select, year: int) -> dict[int, Verdict]:
    """Three statements (entries, exemption events, appointment periods) plus the policy
    table when it is not cached yet, whatever the number of learners."""
    rules, rounds = load_rules()
    policy = engine.select_policy(rules, year)
    if isinstance(learner_ids, sa.Select):
        ids_filter = learner_ids.scalar_subquery()
        ids: list[int] | None = None
    else:
        ids = list(dict.fromkeys(learner_ids))
        if not ids:
            return {}
        ids_filter = ids
    entries = db.session.execute(sa.select(
        LedgerEntry.learner_id, LedgerEntry.kind, LedgerEntry.days, LedgerEntry.hours, LedgerEntry.category,
        LedgerEntry.level, LedgerEntry.region, LedgerEntry.title)
        .where(LedgerEntry.year == year, LedgerEntry.state == EntryState.ACCEPTED,
               LedgerEntry.learner_id.in_(ids_filter))).all()
    events = db.session.scalars(sa.select(ExemptionEvent).where(
        ExemptionEvent.state == EntryState.ACCEPTED, ExemptionEvent.learner_id.in_(ids_filter))).all()
    periods = db.session.scalars(sa.select(AppointmentPeriod).where(
        AppointmentPeriod.learner_id.in_(ids_filter))).all()
    activities: dict[int, list] = defaultdict(list)
    for row in entries:
        activities[row.learner_id].append(entry_activity(row))
    exemptions: dict[int, list] = defaultdict(list)
    for ev in events:
        exemptions[ev.learner_id].append(event_exemption(ev))
    by_learner_periods: dict[int, list] = defaultdict(list)
    for p in periods:
        by_learner_periods[p.learner_id].append(p)
    if ids is None:  # a select: every learner it names, even those with nothing recorded
        ids = list(db.session.scalars(learner_ids))
    # Many people have the same year (the same 24 public + 66 specialized hours, or nothing
    # yet): the verdict depends only on what the activities are worth, not on their titles
    # or order, so each distinct year is judged once.
    judged: dict[tuple, Verdict] = {}
    out: dict[int, Verdict] = {}
    for uid in ids:
        acts = activities.get(uid, [])
        exs = exemptions.get(uid, [])
        period = period_for(by_learner_periods.get(uid, []), year)
        key = (tuple(sorted((replace(a, title="") for a in acts), key=repr)), tuple(sorted(exs, key=repr)), period)
        verdict = judged.get(key)
        if verdict is None:
            verdict = judged[key] = verdict_of(uid, engine.assess_year(year, acts, exs, policy, round_years=rounds,
                                                                       appointment_period=period))
        out[uid] = verdict if verdict.learner_id == uid else replace(verdict, learner_id=uid)
    return out
