"""Employer pages (/employer…, for its administrators), the employer registration page, and
the learner's “My employer” page (/me/employers).

Thin: parse → call a service → render or redirect; the request's unit of work commits.
Every /employer route finds the employer from the logged-in administrator
(``employer_required``) and every object by id *within that employer*, so the ids of
another employer are not found (404), and nothing is written for a refusal.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.datastructures import FileStorage

from ntbase.catalog.models import Course
from ntbase.employers import groups, plans, services
from ntbase.employers.forms import (
    ActionForm,
    AddAdminForm,
    AnswerForm,
    ConsentForm,
    ContactForm,
    DepartmentForm,
    EndMembershipForm,
    GroupForm,
    InviteForm,
    JoinForm,
    PayForm,
    PlanItemForm,
    PlanSubmitForm,
    RecoveryForm,
    RegisterEmployerForm,
    ReportForm,
    SelfStudyForm,
)
from ntbase.employers.models import MembershipState, ReviewState
from ntbase.hours import engine
from ntbase.hours import services as hours
from ntbase.hours.evidence import MAX_EVIDENCE_BYTES
from ntbase.kernel import tabular
from ntbase.kernel.auth import employer_admin_required, learner_required
from ntbase.kernel.bounds import page_arg, parse_id
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import PROFESSION_SERIES, profession_title
from ntbase.kernel.extensions import limiter
from ntbase.kernel.forms import act, submit
from ntbase.kernel.paging import Page
from ntbase.payments import services as payments

bp = Blueprint("employers", __name__)
PER_PAGE = 50


@bp.context_processor
def _helpers():
    from flask_babel import get_locale

    return {"r1": engine.round1, "summary_rules": ("total", "public", "verdict"),
            "reason_lang": "en" if str(get_locale()).startswith("en") else "zh",
            "profession_title": profession_title, "review_states": ReviewState, "MS": MembershipState,
            "entry_hours": hours.entry_hours}


def employer_required(active: bool = True):
    """Logged in as an administrator of an employer; with ``active``, one the office has
    confirmed and not suspended (otherwise back to the dashboard, which says why)."""

    def decorator(view):
        @wraps(view)
        @employer_admin_required
        def wrapped(*args, **kwargs):
            employer = services.employer_of(current_user)
            if employer is None:
                abort(403)
            if active and not employer.is_active:
                flash(services.inactive_message(employer), "warning")
                return redirect(url_for("employers.dashboard"))
            g.employer = employer
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _year() -> int:
    today = now().date()
    year = parse_id(request.args.get("year", str(today.year)))
    if year is None or not 2011 <= year <= today.year + 1:
        abort(404)
    return year


def _upload(name: str) -> tuple[str, bytes]:
    f: FileStorage | None = request.files.get(name)
    if f is None or not f.filename:
        return "", b""
    return f.filename, f.stream.read(MAX_EVIDENCE_BYTES + 1)


# ---------------------------------------------------------------- registration

@bp.route("/employers/register", methods=["GET", "POST"])
@limiter.limit("20/hour", methods=["POST"])
def register():
    if current_user.is_authenticated:
        flash(_("Log out first to register an employer."), "info")
        return redirect(url_for("main.home"))
    form = RegisterEmployerForm()
    if form.validate_on_submit():
        ok, result = submit(form, lambda: services.register_employer(services.EmployerRegistration(
            name=form.name.data, uscc=form.uscc.data, kind=form.kind.data, district=form.district.data,
            address=form.address.data, contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            admin_email=form.admin_email.data, admin_name=form.admin_name.data, password=form.password.data)))
        if ok:
            _employer, admin = result
            login_user(admin)
            flash(_("Registered. The title office checks your employer's details and confirms it; you will be "
                    "notified."), "success")
            return redirect(url_for("employers.dashboard"))
    return render_template("employers/register.html", form=form), (422 if form.errors else 200)


# ---------------------------------------------------------------- dashboard, details, admins

@bp.get("/employer")
@employer_required(active=False)
def dashboard():
    employer = g.employer
    year = now().year
    counts = {"staff": services.staff_count(employer.id), "invited": len(services.invitations_of(employer.id))}
    return render_template("employers/dashboard.html", employer=employer, counts=counts, year=year,
                           plan=plans.plan_of(employer.id, year), report=plans.report_of(employer.id, year - 1))


@bp.route("/employer/details", methods=["GET", "POST"])
@employer_required(active=False)
def details():
    employer = g.employer
    form = ContactForm(obj=employer)
    if form.validate_on_submit():
        ok, _r = submit(form, lambda: services.update_contact(
            employer, contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
            address=form.address.data, district=form.district.data))
        if ok:
            flash(_("Saved."), "success")
            return redirect(url_for("employers.details"))
    return render_template("employers/details.html", employer=employer, form=form), (422 if form.errors else 200)


@bp.route("/employer/admins", methods=["GET", "POST"])
@employer_required()
def admins():
    employer = g.employer
    form = AddAdminForm()
    if form.validate_on_submit():
        ok, user = submit(form, lambda: services.add_admin(
            employer, current_user, email=form.email.data, display_name=form.display_name.data,
            reset_url_for=lambda token: url_for("accounts.reset", token=token, _external=True)))
        if ok:
            flash(_("%(email)s can now choose a password and log in.", email=user.email), "success")
            return redirect(url_for("employers.admins"))
    return render_template("employers/admins.html", employer=employer, form=form,
                           admins=services.admins_of(employer.id)), (422 if form.errors else 200)


# ---------------------------------------------------------------- staff

def _staff_args() -> dict:
    return {"not_met": request.args.get("not_met") == "1", "department": request.args.get("department", "")[:100],
            "series": request.args.get("series", "")[:32]}


def _render_staff(invite_form: InviteForm, status: int = 200):
    employer = g.employer
    year = _year()
    args = _staff_args()
    staff = services.staff_list(employer, year, **args, page=page_arg(), per_page=PER_PAGE)
    rows = staff.rows
    link_args = {"year": year, **{k: ("1" if v is True else v) for k, v in args.items() if v}}
    return render_template("employers/staff.html", employer=employer, staff=staff, rows=rows, year=year,
                           args=args, link_args=link_args, page=Page(staff.page, staff.pages), invite_form=invite_form,
                           invitations=services.invitations_of(employer.id), action_form=ActionForm(),
                           series_titles={code: str(title) for code, title in PROFESSION_SERIES}), status


@bp.get("/employer/staff")
@employer_required()
def staff():
    return _render_staff(InviteForm())


@bp.get("/employer/staff.<fmt>")
@employer_required()
def staff_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    employer, year = g.employer, _year()
    staff = services.staff_list(employer, year, **_staff_args())
    services.record_export(employer, current_user, staff, fmt)
    header, table = services.staff_table(staff)
    return tabular.download(header, table, fmt, f"staff-hours-{year}.{fmt}", sheet=str(year))


@bp.post("/employer/staff/invite")
@employer_required()
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        ok, membership = submit(form, lambda: services.invite_by_id_number(
            g.employer, current_user, form.id_number.data, form.department.data, form.started_on.data))
        if ok:
            flash(_("%(name)s (%(id)s) is invited and will be on your staff list once they accept.",
                    name=membership.learner.name, id=membership.learner.profile.id_number_masked), "success")
            return redirect(url_for("employers.staff"))
    form.id_number.data = ""  # never echo a full ID number back into the page
    return _render_staff(form, 422)


@bp.post("/employer/join-code")
@employer_required()
def new_join_code():
    if ActionForm().validate_on_submit():
        act(lambda: services.regenerate_join_code(g.employer), _("A new join code was made; the old one no longer works."))
    return redirect(url_for("employers.staff"))


@bp.post("/employer/invitations/<int:membership_id>/withdraw")
@employer_required()
def withdraw(membership_id: int):
    membership = services.membership_of(g.employer, membership_id, current=False)
    if ActionForm().validate_on_submit():
        act(lambda: services.withdraw_invitation(g.employer, membership, current_user), _("Invitation withdrawn."))
    return redirect(url_for("employers.staff"))


@bp.get("/employer/staff/<int:membership_id>")
@employer_required()
def person(membership_id: int):
    employer = g.employer
    membership = services.membership_of(employer, membership_id)
    view = services.person_year(employer, membership, _year(), current_user)
    return render_template("employers/person.html", employer=employer, view=view, a=view.assessment,
                           end_form=EndMembershipForm(), department_form=DepartmentForm(obj=membership),
                           years=list(range(now().year, max(2011, now().year - 5) - 1, -1)))


@bp.post("/employer/staff/<int:membership_id>/end")
@employer_required()
def end_membership(membership_id: int):
    membership = services.membership_of(g.employer, membership_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        if act(lambda: services.end_membership(membership, current_user, employer=g.employer,
                                               ended_on=form.ended_on.data, reason=form.reason.data),
               _("Membership ended: %(name)s is no longer on your staff list.", name=membership.learner.name)):
            return redirect(url_for("employers.staff"))
    return redirect(url_for("employers.person", membership_id=membership_id))


@bp.post("/employer/staff/<int:membership_id>/department")
@employer_required()
def department(membership_id: int):
    membership = services.membership_of(g.employer, membership_id)
    form = DepartmentForm()
    if form.validate_on_submit():
        act(lambda: services.set_department(g.employer, membership, form.department.data), _("Saved."))
    return redirect(url_for("employers.person", membership_id=membership_id))


@bp.route("/employer/staff/<int:membership_id>/self-study", methods=["GET", "POST"])
@employer_required()
def self_study_new(membership_id: int):
    employer = g.employer
    membership = services.membership_of(employer, membership_id)
    form = SelfStudyForm()
    if form.validate_on_submit():
        filename, content = _upload("evidence")
        ok, _row = submit(form, lambda: services.record_self_study(
            employer, membership, current_user, services.SelfStudyInput(
                title=form.title.data, start_date=form.start_date.data, end_date=form.end_date.data,
                hours=form.hours.data, plan=form.plan.data, organisation=form.organisation.data,
                examination=form.examination.data), filename=filename, content=content))
        if ok:
            flash(_("Self-study recorded for %(name)s; it counts once the office accepts it.",
                    name=membership.learner.name), "success")
            return redirect(url_for("employers.self_study_list"))
    return render_template("employers/self_study_form.html", employer=employer, membership=membership,
                           form=form), (422 if form.errors else 200)


@bp.get("/employer/self-study")
@employer_required()
def self_study_list():
    return render_template("employers/self_study_list.html", employer=g.employer,
                           rows=services.self_study_of(g.employer.id))


# ---------------------------------------------------------------- group enrollment

@bp.get("/employer/groups")
@employer_required()
def group_list():
    return render_template("employers/groups.html", employer=g.employer, rows=groups.groups_of(g.employer.id))


@bp.route("/employer/groups/new", methods=["GET", "POST"])
@employer_required()
def group_new():
    employer = g.employer
    form = GroupForm()
    course_id = parse_id(request.values.get("course_id"))
    course = db.session.get(Course, course_id) if course_id else None
    staff = services.staff_list(employer, now().year, **_staff_args()) if course is not None else None
    if staff is not None:
        form.learner_ids.choices = [(r.learner_id, r.real_name) for r in staff.rows]
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        ok, row = submit(form, lambda: groups.enroll_group(employer, current_user, course_id,
                                                           form.learner_ids.data or []))
        if ok:
            flash(_("%(n)s seats are held together for your staff.", n=row.group.size), "success")
            return redirect(url_for("employers.group_detail", group_id=row.id))
        status = 422
    courses = groups.open_courses(request.args.get("q", "")) if course is None else []
    return render_template("employers/group_new.html", employer=employer, form=form, course=course,
                           courses=courses, staff=staff, q=request.args.get("q", ""),
                           rule=groups.course_rule(course) if course is not None else None), status


def _group_page(row, pay_form: PayForm, status: int = 200):
    view = groups.group_view(row)
    if request.method == "GET" and not pay_form.invoice_title.data:
        pay_form.invoice_title.data = g.employer.name
        pay_form.invoice_taxpayer_no.data = g.employer.uscc
    terms = {e.id: groups.enrollments.terms_for(e) for e in view.members}
    return render_template("employers/group_detail.html", employer=g.employer, view=view, pay_form=pay_form,
                           action_form=ActionForm(), terms=terms), status


@bp.get("/employer/groups/<int:group_id>")
@employer_required()
def group_detail(group_id: int):
    return _group_page(groups.group_of(g.employer, group_id), PayForm())


@bp.post("/employer/groups/<int:group_id>/pay")
@employer_required()
def group_pay(group_id: int):
    row = groups.group_of(g.employer, group_id)
    form = PayForm()
    if form.validate_on_submit():
        ok, intent = submit(form, lambda: groups.pay_group(
            g.employer, row, current_user, invoice_title=form.invoice_title.data,
            taxpayer_no=form.invoice_taxpayer_no.data,
            return_path=url_for("employers.group_detail", group_id=row.id)))
        if ok:
            return redirect(payments.checkout_url(intent))
    return _group_page(row, form, 422)


@bp.post("/employer/groups/<int:group_id>/members/<int:enrollment_id>/cancel")
@employer_required()
def group_cancel_member(group_id: int, enrollment_id: int):
    row = groups.group_of(g.employer, group_id)
    enrollment = groups.member_of(row, enrollment_id)
    if ActionForm().validate_on_submit():
        act(lambda: groups.cancel_member(g.employer, row, enrollment, current_user),
            _("%(name)s's enrollment is cancelled.", name=enrollment.learner.name))
    return redirect(url_for("employers.group_detail", group_id=row.id))


@bp.route("/employer/groups/<int:group_id>/members/<int:enrollment_id>/consent", methods=["GET", "POST"])
@employer_required()
def consent(group_id: int, enrollment_id: int):
    row = groups.group_of(g.employer, group_id)
    enrollment = groups.member_of(row, enrollment_id)
    form = ConsentForm()
    if form.validate_on_submit():
        filename, content = _upload("contract")
        ok, _c = submit(form, lambda: groups.record_consent(
            g.employer, row, enrollment, current_user, consented_on=form.consented_on.data, filename=filename,
            content=content, note=form.note.data))
        if ok:
            flash(_("Consent and contract recorded for %(name)s.", name=enrollment.learner.name), "success")
            return redirect(url_for("employers.group_detail", group_id=row.id))
    return render_template("employers/consent.html", employer=g.employer, row=row, enrollment=enrollment,
                           form=form, rule=groups.course_rule(enrollment.course)), (422 if form.errors else 200)


@bp.get("/employer/consents/<int:consent_id>/contract")
@employer_required()
def consent_file(consent_id: int):
    ev = groups.consent_of(g.employer, consent_id).contract
    return Response(ev.data, mimetype=ev.content_type,
                    headers={"Content-Disposition": f'attachment; filename="contract-{consent_id}{ev.filename[-4:]}"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


# ---------------------------------------------------------------- plans and reports

@bp.get("/employer/plans")
@employer_required()
def plan_list():
    employer = g.employer
    return render_template("employers/plans.html", employer=employer, plans=plans.plans_of(employer.id),
                           reports=plans.reports_of(employer.id), year=now().year)


def _plan_year(year: int) -> int:
    today = now().date()
    if not 2011 <= year <= today.year + 1:
        abort(404)
    return year


def _plan_page(year: int, item_form: PlanItemForm, submit_form: PlanSubmitForm, status: int = 200):
    plan = plans.plan_of(g.employer.id, year)
    return render_template("employers/plan.html", employer=g.employer, year=year, plan=plan, item_form=item_form,
                           submit_form=submit_form, action_form=ActionForm()), status


@bp.route("/employer/plans/<int:year>", methods=["GET", "POST"])
@employer_required()
def plan(year: int):
    year = _plan_year(year)
    form = PlanItemForm()
    if form.validate_on_submit():
        ok, _item = submit(form, lambda: plans.add_plan_item(g.employer, year, current_user, plans.PlanItemInput(
            topic=form.topic.data, category=form.category.data, target_staff=form.target_staff.data,
            planned_hours=form.planned_hours.data, budget=form.budget.data)))
        if ok:
            flash(_("Item added."), "success")
            return redirect(url_for("employers.plan", year=year))
    return _plan_page(year, form, PlanSubmitForm(), 422 if form.errors else 200)


@bp.post("/employer/plans/<int:year>/items/<int:item_id>/delete")
@employer_required()
def plan_item_delete(year: int, item_id: int):
    year = _plan_year(year)
    if ActionForm().validate_on_submit():
        act(lambda: plans.remove_plan_item(g.employer, year, item_id, current_user), _("Item removed."))
    return redirect(url_for("employers.plan", year=year))


@bp.post("/employer/plans/<int:year>/submit")
@employer_required()
def plan_submit(year: int):
    year = _plan_year(year)
    form = PlanSubmitForm()
    if form.validate_on_submit():
        if not form.confirm.data:
            form.confirm.errors = [_("Tick the box to confirm the plan is complete.")]
        else:
            ok, version = submit(form, lambda: plans.submit_plan(g.employer, year, current_user))
            if ok:
                flash(_("Version %(n)s of your %(year)s plan is submitted to the HR bureau.", n=version.version,
                        year=year), "success")
                return redirect(url_for("employers.plan", year=year))
    return _plan_page(year, PlanItemForm(), form, 422)


@bp.route("/employer/reports/<int:year>", methods=["GET", "POST"])
@employer_required()
def report(year: int):
    year = _plan_year(year)
    employer = g.employer
    form = ReportForm()
    status = 200
    if form.validate_on_submit():
        ok, version = submit(form, lambda: plans.submit_report(employer, year, current_user, form.note.data))
        if ok:
            flash(_("Version %(n)s of your %(year)s report is submitted to the HR bureau.", n=version.version,
                    year=year), "success")
            return redirect(url_for("employers.report", year=year))
        status = 422
    return render_template("employers/report.html", employer=employer, year=year, form=form,
                           figures=plans.report_figures(employer, year), report=plans.report_of(employer.id, year),
                           category_titles=category_titles()), status


def category_titles() -> dict[str, str]:
    """The report's hour categories, translated for this request."""
    return {"public": _("Public subject"), "specialized": _("Specialized subject"),
            "elective": _("Personal elective"), "self_study": _("Self-study (Art. 17(6))")}


