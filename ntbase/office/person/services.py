"""A person's record for the office (Art. 27): look-up by the full ID number, the record,
the appointment-period check, reviewing the person's external entries; and the yearly
assessment of many learners at once (title applicants, statistics) — all by the hours engine.

Look-ups are by the FULL ID number only (exact keyed-hash match); a partial number is
refused before anything is searched or logged. Every view of a record is audited.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import AppointmentPeriod, LearnerProfile, User
from ntbase.accounts.services import find_learner_by_id_number, parse_id_number
from ntbase.certificates.models import Certificate
from ntbase.hours import engine
from ntbase.hours import services as hours
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry
from ntbase.hours.policy import FIRST_YEAR, LAST_YEAR, load_rules
from ntbase.kernel import audit
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import mask_id_number, normalize_id_number

audit.register_actions({
    "person.view": _l("Viewed the person's record"),
    "person.lookup": _l("Looked up a person by ID number"),
    "person.lookup_miss": _l("Looked up an ID number with no account"),
    "person.print": _l("Printed the appointment-period check"),
    "person.entry_review": _l("Reviewed an external activity"),
})


# ---------------------------------------------------------------- look-up
def parse_full_id(raw: str, field_name: str = "id_number") -> str:
    """The normalised full ID number, or a DomainError. Partial numbers are refused."""
    value = normalize_id_number(raw)
    if not value:
        raise DomainError(_("Enter the person's ID number."), field=field_name)
    if "*" in value or len(value) < 18:
        raise DomainError(_("Enter the full 18-character ID number: partial or masked numbers are "
                            "never searched."), field=field_name)
    return parse_id_number(value, field=field_name)


def lookup_person(raw_id: str, actor: User, **audit_detail) -> User | None:
    """Exact look-up. A miss is audited (with the masked number; ``audit_detail`` adds to
    the row, e.g. the API token) and returns None."""
    id_number = parse_full_id(raw_id)
    user = find_learner_by_id_number(id_number)
    if user is None:
        audit.record_view("person.lookup_miss", actor, detail=mask_id_number(id_number), **audit_detail)
    return user


def get_learner(user_id: int) -> User | None:
    user = db.session.scalar(sa.select(User).where(User.id == user_id, User.role == Role.LEARNER)
                             .options(selectinload(User.profile)))
    return user if user is not None and user.profile is not None else None


@dataclass
class PersonRecord:
    learner: User
    overview: hours.Overview
    certificates: list[Certificate]
    pending_entries: list[LedgerEntry]
    pending_exemptions: list[ExemptionEvent]


def person_record(learner: User, actor: User, *, today=None) -> PersonRecord:
    """Everything the office checks, in a fixed number of statements; writes the audit row."""
    overview = hours.learner_overview(learner.id, today=today)
    certificates = db.session.scalars(
        sa.select(Certificate).where(Certificate.learner_id == learner.id)
        .order_by(Certificate.year.desc(), Certificate.issued_at.desc(), Certificate.id.desc())).all()
    pending = [e for yv in overview.years for e in yv.entries if e.state == EntryState.PENDING]
    events = [ev for yv in overview.years for ev in yv.events if ev.state == EntryState.PENDING]
    events += [ev for ev in overview.undated_events if ev.state == EntryState.PENDING]
    audit.record_view("person.view", actor, subject_user_id=learner.id, object_type="user", object_id=learner.id)
    return PersonRecord(learner, overview, list(certificates), pending, events)


def parse_period(start, end) -> tuple[int, int]:
    try:
        start_year, end_year = int(start), int(end)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Enter the first and last year of the appointment period."),
                          field="start_year") from exc
    if not (FIRST_YEAR <= start_year <= LAST_YEAR and FIRST_YEAR <= end_year <= LAST_YEAR):
        raise DomainError(_("Years from %(a)s to %(b)s.", a=FIRST_YEAR, b=LAST_YEAR), field="start_year")
    if end_year < start_year:
        raise DomainError(_("The period must end on or after its start."), field="end_year")
    if end_year - start_year >= hours.MAX_PERIOD_YEARS:
        raise DomainError(_("An appointment period is at most %(n)s years.", n=hours.MAX_PERIOD_YEARS),
                          field="end_year")
    return start_year, end_year


def period_check(learner: User, start_year: int, end_year: int, actor: User) -> engine.PeriodAssessment:
    """Art. 27(2)-(3): average yearly hours over the period, public subjects every year."""
    result = hours.assess_learner_period(learner.id, start_year, end_year)
    audit.record_view("person.print", actor, subject_user_id=learner.id, object_type="user",
                      object_id=learner.id, detail=f"{start_year}-{end_year}")
    return result


def review_external(learner: User, kind: str, object_id: int, accept: bool, reason: str, actor: User):
    """Accept or reject one of this person's pending entries or exemption events."""
    model = LedgerEntry if kind == "entry" else ExemptionEvent
    obj = db.session.get(model, object_id)
    if obj is None or obj.learner_id != learner.id:
        raise DomainError(_("This entry does not exist."), code="not_found")
    if kind == "entry":
        hours.review_entry(object_id, accept, reason, actor.id)
    else:
        hours.review_exemption(object_id, accept, reason, actor.id)
    audit.record("person.entry_review", actor, subject_user_id=learner.id, object_type=kind,
                 object_id=object_id, detail=("accepted" if accept else "rejected") + f": {reason[:200]}")
    return obj


# ---------------------------------------------------------------- many learners at once
def assess_many(year: int, learners: sa.Select | None = None) -> dict[int, engine.Assessment]:
    """The year's assessment of many learners in a fixed number of statements.

    ``learners`` is a select of user ids (default: every learner). The engine is pure,
    so the rules are applied in Python to rows loaded in bulk.
    """
    rules, rounds = load_rules()
    if learners is None:
        learners = sa.select(LearnerProfile.user_id)
    ids = list(db.session.scalars(learners))
    id_filter = learners.scalar_subquery() if hasattr(learners, "scalar_subquery") else learners
    entries = db.session.scalars(sa.select(LedgerEntry).where(
        LedgerEntry.year == year, LedgerEntry.state == EntryState.ACCEPTED,
        LedgerEntry.learner_id.in_(id_filter))).all()
    events = db.session.scalars(sa.select(ExemptionEvent).where(
        ExemptionEvent.state == EntryState.ACCEPTED, ExemptionEvent.learner_id.in_(id_filter))).all()
    periods = db.session.scalars(sa.select(AppointmentPeriod).where(
        AppointmentPeriod.learner_id.in_(id_filter))).all()
    by_entries, by_events, by_periods = defaultdict(list), defaultdict(list), defaultdict(list)
    for e in entries:
        by_entries[e.learner_id].append(hours.entry_activity(e))
    for ev in events:
        by_events[ev.learner_id].append(hours.event_exemption(ev))
    for p in periods:
        by_periods[p.learner_id].append(p)
    policy = engine.select_policy(rules, year)
    return {
        uid: engine.assess_year(year, by_entries.get(uid, []), by_events.get(uid, []), policy,
                                round_years=rounds,
                                appointment_period=hours.period_for(by_periods.get(uid, []), year))
        for uid in ids
    }
