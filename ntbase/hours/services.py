"""The hours ledger: what learners record, what the office reviews, and the assessment of a
learner's years built from accepted entries (the rules are in ntbase.hours.engine).

Services flush, never commit; broken rules raise DomainError with the form field.
Public functions other domains call: assess_learner_year, assess_learner_period,
review_entry, review_exemption, pending_entries, pending_exemptions, add_adjustment,
record_employer_self_study (and ``ntbase.hours.bulk.yearly_verdicts`` for many learners).
"""
from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ntbase.accounts.models import AppointmentPeriod, User
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course, CourseStatus
from ntbase.hours import engine, status
from ntbase.hours.activities import entry_activity, entry_hours, event_exemption, period_for  # noqa: F401  (public here too)
from ntbase.hours.engine import Assessment, PeriodAssessment
from ntbase.hours.events import HoursReviewed, LedgerChanged
from ntbase.hours.models import (
    EntryState,
    Evidence,
    ExemptionEvent,
    LedgerEntry,
    Statement,
    YearlyStatus,
)
from ntbase.hours.policy import FIRST_YEAR, load_rules
from ntbase.kernel.cache import memo
from ntbase.kernel.db import db, now, read_rows
from ntbase.kernel.enums import Category, CertificationStatus
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish

# what a learner may record (course completions enter by themselves; adjustments are the office's)
EXTERNAL_KINDS = ("conference", "training_class", "talent_base_training", "online_course",
                  "self_study", "transfer")
# activities attended on dates: two of them on the same day are suspicious
ATTENDANCE_KINDS = ("course", "conference", "training_class", "talent_base_training")
MAX_PERIOD_YEARS = 10


# ------------------------------------------------------------------ parsing helpers

def parse_decimal(text, field: str, *, half_days: bool = False, maximum: int = 9999) -> Decimal:
    """A positive number of hours (one decimal place) or days (a multiple of 0.5)."""
    try:
        value = Decimal(str(text).strip().replace("，", ".").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field=field) from None
    if not value.is_finite() or value <= 0:
        raise DomainError(_("Enter a number greater than 0."), field=field)
    if value > maximum:
        raise DomainError(_("Enter at most %(n)s.", n=maximum), field=field)
    if half_days and (value * 2) != (value * 2).to_integral_value():
        raise DomainError(_("Days are counted in halves: enter e.g. 1, 1.5 or 2."), field=field)
    if value != value.quantize(Decimal("0.1")):
        raise DomainError(_("Enter at most one decimal place."), field=field)
    return value.quantize(Decimal("0.1"))


def parse_int(text, field: str, *, minimum: int = 0, maximum: int = 100000) -> int:
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number."), field=field) from None
    if not minimum <= value <= maximum:
        raise DomainError(_("Enter a number between %(a)s and %(b)s.", a=minimum, b=maximum), field=field)
    return value


def _today(today: date | None) -> date:
    return today or now().date()


# ------------------------------------------------------------------ external entries

@dataclass
class EntryInput:
    kind: str
    title: str
    start_date: date | None
    end_date: date | None
    organizer: str = ""
    category: str = "specialized"
    level: str | None = None
    region: str | None = None
    days: str | Decimal | None = None
    hours: str | Decimal | None = None


