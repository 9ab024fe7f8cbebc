"""Art. 9: the employer's yearly training plan and yearly statistics report, both submitted
to the HR bureau (the office), which acknowledges or comments; every submitted version is
kept as it was. Art. 28: the figures the office assesses employers by.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ntbase.accounts.models import User
from ntbase.bases.models import TrainingBase
from ntbase.catalog.models import Course
from ntbase.employers.groups import spend_by_employer
from ntbase.employers.models import (
    Employer,
    EmployerGroup,
    EmployerState,
    Membership,
    MembershipState,
    PlanEvent,
    PlanItem,
    PlanVersion,
    ReportEvent,
    ReportVersion,
    ReviewState,
    TrainingPlan,
    YearlyReport,
)
from ntbase.employers.rules import report_late
from ntbase.employers.services import compliance_by_employer, require_active, tell, tell_admins
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours import bulk, engine
from ntbase.hours.policy import FIRST_YEAR
from ntbase.hours.services import parse_decimal
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from ntbase.kernel.history import StateMachine
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentIntent, PaymentLine

R = ReviewState


class IllegalReviewChange(DomainError):
    def __init__(self, frm, to):
        super().__init__(_("This cannot go from “%(frm)s” to “%(to)s”.", frm=frm.title if frm else "—",
                           to=to.title), code="illegal_transition")


def _concurrent() -> DomainError:
    return DomainError(_("Someone else changed this at the same moment. Please reload the page."), code="conflict")


PLAN_MACHINE = StateMachine(
    history=PlanEvent, owner_key="plan_id",
    allowed={None: frozenset({R.DRAFT}), R.DRAFT: frozenset({R.SUBMITTED}),
             R.SUBMITTED: frozenset({R.ACKNOWLEDGED, R.COMMENTED, R.DRAFT}),
             R.ACKNOWLEDGED: frozenset({R.DRAFT}), R.COMMENTED: frozenset({R.DRAFT})},
    illegal=IllegalReviewChange, concurrent=_concurrent)
REPORT_MACHINE = StateMachine(
    history=ReportEvent, owner_key="report_id",
    allowed={None: frozenset({R.SUBMITTED}), R.SUBMITTED: frozenset({R.ACKNOWLEDGED, R.COMMENTED, R.SUBMITTED}),
             R.ACKNOWLEDGED: frozenset({R.SUBMITTED}), R.COMMENTED: frozenset({R.SUBMITTED})},
    illegal=IllegalReviewChange, concurrent=_concurrent)


def check_year(year: int, today: date | None = None) -> int:
    today = today or now().date()
    if not FIRST_YEAR <= int(year) <= today.year + 1:
        raise DomainError(_("Years from %(a)s to %(b)s.", a=FIRST_YEAR, b=today.year + 1), field="year",
                          code="not_found")
    return int(year)


def _office_users() -> list[User]:
    return db.session.scalars(sa.select(User).where(User.role.in_((Role.OFFICE, Role.ADMIN)))).all()


# ---------------------------------------------------------------- plans

def plan_of(employer_id: int, year: int) -> TrainingPlan | None:
    return db.session.scalar(sa.select(TrainingPlan).where(TrainingPlan.employer_id == employer_id,
                                                           TrainingPlan.year == year))


def plans_of(employer_id: int) -> list[TrainingPlan]:
    return db.session.scalars(sa.select(TrainingPlan).where(TrainingPlan.employer_id == employer_id)
                              .order_by(TrainingPlan.year.desc())).all()


def _editable_plan(employer: Employer, year: int, actor: User, at: datetime) -> TrainingPlan:
    """The year's plan as a draft: created when missing; a submitted plan that is changed
    becomes a draft again (its submitted versions stay as they were)."""
    plan = plan_of(employer.id, year)
    if plan is None:
        plan = TrainingPlan(employer_id=employer.id, year=year, state=R.DRAFT, created_at=at, updated_at=at)
        db.session.add(plan)
        db.session.flush()
        PLAN_MACHINE.record(plan, None, R.DRAFT, actor.id, "created", at)
    elif plan.state != R.DRAFT:
        PLAN_MACHINE.transition(plan, R.DRAFT, actor.id, "revised after submission", at)
    return plan


@dataclass
class PlanItemInput:
    topic: str
    category: str
    target_staff: str
    planned_hours: str
    budget: str


def add_plan_item(employer: Employer, year: int, actor: User, data: PlanItemInput, *,
                  at: datetime | None = None) -> PlanItem:
    require_active(employer)
    at = at or now()
    year = check_year(year, at.date())
    topic = " ".join((data.topic or "").split())[:200]
    if not topic:
        raise DomainError(_("Enter the topic."), field="topic")
    if data.category not in engine.CATEGORIES:
        raise DomainError(_("Choose the kind of content."), field="category")
    target = " ".join((data.target_staff or "").split())[:200]
    if not target:
        raise DomainError(_("Say who the training is for (e.g. nurses, all engineers, new staff)."),
                          field="target_staff")
    hours = parse_decimal(data.planned_hours, "planned_hours")
    budget = payments.parse_yuan(data.budget, field="budget") if (data.budget or "").strip() not in ("", "0") else 0
    plan = _editable_plan(employer, year, actor, at)
    item = PlanItem(topic=topic, category=data.category, target_staff=target, planned_hours=hours, budget_fen=budget)
    plan.items.append(item)  # through the collection, so the plan object sees it at once
    db.session.flush()
    return item


def remove_plan_item(employer: Employer, year: int, item_id: int, actor: User, *, at: datetime | None = None) -> None:
    require_active(employer)
    at = at or now()
    plan = plan_of(employer.id, year)
    item = db.session.get(PlanItem, item_id)
    if plan is None or item is None or item.plan_id != plan.id:
        raise DomainError(_("This item does not exist."), code="not_found")
    _editable_plan(employer, year, actor, at)
    plan.items.remove(item)  # delete-orphan: the row goes, and the loaded plan no longer lists it
    db.session.flush()


def _snapshot(items: list[PlanItem]) -> list[dict]:
    return [{"topic": i.topic, "category": i.category, "target_staff": i.target_staff,
             "planned_hours": str(i.planned_hours), "budget_fen": int(i.budget_fen)} for i in items]


def submit_plan(employer: Employer, year: int, actor: User, *, at: datetime | None = None) -> PlanVersion:
    """Send the draft to the HR bureau as the next version. A plan that was submitted and
    not changed since cannot be submitted again."""
    require_active(employer)
    at = at or now()
    plan = plan_of(employer.id, year)
    if plan is None or not plan.items:
        raise DomainError(_("Add at least one item to the plan before submitting it."), field="confirm")
    if plan.state != R.DRAFT:
        last = plan.versions[0].version if plan.versions else 0
        raise DomainError(_("This plan was already submitted (version %(n)s) and has not changed since. Change it "
                            "to submit a new version.", n=last), field="confirm", code="already_submitted")
    version = (db.session.scalar(sa.select(sa.func.max(PlanVersion.version)).where(PlanVersion.plan_id == plan.id))
               or 0) + 1
    items = _snapshot(plan.items)
    row = PlanVersion(plan_id=plan.id, version=version, items=items,
                      total_hours=sum((i.planned_hours for i in plan.items), Decimal("0.0")),
                      total_budget_fen=sum(i.budget_fen for i in plan.items), submitted_at=at,
                      submitted_by_id=actor.id)
    db.session.add(row)
    PLAN_MACHINE.transition(plan, R.SUBMITTED, actor.id, f"version {version} submitted", at, office_comment="")
    db.session.flush()
    for officer in _office_users():
        tell(officer, lambda: _("%(name)s submitted its %(year)s training plan", name=employer.name, year=year),
             lambda: _("Version %(n)s, %(items)s items.", n=version, items=len(items)), "/office/employers/plans")
    return row


def review_plan(plan: TrainingPlan, officer: User, *, acknowledge: bool, comment: str,
                at: datetime | None = None) -> TrainingPlan:
    """The HR bureau acknowledges the submitted plan, or comments (a comment is required)."""
    at = at or now()
    comment = (comment or "").strip()
    if not acknowledge and not comment:
        raise DomainError(_("Write the comment the employer should act on."), field="comment")
    if plan.state != R.SUBMITTED:
        raise DomainError(_("Only a submitted plan can be reviewed."), field="comment", code="not_submitted")
    to = R.ACKNOWLEDGED if acknowledge else R.COMMENTED
    PLAN_MACHINE.transition(plan, to, officer.id, comment or "acknowledged", at, office_comment=comment[:4000])
    audit.record("office.employer_plan", officer, object_type="training_plan", object_id=plan.id,
                 detail=f"{to.value}: {comment}"[:2000])
    tell_admins(plan.employer_id, lambda: _("The HR bureau reviewed your %(year)s plan: %(state)s", year=plan.year,
                                            state=to.title), lambda: comment, f"/employer/plans/{plan.year}")
    return plan


def submitted_plans() -> list[TrainingPlan]:
    """Plans waiting for the office first, then the others, newest year first."""
    return db.session.scalars(sa.select(TrainingPlan).where(TrainingPlan.state != R.DRAFT)
                              .options(joinedload(TrainingPlan.employer))
                              .order_by(sa.case((TrainingPlan.state == R.SUBMITTED, 0), else_=1),
                                        TrainingPlan.year.desc(), TrainingPlan.id)).all()


# ---------------------------------------------------------------- yearly reports

def staff_of_year_ids(employer_id: int, year: int) -> sa.Select:
    """Everyone who was on the employer's staff at some time in ``year``."""
    t0, t1 = date(year, 1, 1), date(year, 12, 31)
    return sa.select(Membership.learner_id).where(
        Membership.employer_id == employer_id, Membership.state.in_((MembershipState.ACTIVE, MembershipState.ENDED)),
        Membership.started_on <= t1, sa.or_(Membership.ended_on.is_(None), Membership.ended_on >= t0)).distinct()


