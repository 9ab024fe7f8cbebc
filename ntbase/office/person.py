"""A person's record for the office (Art. 27), title applicants (notice §4), and the
assessment of many learners at once (statistics) — all by the hours engine.

Look-ups are by the FULL ID number only (exact keyed-hash match); a partial number is
refused before anything is searched or logged. Every view of a record is audited.
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import AppointmentPeriod, LearnerProfile, User
from ntbase.accounts.services import find_learner_by_id_number, parse_id_number
from ntbase.certificates.models import Certificate
from ntbase.hours import engine
from ntbase.hours import services as hours
from ntbase.hours.models import EntryState, ExemptionEvent, LedgerEntry
from ntbase.hours.policy import FIRST_YEAR, load_rules
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.security import mask_id_number, normalize_id_number
from ntbase.office.bulk import escape_cell
from ntbase.office.models import Committee, TitleApplication

LAST_YEAR = 2100


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


def lookup_person(raw_id: str, actor: User) -> User | None:
    """Exact look-up. A miss is audited (with the masked number) and returns None."""
    id_number = parse_full_id(raw_id)
    user = find_learner_by_id_number(id_number)
    if user is None:
        audit.record_view("person.lookup_miss", actor, detail=mask_id_number(id_number))
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


# ---------------------------------------------------------------- title applicants (notice §4)
def parse_year(raw, field_name: str = "year") -> int:
    try:
        year = int(raw)
    except (TypeError, ValueError) as exc:
        raise DomainError(_("Enter a year, e.g. 2021."), field=field_name) from exc
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DomainError(_("Years from %(a)s to %(b)s.", a=FIRST_YEAR, b=LAST_YEAR), field=field_name)
    return year


@dataclass
class ApplicantRow:
    application: TitleApplication
    assessment: engine.Assessment

    @property
    def learner(self) -> User:
        return self.application.learner

    @property
    def lacks_public(self) -> bool:
        """Neither the year's public hours nor a round certificate waiving them."""
        return not self.assessment.public_met

    @property
    def has_round_certificate(self) -> bool:
        return self.assessment.public_waived

    @property
    def postponed(self) -> bool:
        return self.application.certificate_postponed


def _should_postpone(app: TitleApplication, assessment: engine.Assessment) -> bool:
    # notice §4: only Nantong's committees; entrusted reviews follow that committee's rule
    return (app.committee == Committee.NANTONG and app.proof_recorded_at is None
            and not assessment.public_met)


def register_applicant(raw_id: str, year, committee: str, committee_name: str, actor: User,
                       at: datetime | None = None) -> TitleApplication:
    year = parse_year(year)
    id_number = parse_full_id(raw_id)
    learner = find_learner_by_id_number(id_number)
    if learner is None:
        raise DomainError(_("No learner is registered with this ID number. Ask the applicant to "
                            "register on NTBase first."), field="id_number")
    try:
        committee_enum = Committee(committee)
    except ValueError as exc:
        raise DomainError(_("Choose the review committee."), field="committee") from exc
    committee_name = (committee_name or "").strip()[:200]
    if committee_enum == Committee.ENTRUSTED and not committee_name:
        raise DomainError(_("Name the committee the review is entrusted to."), field="committee_name")
    if db.session.scalar(sa.select(TitleApplication.id).where(
            TitleApplication.learner_id == learner.id, TitleApplication.year == year)):
        raise DomainError(_("This person is already registered as an applicant for %(year)s.", year=year),
                          field="id_number")
    app = TitleApplication(learner_id=learner.id, year=year, committee=committee_enum,
                           committee_name=committee_name, created_at=at or now(), created_by_id=actor.id)
    db.session.add(app)
    db.session.flush()
    assessment = hours.assess_learner_year(learner.id, year)
    app.certificate_postponed = _should_postpone(app, assessment)
    db.session.flush()
    audit.record("applicant.register", actor, subject_user_id=learner.id, object_type="title_application",
                 object_id=app.id, detail=f"{year} {committee_enum.value} postponed={app.certificate_postponed}")
    return app


def applicant_rows(year: int) -> list[ApplicantRow]:
    apps = db.session.scalars(
        sa.select(TitleApplication).where(TitleApplication.year == year)
        .options(selectinload(TitleApplication.learner).selectinload(User.profile))
        .order_by(TitleApplication.certificate_postponed.desc(), TitleApplication.id)).all()
    if not apps:
        return []
    verdicts = assess_many(year, sa.select(TitleApplication.learner_id).where(TitleApplication.year == year))
    return [ApplicantRow(a, verdicts[a.learner_id]) for a in apps]


def recheck_applicants(year: int, actor: User) -> tuple[int, int]:
    """Re-evaluate postponements after hours were added: (now postponed, no longer postponed)."""
    postponed = cleared = 0
    for row in applicant_rows(year):
        should = _should_postpone(row.application, row.assessment)
        if should != row.application.certificate_postponed:
            row.application.certificate_postponed = should
            if should:
                postponed += 1
            else:
                cleared += 1
    db.session.flush()
    audit.record("applicant.recheck", actor, object_type="title_application", object_id="",
                 detail=f"{year}: +{postponed} postponed, {cleared} cleared")
    return postponed, cleared


def record_proof(app_id: int, note: str, actor: User, at: datetime | None = None) -> TitleApplication:
    """The public-hours proof reached the office: the title certificate may be issued."""
    app = db.session.get(TitleApplication, app_id)
    if app is None:
        raise DomainError(_("This applicant does not exist."), code="not_found")
    if app.proof_recorded_at is not None:
        raise DomainError(_("The proof has already been recorded."), field="note")
    note = (note or "").strip()
    if len(note) < 2:
        raise DomainError(_("Describe the proof received (e.g. certificate number, date)."), field="note")
    app.certificate_postponed = False
    app.proof_recorded_at = at or now()
    app.proof_recorded_by_id = actor.id
    app.proof_note = note[:2000]
    db.session.flush()
    audit.record("applicant.proof", actor, subject_user_id=app.learner_id, object_type="title_application",
                 object_id=app.id, detail=note[:200])
    return app


def applicant_table(rows: list[ApplicantRow]) -> tuple[list[str], list[list[str]]]:
    header = [_("Name"), _("ID number (masked)"), _("Employer"), _("Year"), _("Review committee"),
              _("Public hours"), _("Required public hours"), _("Round certificate"),
              _("Lacks public hours"), _("Title certificate"), _("Proof recorded")]
    out = []
    for r in rows:
        p = r.learner.profile
        committee = r.application.committee.title
        if r.application.committee_name:
            committee += f" ({r.application.committee_name})"
        out.append([escape_cell(v) for v in (
            p.real_name, p.id_number_masked, p.employer, str(r.application.year), committee,
            engine.fmt(r.assessment.public_hours), engine.fmt(r.assessment.required_public),
            _("Yes") if r.has_round_certificate else _("No"),
            _("Yes") if r.lacks_public else _("No"),
            _("Postponed") if r.postponed else _("May be issued"),
            r.application.proof_recorded_at.strftime("%Y-%m-%d") if r.application.proof_recorded_at else "",
        )])
    return header, out


def table_bytes(header: list[str], rows: list[list[str]], file_format: str, sheet: str = "Sheet1") -> bytes:
    """CSV (UTF-8 with BOM, for Excel) or XLSX; cells must already be escaped."""
    if file_format == "xlsx":
        from openpyxl import Workbook

        from ntbase.office.bulk import xml_safe

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", "", sheet)[:31] or "Sheet1")
        for row in [header, *rows]:
            ws.append([xml_safe(c) for c in row])
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")