def add_external_entry(learner_id: int, data: EntryInput, evidence: Evidence | None, *,
                       today: date | None = None) -> LedgerEntry:
    """Record something done elsewhere; pending until the office reviews it. An activity
    that spans two years counts in the year it ends (RULES §3)."""
    today = _today(today)
    if data.kind not in EXTERNAL_KINDS:
        raise DomainError(_("Choose what kind of activity this was."), field="kind")
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Enter the name of the activity."), field="title")
    if data.start_date is None:
        raise DomainError(_("Enter the first day."), field="start_date")
    if data.end_date is None:
        raise DomainError(_("Enter the last day."), field="end_date")
    if data.end_date < data.start_date:
        raise DomainError(_("The last day cannot be before the first day."), field="end_date")
    if data.end_date > today:
        raise DomainError(_("Record an activity once it has ended."), field="end_date")
    if data.end_date.year < FIRST_YEAR:
        raise DomainError(_("Only activities from 2011 on can be recorded."), field="end_date")
    category = data.category if data.category in engine.CATEGORIES else None
    if category is None:
        raise DomainError(_("Choose the kind of content."), field="category")
    level = region = None
    days = hours = None
    if data.kind in engine.DAY_KINDS:
        days = parse_decimal(data.days, "days", half_days=True, maximum=366)
        span = (data.end_date - data.start_date).days + 1
        if days > span:
            raise DomainError(_("More days than the dates span (%(n)s).", n=span), field="days")
        if data.kind == "conference":
            if data.level not in engine.CONFERENCE_LEVELS:
                raise DomainError(_("Choose the level of the conference."), field="level")
            level = data.level
    else:
        hours = parse_decimal(data.hours, "hours")
        if data.kind == "transfer":
            if data.region not in engine.REGIONS:
                raise DomainError(_("Choose where the hours were earned."), field="region")
            region = data.region
        if data.kind == "self_study":
            category = "specialized"  # Art. 17(6): counted under its own cap, not as public
    if evidence is None:
        raise DomainError(_("Choose a file (PDF, JPEG or PNG) as evidence."), field="evidence")
    entry = LedgerEntry(
        learner_id=learner_id, year=data.end_date.year, kind=data.kind, category=category,
        level=level, region=region, days=days, hours=hours, title=title[:200],
        organizer=(data.organizer or "").strip()[:200], start_date=data.start_date,
        end_date=data.end_date, state=EntryState.PENDING, source="external", evidence_id=evidence.id,
    )
    db.session.add(entry)
    db.session.flush()
    if entry.kind in ATTENDANCE_KINDS:
        clashes = overlapping_entries(entry)
        if clashes:
            entry.flagged_overlap = True
            for other in clashes:
                if other.state == EntryState.PENDING:
                    other.flagged_overlap = True
            db.session.flush()
    return entry


def record_employer_self_study(learner_id: int, *, title: str, organizer: str, start_date: date | None,
                               end_date: date | None, hours, evidence: Evidence | None,
                               today: date | None = None) -> LedgerEntry:
    """Art. 17(6): self-study the learner's employer planned, organised and examined, with
    the hours the employer converted it into. It enters the learner's ledger pending, for
    the office to review like any external activity (same checks, same evidence rules);
    the engine's self-study cap (1/3 of the year's requirement) applies as to any
    self-study. The learner cannot withdraw it: it is the employer's record
    (``source="employer"``)."""
    entry = add_external_entry(learner_id, EntryInput(kind="self_study", title=title, start_date=start_date,
                                                      end_date=end_date, organizer=organizer, hours=hours),
                               evidence, today=today)
    entry.source = "employer"
    db.session.flush()
    return entry


def overlapping_entries(entry: LedgerEntry) -> list[LedgerEntry]:
    """Other attendance entries of the same learner (not rejected) on overlapping dates."""
    if entry.start_date is None or entry.end_date is None:
        return []
    return db.session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.learner_id == entry.learner_id, LedgerEntry.id != entry.id,
            LedgerEntry.state != EntryState.REJECTED, LedgerEntry.kind.in_(ATTENDANCE_KINDS),
            LedgerEntry.start_date <= entry.end_date, LedgerEntry.end_date >= entry.start_date,
        ).order_by(LedgerEntry.start_date)
    ).all()