# ---------------------------------------------------------------- fee recovery

@bp.get("/employer/recoveries")
@employer_required()
def recoveries():
    employer = g.employer
    return render_template("employers/recoveries.html", employer=employer, candidates=groups.recoverable(employer),
                           requests=groups.recoveries_of(employer.id), action_form=ActionForm())


@bp.route("/employer/recoveries/new/<int:enrollment_id>", methods=["GET", "POST"])
@employer_required()
def recovery_new(enrollment_id: int):
    employer = g.employer
    candidate = next((c for c in groups.recoverable(employer) if c.enrollment.id == enrollment_id), None)
    if candidate is None:
        abort(404)
    form = RecoveryForm()
    if form.validate_on_submit():
        ok, _r = submit(form, lambda: groups.request_recovery(employer, enrollment_id, current_user,
                                                              amount=form.amount.data, reason=form.reason.data))
        if ok:
            flash(_("The request is sent to %(name)s.", name=candidate.enrollment.learner.name), "success")
            return redirect(url_for("employers.recoveries"))
    return render_template("employers/recovery_form.html", employer=employer, candidate=candidate,
                           form=form), (422 if form.errors else 200)


@bp.post("/employer/recoveries/<int:recovery_id>/withdraw")
@employer_required()
def recovery_withdraw(recovery_id: int):
    if ActionForm().validate_on_submit():
        act(lambda: groups.withdraw_recovery(g.employer, recovery_id, current_user), _("Request withdrawn."))
    return redirect(url_for("employers.recoveries"))