def report_figures(employer: Employer, year: int) -> dict:
    """What the report states, from NTBase's own records (JSON: the version keeps it)."""
    verdicts = bulk.yearly_verdicts(staff_of_year_ids(employer.id, year), year, detail=True)  # hours by category
    staff = len(verdicts)
    meeting = sum(1 for v in verdicts.values() if v.complies)
    by_category: dict[str, Decimal] = defaultdict(lambda: Decimal("0.0"))
    for v in verdicts.values():
        for key, h in v.hours_by_category.items():
            by_category[key] += h
    t0, t1 = datetime(year, 1, 1), datetime(year + 1, 1, 1)
    rows = db.session.execute(
        sa.select(TrainingBase.name, sa.func.count(sa.distinct(Enrollment.id)),
                  sa.func.sum(PaymentLine.amount_fen - PaymentLine.refunded_fen))
        .select_from(EmployerGroup)
        .join(PaymentIntent, PaymentIntent.group_id == EmployerGroup.group_id)
        .join(PaymentLine, PaymentLine.payment_id == PaymentIntent.id)
        .join(Enrollment, Enrollment.id == PaymentLine.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id).join(TrainingBase, TrainingBase.id == Course.base_id)
        .where(EmployerGroup.employer_id == employer.id, PaymentIntent.succeeded_at >= t0,
               PaymentIntent.succeeded_at < t1)
        .group_by(TrainingBase.name).order_by(TrainingBase.name)).all()
    completed = db.session.scalar(
        sa.select(sa.func.count(Enrollment.id)).join(EmployerGroup, EmployerGroup.group_id == Enrollment.group_id)
        .where(EmployerGroup.employer_id == employer.id, Enrollment.state == EnrollmentState.COMPLETED,
               Enrollment.completed_at >= t0, Enrollment.completed_at < t1)) or 0
    plan = plan_of(employer.id, year)
    planned = plan.versions[0] if plan is not None and plan.versions else None
    return {
        "year": year, "staff": staff, "meeting": meeting,
        "share": round(meeting * 100 / staff, 1) if staff else 0.0,
        "hours_by_category": {k: str(by_category.get(k, Decimal("0.0")))
                              for k in ("public", "specialized", "elective", "self_study")},
        "spend_fen": sum(int(s or 0) for _b, _n, s in rows),
        "per_base": [{"base": b, "enrollments": int(n), "spend_fen": int(s or 0)} for b, n, s in rows],
        "completed_enrollments": int(completed),
        "plan_version": planned.version if planned else None,
        "planned_hours": str(planned.total_hours) if planned else None,
        "planned_budget_fen": planned.total_budget_fen if planned else None,
    }