def withdraw_entry(entry_id: int, learner_id: int) -> None:
    """A learner takes back a pending entry of their own (nothing was decided yet)."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or entry.learner_id != learner_id:
        raise DomainError(_("This entry does not exist."), code="not_found")
    if entry.state != EntryState.PENDING or entry.source != "external":
        raise DomainError(_("Only entries still pending review can be withdrawn."))
    evidence_id = entry.evidence_id
    db.session.delete(entry)
    db.session.flush()
    _drop_orphan_evidence(evidence_id)


def _drop_orphan_evidence(evidence_id: int | None) -> None:
    if evidence_id is None:
        return
    used = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.evidence_id == evidence_id))
    used += db.session.scalar(sa.select(sa.func.count()).select_from(ExemptionEvent)
                              .where(ExemptionEvent.evidence_id == evidence_id))
    if not used:
        db.session.execute(sa.delete(Evidence).where(Evidence.id == evidence_id))


# ------------------------------------------------------------------ exemption events

@dataclass
class ExemptionInput:
    kind: str
    year: str | int | None = None
    level: str | None = None
    grade: str | int | None = None
    characters: str | int | None = None  # empty: sole-authored
    provincial: str | int | None = 0
    city: str | int | None = 0
    county: str | int | None = 0
    round: str | int | None = None
    title: str = ""


def add_exemption_event(learner_id: int, data: ExemptionInput, evidence: Evidence | None, *,
                        today: date | None = None) -> ExemptionEvent:
    """Record an Art. 17(4)/(5) event or a public-course round certificate; pending review."""
    today = _today(today)
    if data.kind not in engine.EXEMPTION_KINDS:
        raise DomainError(_("Choose what kind of event this was."), field="kind")
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Describe the award, book, degree, papers, exam or certificate."), field="title")
    event = ExemptionEvent(learner_id=learner_id, kind=data.kind, title=title[:200],
                           state=EntryState.PENDING)
    if data.kind == "public_round_certificate":
        event.round = parse_int(data.round, "round", minimum=1, maximum=100)
    else:
        event.year = parse_int(data.year, "year", minimum=FIRST_YEAR, maximum=today.year)
    if data.kind == "award":
        if data.level not in engine.AWARD_LEVELS:
            raise DomainError(_("Choose the level of the award."), field="level")
        event.level = data.level
        event.grade = parse_int(data.grade, "grade", minimum=1, maximum=4)
    elif data.kind == "book":
        if data.characters not in (None, ""):
            event.characters = parse_int(data.characters, "characters", minimum=1, maximum=100_000_000)
    elif data.kind == "papers":
        event.papers_provincial = parse_int(data.provincial or 0, "provincial", maximum=100)
        event.papers_city = parse_int(data.city or 0, "city", maximum=100)
        event.papers_county = parse_int(data.county or 0, "county", maximum=100)
        if not (event.papers_provincial or event.papers_city or event.papers_county):
            raise DomainError(_("Enter how many papers were published."), field="provincial")
    if evidence is None:
        raise DomainError(_("Choose a file (PDF, JPEG or PNG) as evidence."), field="evidence")
    event.evidence_id = evidence.id
    db.session.add(event)
    db.session.flush()
    return event


def withdraw_exemption(event_id: int, learner_id: int) -> None:
    event = db.session.get(ExemptionEvent, event_id)
    if event is None or event.learner_id != learner_id:
        raise DomainError(_("This entry does not exist."), code="not_found")
    if event.state != EntryState.PENDING:
        raise DomainError(_("Only entries still pending review can be withdrawn."))
    evidence_id = event.evidence_id
    db.session.delete(event)
    db.session.flush()
    _drop_orphan_evidence(evidence_id)


# ------------------------------------------------------------------ appointment periods

def record_appointment_period(learner_id: int, start_year, end_year, actor_id: int | None) -> AppointmentPeriod:
    """聘期 as the learner or the office records it; periods of one learner do not overlap."""
    start = parse_int(start_year, "start_year", minimum=FIRST_YEAR, maximum=2100)
    end = parse_int(end_year, "end_year", minimum=FIRST_YEAR, maximum=2100)
    if end < start:
        raise DomainError(_("The period cannot end before it starts."), field="end_year")
    if end - start + 1 > MAX_PERIOD_YEARS:
        raise DomainError(_("An appointment period lasts at most %(n)s years.", n=MAX_PERIOD_YEARS),
                          field="end_year")
    clash = db.session.scalar(sa.select(AppointmentPeriod).where(
        AppointmentPeriod.learner_id == learner_id, AppointmentPeriod.start_year <= end,
        AppointmentPeriod.end_year >= start))
    if clash is not None:
        raise DomainError(_("This overlaps the recorded period %(a)s–%(b)s.", a=clash.start_year,
                            b=clash.end_year), field="start_year")
    period = AppointmentPeriod(learner_id=learner_id, start_year=start, end_year=end,
                               recorded_by_id=actor_id)
    db.session.add(period)
    db.session.flush()
    publish(LedgerChanged(learner_id))
    return period


def periods_of(learner_id: int) -> list[AppointmentPeriod]:
    return db.session.scalars(sa.select(AppointmentPeriod).where(AppointmentPeriod.learner_id == learner_id)
                              .order_by(AppointmentPeriod.start_year.desc())).all()


def delete_appointment_period(period_id: int, learner_id: int) -> None:
    period = db.session.get(AppointmentPeriod, period_id)
    if period is None or period.learner_id != learner_id:
        raise DomainError(_("This period does not exist."), code="not_found")
    db.session.delete(period)
    db.session.flush()
    publish(LedgerChanged(learner_id))


# ------------------------------------------------------------------ office review

def _review(obj, accept: bool, reason: str, actor_id: int, at: datetime | None) -> None:
    if obj.state != EntryState.PENDING:
        raise DomainError(_("This entry has already been reviewed."))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(_("Give the reason for rejecting it; the learner will see it."), field="reason")
    # conditional UPDATE: two officers deciding at once, the first decision stands
    model = type(obj)
    moved = db.session.execute(
        sa.update(model).where(model.id == obj.id, model.state == EntryState.PENDING)
        .values(state=EntryState.ACCEPTED if accept else EntryState.REJECTED, reviewed_by_id=actor_id,
                reviewed_at=at or now(), review_reason=reason[:2000])
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(obj)
    if moved != 1:
        raise DomainError(_("This entry has already been reviewed."))


def review_entry(entry_id: int, accept: bool, reason: str, actor_id: int, *,
                 at: datetime | None = None) -> LedgerEntry:
    """Accept or reject a pending external entry; only accepted entries count."""
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise DomainError(_("This entry does not exist."), code="not_found")
    _review(entry, accept, reason, actor_id, at)
    db.session.flush()
    publish(LedgerChanged(entry.learner_id))
    publish(HoursReviewed("entry", entry.id, entry.learner_id, accept, entry.title, entry.review_reason,
                          entry.reviewed_at))
    return entry


def review_exemption(event_id: int, accept: bool, reason: str, actor_id: int, *,
                     at: datetime | None = None) -> ExemptionEvent:
    event = db.session.get(ExemptionEvent, event_id)
    if event is None:
        raise DomainError(_("This entry does not exist."), code="not_found")
    _review(event, accept, reason, actor_id, at)
    db.session.flush()
    publish(LedgerChanged(event.learner_id))
    publish(HoursReviewed("exemption", event.id, event.learner_id, accept, event.title, event.review_reason,
                          event.reviewed_at))
    return event


def pending_entries(learner_id: int | None = None) -> list[LedgerEntry]:
    """Entries waiting for the office, oldest first, with learner, profile and evidence
    loaded (a fixed number of statements)."""
    q = (sa.select(LedgerEntry).where(LedgerEntry.state == EntryState.PENDING)
         .options(joinedload(LedgerEntry.learner).joinedload(User.profile), joinedload(LedgerEntry.evidence))
         .order_by(LedgerEntry.created_at, LedgerEntry.id))
    if learner_id is not None:
        q = q.where(LedgerEntry.learner_id == learner_id)
    return list(db.session.scalars(q).unique())


def pending_exemptions(learner_id: int | None = None) -> list[ExemptionEvent]:
    q = (sa.select(ExemptionEvent).where(ExemptionEvent.state == EntryState.PENDING)
         .options(joinedload(ExemptionEvent.learner).joinedload(User.profile),
                  joinedload(ExemptionEvent.evidence))
         .order_by(ExemptionEvent.created_at, ExemptionEvent.id))
    if learner_id is not None:
        q = q.where(ExemptionEvent.learner_id == learner_id)
    return list(db.session.scalars(q).unique())


def overlaps_for(entries: list[LedgerEntry]) -> dict[int, list[LedgerEntry]]:
    """For flagged entries, the other entries on overlapping dates (one statement)."""
    flagged = [e for e in entries if e.flagged_overlap and e.start_date and e.end_date]
    if not flagged:
        return {}
    learners = {e.learner_id for e in flagged}
    others = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.learner_id.in_(learners), LedgerEntry.state != EntryState.REJECTED,
        LedgerEntry.kind.in_(ATTENDANCE_KINDS))).all()
    result: dict[int, list[LedgerEntry]] = {}
    for e in flagged:
        result[e.id] = [o for o in others if o.learner_id == e.learner_id and o.id != e.id
                        and o.start_date and o.end_date
                        and o.start_date <= e.end_date and o.end_date >= e.start_date]
    return result


def add_adjustment(learner_id: int, year, hours, category: str, reason: str, actor_id: int) -> LedgerEntry:
    """Art. 17(7): hours the HR bureau decides case by case (e.g. a transfer from outside the
    Delta), with a written reason and the officer's name; accepted at once."""
    y = parse_int(year, "year", minimum=FIRST_YEAR, maximum=now().year)
    h = parse_decimal(hours, "hours")
    if category not in engine.CATEGORIES:
        raise DomainError(_("Choose the kind of content."), field="category")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for this change (e.g. the document number)."), field="reason")
    entry = LedgerEntry(learner_id=learner_id, year=y, kind="adjustment", category=category, hours=h,
                        title=reason[:200], organizer="", state=EntryState.ACCEPTED, source="office",
                        reviewed_by_id=actor_id, reviewed_at=now(), review_reason=reason)
    db.session.add(entry)
    db.session.flush()
    publish(LedgerChanged(learner_id))
    return entry


