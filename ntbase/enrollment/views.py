"""Enrollment pages: enroll, pay, my courses, cancel, calendar; the base's roster and figures.

Thin: parse → call a service → commit once → render or redirect. Every /manage route checks
``require_base_manager(course.base_id)`` before anything else.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ntbase.bases.models import TrainingBase
from ntbase.catalog import services as catalog
from ntbase.catalog.models import Course
from ntbase.enrollment import export, ics, services
from ntbase.enrollment.forms import (
    ActionForm,
    CheckoutForm,
    EnrollForm,
    ManualEnrollForm,
    StaffRefundForm,
)
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel import charts, tabular
from ntbase.kernel.auth import base_manager_required, learner_required, require_base_manager
from ntbase.kernel.cache import cached_page, register_filler, render_part
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import act, attach_error
from ntbase.kernel.limits import id_number_lookup
from ntbase.payments import services as payments
from ntbase.payments.models import Refund, RefundState

bp = Blueprint("enrollment", __name__)
S = EnrollmentState


def _course_enroll_part(course_id: int, **_kw) -> str:
    """The course page's enroll box for the learner looking: their enrollment if they have
    one, else the form (filled into the shared cached course page, ``kernel.cache``, which
    fills personal parts for logged-in learners only)."""
    course, mine = services.enroll_box(course_id, current_user.id)
    if course is None:
        return ""  # the course went between the page's cache and this fill: no box
    return render_part("catalog/_enroll_action.html", course=course, my_enrollment=mine)


register_filler("course-enroll", _course_enroll_part)


def _enroll_form_part(course_id: int, **_kw) -> str:
    """The enrollment page's part for the learner looking: their enrollment if they have one,
    else why the course takes none now, else the form (one statement: the enroll box)."""
    course, mine = services.enroll_box(course_id, current_user.id)
    if course is None:
        return ""
    problem = services.closed_reason(course.status, course.base.is_open, course.enroll_opens_at,
                                     course.enroll_closes_at, now())
    return render_part("enrollment/_enroll_form.html", course=course, existing=mine,
                       problem=problem.message if problem else None)


register_filler("enroll-form", _enroll_form_part)


def _course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course


def _listed_course_or_404(course_id: int) -> Course:
    """A course as learners may see it: a draft is its base's own until published, so to a
    learner it does not exist (as on the course page)."""
    course = _course_or_404(course_id)
    if not catalog.visible_to(course, current_user):
        abort(404)
    return course


def _own_enrollment_or_404(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.learner_id != current_user.id:
        abort(404)  # another learner's enrollment does not exist for you
    return enrollment


def _already_enrolled():
    flash(services.duplicate_message(), "info")
    return redirect(url_for("enrollment.my_courses"))


def _after_enroll(enrollment: Enrollment):
    if enrollment.state == S.HELD:
        return redirect(url_for("enrollment.checkout", enrollment_id=enrollment.id))
    if enrollment.state == S.CONFIRMED:
        flash(_("You are enrolled. The course is in “My courses” and in your calendar feed."), "success")
    elif enrollment.state == S.WAITLISTED:
        flash(_("The course is full. You are number %(n)s on the waitlist; we will tell you when a seat "
                "is free.", n=services.waitlist_position(enrollment)), "info")
    return redirect(url_for("enrollment.my_courses"))


# --- learner ------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/enroll", methods=["GET", "POST"])
@learner_required
def enroll(course_id: int):
    if request.method == "GET":
        return _enroll_page(course_id=course_id)  # by keyword: the fillers get the view's arguments
    course = _listed_course_or_404(course_id)
    form = EnrollForm()
    problem = None
    if form.validate_on_submit():
        try:
            enrollment = services.enroll_learner(course, current_user)
        except DomainError as err:
            db.session.rollback()
            if err.code == "duplicate":
                return _already_enrolled()
            problem = err.message  # shown once, in the page, where the button was
        except IntegrityError:
            # a second click raced the first past the check: the unique index caught it
            db.session.rollback()
            return _already_enrolled()
        else:
            return _after_enroll(enrollment)
    if problem is None:
        try:
            services.check_open_for_enrollment(course, now())
        except DomainError as err:
            problem = err.message
    existing = services.live_enrollment(course.id, current_user.id)
    # refused: the page again with the learner's part in place, saying why
    return render_template("enrollment/enroll.html", course=course, form=form, problem=problem,
                           existing=existing, deadline=services.refund_deadline(
                               course.first_session_at, course.refund_cutoff_hours)), 422


@cached_page("catalog")
def _enroll_page(course_id: int):
    """What every learner sees of a course's enrollment page (its facts, fees, schedule):
    cached with the catalog, as the course page is; the learner's part (``enroll-form``)
    filled on each request."""
    course = _listed_course_or_404(course_id)
    return render_template("enrollment/enroll.html", course=course, deadline=services.refund_deadline(
        course.first_session_at, course.refund_cutoff_hours))


@bp.get("/me/courses")
@learner_required
def my_courses():
    rows = services.learner_enrollments(current_user.id)
    at = now()
    return render_template("enrollment/my_courses.html", rows=rows, at=at,
                           positions=services.waitlist_positions(rows),
                           terms={e.id: services.terms_for(e, at) for e in rows},
                           feed_url=url_for("enrollment.calendar", token=ics.calendar_token(current_user),
                                            _external=True),
                           form=ActionForm())


@bp.route("/me/enrollments/<int:enrollment_id>/pay", methods=["GET", "POST"])
@learner_required
def checkout(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    if enrollment.group_id is not None:  # the employer pays for this seat, not the learner
        flash(services.group_member_message(enrollment), "info")
        return redirect(url_for("enrollment.my_courses"))
    if request.method == "POST":
        services.sweep_expired(learner_id=current_user.id)  # a lapsed hold cannot be paid for
    if enrollment.state in (S.CONFIRMED, S.COMPLETED):
        flash(_("This enrollment is already paid and confirmed."), "info")  # back button, second click
        return redirect(url_for("enrollment.my_courses"))
    if enrollment.state != S.HELD or services.hold_lapsed(enrollment):
        flash(_("This seat is no longer held for you. Enroll again to get a new seat."), "error")
        return redirect(url_for("enrollment.my_courses"))
    last = enrollment.last_payment
    form = CheckoutForm(data={"invoice_title": last.invoice_title, "invoice_taxpayer_no": last.invoice_taxpayer_no}
                        if last and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            intent = services.start_payment(enrollment, current_user.id)
            payments.set_invoice(intent, form.invoice_title.data, form.invoice_taxpayer_no.data)
            if intent.provider == "sandbox" and not payments.sandbox_enabled():
                raise DomainError(_("Online payment is not available at present. Your seat stays held until "
                                    "%(when)s; please contact the training base to pay.",
                                    when=enrollment.hold_expires_at.strftime("%Y-%m-%d %H:%M")))
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        except IntegrityError:
            # a double click created the same attempt twice: the first one stands, go and pay it
            db.session.rollback()
            return redirect(url_for("enrollment.checkout", enrollment_id=enrollment_id))
        else:
            return redirect(payments.checkout_url(intent))
    return render_template("enrollment/checkout.html", enrollment=enrollment, course=enrollment.course,
                           form=form), (422 if form.errors else 200)


@bp.post("/me/enrollments/<int:enrollment_id>/accept")
@learner_required
def accept(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    if ActionForm().validate_on_submit():
        if enrollment.state in (S.HELD, S.CONFIRMED):
            return _after_enroll(enrollment)  # a second click: already accepted
        if act(lambda: services.accept_offer(enrollment, current_user.id), ""):
            return _after_enroll(enrollment)
    return redirect(url_for("enrollment.my_courses"))


@bp.post("/me/enrollments/<int:enrollment_id>/cancel")
@learner_required
def cancel(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    if ActionForm().validate_on_submit():
        services.sweep_expired(learner_id=current_user.id)  # a hold that ran out is expired, not cancelled
        if enrollment.state in (S.CANCELLED, S.EXPIRED):  # a second click, or the hold ran out meanwhile
            flash(_("This enrollment is already cancelled.") if enrollment.state == S.CANCELLED
                  else _("This enrollment has already expired: there is nothing to cancel."), "info")
            return redirect(url_for("enrollment.my_courses"))
        try:
            terms = services.cancel_enrollment(enrollment, current_user.id)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            if terms.refund_fen:
                flash(_("Enrollment cancelled. %(amount)s is being refunded to your original payment method.",
                        amount=payments.yuan(terms.refund_fen)), "success")
            elif terms.reason == "late":
                flash(_("Enrollment cancelled, without a refund: the refund deadline had passed."), "info")
            else:
                flash(_("Enrollment cancelled."), "success")
    return redirect(url_for("enrollment.my_courses"))


@bp.get("/me/enrollments/<int:enrollment_id>/receipt")
@learner_required
def receipt(enrollment_id: int):
    enrollment = _own_enrollment_or_404(enrollment_id)
    return render_template("enrollment/receipt.html", enrollment=enrollment, course=enrollment.course)


@bp.get("/calendar/<token>.ics")
def calendar(token: str):
    """The learner's private feed: the signed token is the only key, so no login."""
    user = ics.user_for_token(token)
    if user is None:
        abort(404)
    return Response(ics.build_calendar(user), mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="ntbase.ics"',
                             "Cache-Control": "private, max-age=300"})