# ---------------------------------------------------------------- the learner's side

def _my_page(join_form: JoinForm | None = None, status: int = 200):
    memberships = services.learner_memberships(current_user.id)
    return render_template("employers/me.html", memberships=memberships, join_form=join_form or JoinForm(),
                           action_form=ActionForm(), answer_form=AnswerForm(),
                           recoveries=groups.recoveries_of_learner(current_user.id)), status


@bp.get("/me/employers")
@learner_required
def my_employers():
    return _my_page()


@bp.post("/me/employers/join")
@learner_required
@limiter.limit("20/hour", methods=["POST"])
def join():
    form = JoinForm()
    if form.validate_on_submit():
        ok, membership = submit(form, lambda: services.join_by_code(current_user, form.code.data))
        if ok:
            flash(_("Found %(name)s. Accept below to link your record to it.", name=membership.employer.name),
                  "success")
            return redirect(url_for("employers.my_employers"))
    return _my_page(form, 422)


@bp.post("/me/employers/<int:membership_id>/accept")
@learner_required
def accept(membership_id: int):
    membership = services.own_membership(current_user.id, membership_id)
    if ActionForm().validate_on_submit():
        act(lambda: services.accept_membership(membership, current_user),
            _("Linked: %(name)s now sees your continuing-education record.", name=membership.employer.name))
    return redirect(url_for("employers.my_employers"))


@bp.post("/me/employers/<int:membership_id>/decline")
@learner_required
def decline(membership_id: int):
    membership = services.own_membership(current_user.id, membership_id)
    if ActionForm().validate_on_submit():
        act(lambda: services.decline_membership(membership, current_user), _("Invitation declined."))
    return redirect(url_for("employers.my_employers"))


@bp.post("/me/employers/<int:membership_id>/end")
@learner_required
def leave(membership_id: int):
    membership = services.own_membership(current_user.id, membership_id)
    if ActionForm().validate_on_submit():
        act(lambda: services.end_membership(membership, current_user),
            _("%(name)s no longer sees your record.", name=membership.employer.name))
    return redirect(url_for("employers.my_employers"))


@bp.post("/me/employers/recoveries/<int:recovery_id>/answer")
@learner_required
def answer(recovery_id: int):
    form = AnswerForm()
    if form.validate_on_submit():
        act(lambda: groups.answer_recovery(recovery_id, current_user, form.answer.data), _("Your answer is sent."))
    else:
        flash(_("Write your answer."), "error")
    return redirect(url_for("employers.my_employers"))