# ------------------------------------------------------------------ assessment

def _counting(include_pending: bool):
    return (EntryState.ACCEPTED, EntryState.PENDING) if include_pending else (EntryState.ACCEPTED,)


def _assess(year: int, entries, events, periods, rules, rounds) -> Assessment:
    return engine.assess_year(
        year, [entry_activity(e) for e in entries if e.year == year],
        [event_exemption(ev) for ev in events], engine.select_policy(rules, year),
        round_years=rounds, appointment_period=period_for(periods, year))


def assess_learner_year(learner_id: int, year: int, *, include_pending: bool = False) -> Assessment:
    """The engine's assessment of one year from the learner's accepted entries and
    exemption events (``include_pending``: as if every pending one were accepted)."""
    states = _counting(include_pending)
    rules, rounds = load_rules()
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.learner_id == learner_id, LedgerEntry.year == year, LedgerEntry.state.in_(states))
        .order_by(LedgerEntry.end_date, LedgerEntry.id)).all()
    events = db.session.scalars(sa.select(ExemptionEvent).where(
        ExemptionEvent.learner_id == learner_id, ExemptionEvent.state.in_(states))).all()
    periods = db.session.scalars(sa.select(AppointmentPeriod).where(
        AppointmentPeriod.learner_id == learner_id)).all()
    return _assess(year, entries, events, periods, rules, rounds)