# --- base staff ---------------------------------------------------------------------------

def _managed_course(course_id: int) -> Course:
    course = _course_or_404(course_id)
    require_base_manager(course.base_id)
    return course


def _render_roster(course: Course, form: ManualEnrollForm, status: int = 200):
    rows = services.roster(course.id)
    figures = {}
    for e in rows:
        figures[e.state.value] = figures.get(e.state.value, 0) + 1
    return render_template("enrollment/roster.html", course=course, rows=rows, form=form, action_form=ActionForm(),
                           figures=figures, positions=services.waitlist_positions(rows)), status


@bp.get("/manage/courses/<int:course_id>/roster")
@login_required
def roster(course_id: int):
    course = _managed_course(course_id)
    return _render_roster(course, ManualEnrollForm())


@bp.post("/manage/courses/<int:course_id>/roster/enroll")
@id_number_lookup  # each try tells whether an ID number is registered (#15.5)
@login_required
def manual_enroll(course_id: int):
    course = _managed_course(course_id)
    form = ManualEnrollForm()
    if form.validate_on_submit():
        try:
            enrollment = services.manual_enroll(course, form.id_number.data, current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        except IntegrityError:
            db.session.rollback()
            form.id_number.errors = [_("This learner is already enrolled in this course.")]
        else:
            profile = enrollment.learner.profile
            flash(_("%(name)s (%(id)s): %(state)s.", name=profile.real_name, id=profile.id_number_masked,
                    state=enrollment.state.title), "success")
            return redirect(url_for("enrollment.roster", course_id=course.id))
    form.id_number.data = ""  # never echo a full ID number back into the page
    return _render_roster(course, form, 422)


@bp.get("/manage/courses/<int:course_id>/roster.<fmt>")
@login_required
def roster_export(course_id: int, fmt: str):
    course = _managed_course(course_id)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    header, table = export.roster_table(services.roster(course.id))
    return tabular.download(header, table, fmt, f"roster-course-{course.id}.{fmt}", sheet=course.title)


@bp.get("/manage/bases/<int:base_id>/enrollments")
@base_manager_required
def figures(base_id: int):
    base = db.session.get(TrainingBase, base_id) or abort(404)
    by_month = services.base_enrollments_by_month(base_id)
    month_chart = charts.columns(
        _("Enrollments over the last 12 months"), [m.label for m in by_month],
        [(_("Confirmed"), [m.confirmed for m in by_month], charts.PRIMARY),
         (_("Cancelled"), [m.cancelled for m in by_month], charts.MUTED)])
    return render_template("enrollment/figures.html", base=base, rows=services.base_figures(base_id),
                           failed=services.failed_refunds(base_id), form=ActionForm(), by_month=by_month,
                           month_chart=month_chart)


def _managed_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        abort(404)
    require_base_manager(enrollment.course.base_id)
    return enrollment


@bp.route("/manage/enrollments/<int:enrollment_id>/refund", methods=["GET", "POST"])
@login_required
def staff_refund(enrollment_id: int):
    enrollment = _managed_enrollment(enrollment_id)
    form = StaffRefundForm()
    if request.method == "GET":
        form.key.data = secrets.token_hex(16)
    elif form.validate_on_submit():
        try:
            amount = payments.parse_yuan(form.amount.data)
            done = services.staff_refund(enrollment, amount, form.reason.data, key=form.key.data or "",
                                         staff=current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        except IntegrityError:
            db.session.rollback()  # the same form sent twice at the same moment: the other one refunds
            done = 0
        if not form.errors:
            if done:
                flash(_("%(amount)s refunded to %(name)s.", amount=payments.yuan(done),
                        name=enrollment.learner.name), "success")
            else:
                flash(_("This refund was already made."), "info")
            return redirect(url_for("enrollment.roster", course_id=enrollment.course_id))
    return render_template("enrollment/staff_refund.html", enrollment=enrollment, course=enrollment.course,
                           form=form, refundable=services.refundable_fen(enrollment)), (422 if form.errors else 200)


@bp.post("/manage/refunds/<int:refund_id>/retry")
@login_required
def retry_refund(refund_id: int):
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        abort(404)
    # a refund of a group payment belongs to the enrollment of its line
    enrollment = _managed_enrollment(refund.payment.enrollment_id or refund.line.enrollment_id)
    if ActionForm().validate_on_submit():
        try:
            refund = services.retry_failed_refund(refund, current_user)
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "info" if err.code == "not_failed" else "error")
        else:
            if refund.state == RefundState.FAILED:
                flash(_("The provider refused the refund again. Check the learner's account and try later."), "error")
            else:
                flash(_("Refund of %(amount)s sent again: %(state)s.", amount=payments.yuan(refund.amount_fen),
                        state=refund.state.title), "success")
    back = request.form.get("back") == "figures"
    return redirect(url_for("enrollment.figures", base_id=enrollment.course.base_id) if back
                    else url_for("enrollment.roster", course_id=enrollment.course_id))


@bp.app_template_filter("enrollment_state")
def enrollment_state_title(value: str | None) -> str:
    if not value:
        return "—"
    try:
        return EnrollmentState(value).title
    except ValueError:
        return value
