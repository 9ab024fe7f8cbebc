"""Title applicants (notice §4): applicants to Nantong's review committees who lack the
year's public hours have their title certificate postponed until the proof reaches the
office. Services flush only and write the audit log."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import User
from ntbase.accounts.services import find_learner_by_id_number
from ntbase.hours import engine
from ntbase.hours import services as hours
from ntbase.hours.policy import FIRST_YEAR, LAST_YEAR
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.office.applicants.models import Committee, TitleApplication
from ntbase.office.person import assess_many, parse_full_id

audit.register_actions({
    "applicant.register": _l("Registered a title applicant"),
    "applicant.recheck": _l("Re-checked title applicants"),
    "applicant.proof": _l("Recorded public-hours proof"),
    "applicant.export": _l("Exported the title applicants"),
})


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


def get_application(app_id: int) -> TitleApplication:
    app = db.session.get(TitleApplication, app_id)
    if app is None:
        raise DomainError(_("This applicant does not exist."), code="not_found")
    return app


def record_proof(app_id: int, note: str, actor: User, at: datetime | None = None) -> TitleApplication:
    """The public-hours proof reached the office: the title certificate may be issued."""
    app = get_application(app_id)
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
    """The export's header and rows (masked ID numbers only)."""
    header = [_("Name"), _("ID number (masked)"), _("Employer"), _("Year"), _("Review committee"),
              _("Public hours"), _("Required public hours"), _("Round certificate"),
              _("Lacks public hours"), _("Title certificate"), _("Proof recorded")]
    out = []
    for r in rows:
        p = r.learner.profile
        committee = r.application.committee.title
        if r.application.committee_name:
            committee += f" ({r.application.committee_name})"
        out.append([
            p.real_name, p.id_number_masked, p.employer, str(r.application.year), committee,
            engine.fmt(r.assessment.public_hours), engine.fmt(r.assessment.required_public),
            _("Yes") if r.has_round_certificate else _("No"),
            _("Yes") if r.lacks_public else _("No"),
            _("Postponed") if r.postponed else _("May be issued"),
            r.application.proof_recorded_at.strftime("%Y-%m-%d") if r.application.proof_recorded_at else "",
        ])
    return header, out


def postponed_count() -> sa.Select:
    """A count of the applicants whose title certificate is postponed (any year)."""
    return sa.select(sa.func.count(TitleApplication.id)).where(TitleApplication.certificate_postponed)