def assess_learner_period(learner_id: int, start_year: int, end_year: int) -> PeriodAssessment:
    """Art. 27(2)-(3) over ``start_year``–``end_year`` from accepted entries and events."""
    rules, rounds = load_rules()
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.learner_id == learner_id, LedgerEntry.year.between(start_year, end_year),
        LedgerEntry.state == EntryState.ACCEPTED)).all()
    events = db.session.scalars(sa.select(ExemptionEvent).where(
        ExemptionEvent.learner_id == learner_id, ExemptionEvent.state == EntryState.ACCEPTED)).all()
    return _period(start_year, end_year, entries, events, rules, rounds)


def _period(start_year, end_year, entries, events, rules, rounds) -> PeriodAssessment:
    years: dict[int, tuple[list, list]] = {y: ([], []) for y in range(start_year, end_year + 1)}
    for e in entries:
        if e.year in years:
            years[e.year][0].append(entry_activity(e))
    for ev in events:
        # a round certificate names its year through the round table; file it at the start
        key = ev.year if ev.year is not None else start_year
        if key in years:
            years[key][1].append(event_exemption(ev))
    return engine.assess_period(start_year, end_year, years, rules, round_years=rounds)


# ------------------------------------------------------------------ the learner's overview

@dataclass
class YearView:
    year: int
    assessment: Assessment
    entries: list[LedgerEntry] = field(default_factory=list)
    events: list[ExemptionEvent] = field(default_factory=list)

    @property
    def pending_count(self) -> int:
        return sum(1 for e in self.entries if e.state == EntryState.PENDING) + sum(
            1 for e in self.events if e.state == EntryState.PENDING)


@dataclass
class PeriodView:
    period: AppointmentPeriod
    assessment: PeriodAssessment