def report_of(employer_id: int, year: int) -> YearlyReport | None:
    return db.session.scalar(sa.select(YearlyReport).where(YearlyReport.employer_id == employer_id,
                                                           YearlyReport.year == year))


def reports_of(employer_id: int) -> list[YearlyReport]:
    return db.session.scalars(sa.select(YearlyReport).where(YearlyReport.employer_id == employer_id)
                              .order_by(YearlyReport.year.desc())).all()


def submit_report(employer: Employer, year: int, actor: User, note: str = "", *,
                  at: datetime | None = None) -> ReportVersion:
    """The employer reviewed the generated figures and submits them (with its note) as the
    next version. The same figures and note as the last version are not submitted twice."""
    require_active(employer)
    at = at or now()
    year = check_year(year, at.date())
    if year > at.year:
        raise DomainError(_("A year can be reported once it has begun."), field="note")
    figures = report_figures(employer, year)
    note = (note or "").strip()[:4000]
    report = report_of(employer.id, year)
    if report is not None:
        last = report.versions[0] if report.versions else None
        if last is not None and last.figures == figures and last.note == note and report.state != R.COMMENTED:
            raise DomainError(_("This report was already submitted (version %(n)s) with the same figures and note.",
                                n=last.version), field="note", code="already_submitted")
    if report is None:
        report = YearlyReport(employer_id=employer.id, year=year, state=R.SUBMITTED, first_submitted_at=at,
                              created_at=at, updated_at=at)
        db.session.add(report)
        db.session.flush()
        REPORT_MACHINE.record(report, None, R.SUBMITTED, actor.id, "version 1 submitted", at)
        version = 1
    else:
        version = (db.session.scalar(sa.select(sa.func.max(ReportVersion.version))
                                     .where(ReportVersion.report_id == report.id)) or 0) + 1
        REPORT_MACHINE.transition(report, R.SUBMITTED, actor.id, f"version {version} submitted", at,
                                  office_comment="")
    row = ReportVersion(report_id=report.id, version=version, figures=figures, note=note, submitted_at=at,
                        submitted_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    for officer in _office_users():
        tell(officer, lambda: _("%(name)s submitted its %(year)s statistics report", name=employer.name, year=year),
             lambda: _("Version %(n)s.", n=version), "/office/employers/plans")
    return row


def review_report(report: YearlyReport, officer: User, *, acknowledge: bool, comment: str,
                  at: datetime | None = None) -> YearlyReport:
    at = at or now()
    comment = (comment or "").strip()
    if not acknowledge and not comment:
        raise DomainError(_("Write the comment the employer should act on."), field="comment")
    if report.state != R.SUBMITTED:
        raise DomainError(_("Only a submitted report can be reviewed."), field="comment", code="not_submitted")
    to = R.ACKNOWLEDGED if acknowledge else R.COMMENTED
    REPORT_MACHINE.transition(report, to, officer.id, comment or "acknowledged", at, office_comment=comment[:4000])
    audit.record("office.employer_plan", officer, object_type="employer_report", object_id=report.id,
                 detail=f"{to.value}: {comment}"[:2000])
    tell_admins(report.employer_id, lambda: _("The HR bureau reviewed your %(year)s report: %(state)s",
                                              year=report.year, state=to.title), lambda: comment,
                f"/employer/reports/{report.year}")
    return report


def submitted_reports() -> list[YearlyReport]:
    return db.session.scalars(sa.select(YearlyReport).options(joinedload(YearlyReport.employer))
                              .order_by(sa.case((YearlyReport.state == R.SUBMITTED, 0), else_=1),
                                        YearlyReport.year.desc(), YearlyReport.id)).all()


# ---------------------------------------------------------------- Art. 28 assessment

@dataclass
class AssessmentRow:
    employer: Employer
    staff: int
    meeting: int
    spend_fen: int
    plan_state: ReviewState | None
    report_state: ReviewState | None
    late_reports: list[int] = field(default_factory=list)  # years whose report was late or is missing

    @property
    def share(self) -> float:
        return round(self.meeting * 100 / self.staff, 1) if self.staff else 0.0


def assessment_rows(year: int, *, today: date | None = None) -> list[AssessmentRow]:
    """Art. 28: for every confirmed or suspended employer, its current staff and how many
    meet ``year``'s requirement, what it spent on their training that year, its plan and
    report for the year, and the reports it filed late (or not at all) since it was
    confirmed. A fixed number of statements."""
    today = today or now().date()
    compliance = {r.employer.id: r for r in compliance_by_employer(year)}
    spend = spend_by_employer(year)
    plans = {p.employer_id: p.state for p in db.session.scalars(
        sa.select(TrainingPlan).where(TrainingPlan.year == year))}
    reports_by_employer: dict[int, dict[int, YearlyReport]] = defaultdict(dict)
    for r in db.session.scalars(sa.select(YearlyReport)):
        reports_by_employer[r.employer_id][r.year] = r
    rows = []
    for employer_id, c in compliance.items():
        employer = c.employer
        if employer.state == EmployerState.PENDING:
            continue
        first = (employer.confirmed_at or employer.created_at).year
        own = reports_by_employer.get(employer_id, {})
        late = [y for y in range(first, today.year)
                if report_late(y, own[y].first_submitted_at.date() if y in own and own[y].first_submitted_at
                               else None, today)]
        rows.append(AssessmentRow(employer, c.staff, c.meeting, spend.get(employer_id, 0), plans.get(employer_id),
                                  own[year].state if year in own else None, late))
    return rows
