"""The office's employer pages (/office/employers…): confirm, suspend or reinstate an employer
(reason required), its plans and reports, and the Art. 28 assessment figures.

Its own blueprint, outside ``ntbase.office`` (which sits above this domain): every route is
for office staff and admins (``office_required``).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.employers import plans, services
from ntbase.employers.forms import DecisionForm, ReviewForm
from ntbase.employers.models import EmployerState, ReviewState, TrainingPlan, YearlyReport
from ntbase.employers.rules import report_due
from ntbase.employers.views import category_titles
from ntbase.kernel.auth import office_required
from ntbase.kernel.bounds import parse_id
from ntbase.kernel.db import db, now
from ntbase.kernel.forms import submit

bp = Blueprint("employers_office", __name__)


@bp.context_processor
def _helpers():
    return {"state_title": lambda value: EmployerState(value).title, "category_titles": category_titles()}


def _employer_or_404(employer_id: int):
    employer = services.get_employer(employer_id)
    if employer is None:
        abort(404)
    return employer


@bp.get("/office/employers")
@office_required
def index():
    state = request.args.get("state", "")
    return render_template("employers/office_index.html", employers=services.employers_for_office(state),
                           state=state, states=EmployerState)


def _detail(employer, form: DecisionForm | None = None, status: int = 200):
    year = now().year
    return render_template("employers/office_detail.html", employer=employer, form=form or DecisionForm(),
                           admins=services.admins_of(employer.id), staff=services.staff_count(employer.id),
                           plans=plans.plans_of(employer.id), reports=plans.reports_of(employer.id),
                           year=year), status


@bp.get("/office/employers/<int:employer_id>")
@office_required
def detail(employer_id: int):
    return _detail(_employer_or_404(employer_id))


_ACTIONS = {
    "confirm": (services.confirm_employer, lambda: _("Confirmed: the employer can act on NTBase.")),
    "suspend": (services.suspend_employer, lambda: _("Suspended.")),
    "reinstate": (services.reinstate_employer, lambda: _("Reinstated.")),
}


@bp.post("/office/employers/<int:employer_id>/<action>")
@office_required
def decide(employer_id: int, action: str):
    if action not in _ACTIONS:  # confirm / suspend / reinstate
        abort(404)
    employer = _employer_or_404(employer_id)
    form = DecisionForm()
    if form.validate_on_submit():
        change, message = _ACTIONS[action]
        ok, _r = submit(form, lambda: change(employer, current_user, form.reason.data))
        if ok:
            flash(message(), "success")
            return redirect(url_for("employers_office.detail", employer_id=employer.id))
    return _detail(employer, form, 422)


@bp.get("/office/employers/plans")
@office_required
def plans_index():
    return render_template("employers/office_plans.html", plans=plans.submitted_plans(),
                           reports=plans.submitted_reports(), due=report_due)


def _review_page(obj, kind: str, form: ReviewForm, status: int = 200):
    return render_template("employers/office_review.html", obj=obj, kind=kind, form=form,
                           states=ReviewState), status


def _review(model, kind: str, object_id: int, review):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    form = ReviewForm()
    if request.method == "POST" and form.validate_on_submit():
        ok, _r = submit(form, lambda: review(obj, current_user, acknowledge=form.decision.data == "acknowledge",
                                             comment=form.comment.data))
        if ok:
            flash(_("Your review is sent to the employer."), "success")
            return redirect(url_for("employers_office.plans_index"))
        return _review_page(obj, kind, form, 422)
    return _review_page(obj, kind, form)


@bp.route("/office/employers/plans/<int:plan_id>", methods=["GET", "POST"])
@office_required
def plan_review(plan_id: int):
    return _review(TrainingPlan, "plan", plan_id, plans.review_plan)


@bp.route("/office/employers/reports/<int:report_id>", methods=["GET", "POST"])
@office_required
def report_review(report_id: int):
    return _review(YearlyReport, "report", report_id, plans.review_report)


@bp.get("/office/employers/assessment")
@office_required
def assessment():
    today = now().date()
    year = parse_id(request.args.get("year", str(today.year)))
    if year is None or not 2011 <= year <= today.year:
        abort(404)
    return render_template("employers/office_assessment.html", rows=plans.assessment_rows(year, today=today),
                           year=year, years=list(range(today.year, max(2011, today.year - 5) - 1, -1)))