@dataclass
class Overview:
    current: YearView
    years: list[YearView]  # newest first, including the current year
    periods: list[PeriodView]
    statements: list[Statement]
    undated_events: list[ExemptionEvent]


def learner_overview(learner_id: int, *, today: date | None = None) -> Overview:
    """Everything the dashboard shows, in a fixed number of statements whatever the history."""
    today = _today(today)
    rules, rounds = load_rules()
    entries = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.learner_id == learner_id)
        .options(selectinload(LedgerEntry.evidence))
        .order_by(LedgerEntry.year.desc(), LedgerEntry.end_date.desc(), LedgerEntry.id.desc())).all()
    events = db.session.scalars(
        sa.select(ExemptionEvent).where(ExemptionEvent.learner_id == learner_id)
        .options(selectinload(ExemptionEvent.evidence))
        .order_by(ExemptionEvent.id.desc())).all()
    periods = db.session.scalars(sa.select(AppointmentPeriod).where(
        AppointmentPeriod.learner_id == learner_id).order_by(AppointmentPeriod.start_year.desc())).all()
    statements = db.session.scalars(sa.select(Statement).where(Statement.learner_id == learner_id)
                                    .order_by(Statement.issued_at.desc(), Statement.id.desc())).all()

    accepted = [e for e in entries if e.state == EntryState.ACCEPTED]
    accepted_events = [ev for ev in events if ev.state == EntryState.ACCEPTED]
    first = min([e.year for e in entries] + [ev.year for ev in events if ev.year]
                + [p.start_year for p in periods if p.start_year <= today.year] + [today.year])
    first = max(first, FIRST_YEAR)
    by_year: dict[int, list] = defaultdict(list)
    for e in entries:
        by_year[e.year].append(e)
    events_by_year: dict[int, list] = defaultdict(list)
    for ev in events:
        if ev.year is not None:
            events_by_year[ev.year].append(ev)
    years = [YearView(y, _assess(y, accepted, accepted_events, periods, rules, rounds),
                      by_year.get(y, []), events_by_year.get(y, []))
             for y in range(today.year, first - 1, -1)]
    period_views = [PeriodView(p, _period(p.start_year, p.end_year, accepted, accepted_events, rules, rounds))
                    for p in periods]
    return Overview(current=years[0], years=years, periods=period_views, statements=list(statements),
                    undated_events=[ev for ev in events if ev.year is None])


@dataclass
class Dashboard:
    current: YearView                 # this year in full: entries, reasons
    history: list[status.Verdict]     # every year newest first, from the kept status
    periods: list[PeriodView]
    statements: list[Statement]
    undated_events: list[ExemptionEvent]


def dashboard(learner_id: int, *, today: date | None = None) -> Dashboard:
    """What the learner's "my hours" page shows, in a fixed number of statements whatever
    the history: this year worked out in full, the other years from the kept status (their
    details on ``year_view``), the appointment periods' Art. 27 checks."""
    today = _today(today)
    rules, rounds = load_rules()
    periods = periods_of(learner_id)
    # this year's entries, and (for the Art. 27 checks) every year of an appointment period
    since = min([today.year] + [p.start_year for p in periods])
    entries = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.learner_id == learner_id, LedgerEntry.year >= since)
        .options(selectinload(LedgerEntry.evidence))
        .order_by(LedgerEntry.end_date.desc(), LedgerEntry.id.desc())).all()
    events = db.session.scalars(
        sa.select(ExemptionEvent).where(ExemptionEvent.learner_id == learner_id)
        .options(selectinload(ExemptionEvent.evidence)).order_by(ExemptionEvent.id.desc())).all()
    statements_ = db.session.scalars(sa.select(Statement).where(Statement.learner_id == learner_id)
                                     .order_by(Statement.issued_at.desc(), Statement.id.desc())).all()
    accepted = [e for e in entries if e.state == EntryState.ACCEPTED]
    accepted_events = [ev for ev in events if ev.state == EntryState.ACCEPTED]
    current = YearView(today.year, _assess(today.year, accepted, accepted_events, periods, rules, rounds),
                       [e for e in entries if e.year == today.year], [ev for ev in events if ev.year == today.year])
    # Art. 27 needs every year of the period worked out exactly (unrounded), not the kept rows
    period_views = [PeriodView(p, _period(p.start_year, p.end_year, accepted, accepted_events, rules, rounds))
                    for p in periods]
    return Dashboard(current, status.years_of(learner_id, today=today), period_views, list(statements_),
                     [ev for ev in events if ev.year is None])


def dashboard_version(learner_id: int) -> str:
    """What the dashboard reads of this learner, summed up in one statement: the number and
    the latest change of their entries, exemptions, appointment periods, statements and kept
    yearly status. Any write to those (an entry, its review, a withdrawal, a deletion, a
    re-judged year) changes it, so the cached dashboard (``views.dashboard``) is rendered
    again; the policy and the catalog (the suggestions) have versions of their own."""
    row = read_rows(_dashboard_version_statement(), {"lid": learner_id})[0]
    return hashlib.blake2b(repr(tuple(row)).encode(), digest_size=8).hexdigest()


@functools.cache
def _dashboard_version_statement() -> sa.Select:
    """Built once: constructing the ten subqueries costs more than running them."""
    columns = []
    for model, stamp in ((LedgerEntry, LedgerEntry.updated_at), (ExemptionEvent, ExemptionEvent.updated_at),
                         (AppointmentPeriod, AppointmentPeriod.updated_at), (Statement, Statement.id),
                         (YearlyStatus, YearlyStatus.updated_at)):
        mine = model.learner_id == sa.bindparam("lid")
        columns += [sa.select(sa.func.count()).select_from(model).where(mine).scalar_subquery(),
                    sa.select(sa.func.max(stamp)).where(mine).scalar_subquery()]
    return sa.select(*columns)


def year_view(learner_id: int, year: int) -> YearView:
    """One year in full (entries, exemptions, the engine's reasons) for the learner's page."""
    rules, rounds = load_rules()
    entries = db.session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.learner_id == learner_id, LedgerEntry.year == year)
        .options(selectinload(LedgerEntry.evidence))
        .order_by(LedgerEntry.end_date.desc(), LedgerEntry.id.desc())).all()
    events = db.session.scalars(sa.select(ExemptionEvent).where(ExemptionEvent.learner_id == learner_id)
                                .options(selectinload(ExemptionEvent.evidence))).all()
    accepted_events = [ev for ev in events if ev.state == EntryState.ACCEPTED]
    a = _assess(year, [e for e in entries if e.state == EntryState.ACCEPTED], accepted_events,
                periods_of(learner_id), rules, rounds)
    return YearView(year, a, list(entries), [ev for ev in events if ev.year == year])


def suggest_courses(assessment: Assessment, *, limit: int = 5, at: datetime | None = None) -> list:
    """Upcoming published courses of certified bases that would fill the gap, cheapest first:
    public ones while public hours are short, otherwise non-public ones when public hours
    can no longer count."""
    if assessment.complies:
        return []
    want = "public" if assessment.shortfall_public > 0 else (
        "non_public" if assessment.shortfall_non_public > 0 else "any")
    if at is None:
        # the same few courses suit every learner with the same kind of gap: kept per process
        # until a catalog write (cache namespace "catalog"), keyed by the hour

        hour = now().replace(minute=0, second=0, microsecond=0)
        ids = memo("catalog", f"suggest:{want}:{limit}:{hour.isoformat()}",
                   lambda: [c.id for c in _suggest_query(want, limit, hour)])
        if not ids:
            return []
        by_id = {c.id: c for c in db.session.scalars(
            sa.select(Course).where(Course.id.in_(ids)).options(joinedload(Course.base)))}
        return [by_id[i] for i in ids if i in by_id]
    return _suggest_query(want, limit, at)


def _suggest_query(want: str, limit: int, at: datetime) -> list:
    q = (sa.select(Course).join(TrainingBase, TrainingBase.id == Course.base_id)
         .where(Course.status == CourseStatus.PUBLISHED, TrainingBase.status == CertificationStatus.CERTIFIED,
                Course.first_session_at > at, Course.seats_taken < Course.capacity)
         .options(joinedload(Course.base))
         .order_by(Course.price_fen, Course.first_session_at, Course.id).limit(limit))
    if want == "public":
        q = q.where(Course.category == Category.PUBLIC)
    elif want == "non_public":
        q = q.where(Course.category != Category.PUBLIC)
    return list(db.session.scalars(q).unique())
