from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ntbase.attendance import services
from ntbase.attendance.forms import AssessmentForm, ConfirmForm, ScanForm
from ntbase.catalog.models import CourseSession
from ntbase.certificates import services as certificates
from ntbase.certificates.pdf import qr_svg
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment
from ntbase.kernel.auth import learner_required, require_base_manager
from ntbase.kernel.bounds import parse_id, parse_ids
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.forms import submit

bp = Blueprint("attendance", __name__)


def _managed_course(course_id: int):
    course = services.get_course_or_404(course_id)
    require_base_manager(course.base_id)
    return course


def _managed_enrollment(course, enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or enrollment.course_id != course.id:
        abort(404)
    return enrollment


def _default_session(sessions: list[CourseSession]) -> CourseSession | None:
    """Today's session, else the next one, else the last one."""
    if not sessions:
        return None
    t = now()
    today = [s for s in sessions if s.starts_at.date() == t.date()]
    if today:
        return today[0]
    upcoming = [s for s in sessions if s.starts_at > t]
    return upcoming[0] if upcoming else sessions[-1]


@bp.get("/manage/courses/<int:course_id>/attendance")
@login_required
def course(course_id: int):
    course = _managed_course(course_id)
    progress = services.course_progress(course)
    counts = services.session_counts(course)
    certs = certificates.valid_certificates_of_course(course.id) if progress else {}
    return render_template("attendance/course.html", course=course, progress=progress, counts=counts,
                           certs=certs, form=ConfirmForm(), assess_form=AssessmentForm(),
                           pass_mark=services.pass_mark(course),
                           eligible=sum(1 for p in progress if p.eligible and not p.completed))


@bp.route("/manage/courses/<int:course_id>/sessions/<int:session_id>/roster", methods=["GET", "POST"])
@login_required
def roster(course_id: int, session_id: int):
    course = _managed_course(course_id)
    session = services.get_session_or_404(course, session_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if request.form.get("all"):
            n = services.mark_all_present(session, current_user.id)
            flash(_("All %(n)s learners marked present.", n=n), "success")
        else:
            ids = parse_ids(request.form.getlist("present"))
            present, absent = services.save_roster(session, ids, current_user.id)
            flash(_("Attendance saved: %(present)s present, %(absent)s absent.", present=present, absent=absent),
                  "success")
        return redirect(url_for("attendance.roster", course_id=course.id, session_id=session.id))
    enrollments = services.roster_enrollments(course.id)
    marks = services.session_attendance(session)
    return render_template("attendance/roster.html", course=course, session=session, enrollments=enrollments,
                           marks=marks, form=form, opens_at=services.attendance_opens_at(session),
                           is_open=services.is_open_for_attendance(session))


@bp.get("/manage/courses/<int:course_id>/sessions/<int:session_id>/venue")
@login_required
def venue(course_id: int, session_id: int):
    course = _managed_course(course_id)
    session = services.get_session_or_404(course, session_id)
    t = now()
    token = services.venue_token(session, t)
    target = url_for("attendance.checkin_venue", session_id=session.id, token=token, _external=True)
    return render_template("attendance/venue.html", course=course, session=session, qr=qr_svg(target, scale=8),
                           target=target, refresh=services.seconds_to_next_window(t) + 1,
                           opens_at=services.attendance_opens_at(session),
                           is_open=services.is_open_for_attendance(session, t))


@bp.route("/manage/courses/<int:course_id>/sessions/<int:session_id>/scan", methods=["GET", "POST"])
@login_required
def scan(course_id: int, session_id: int):
    course = _managed_course(course_id)
    session = services.get_session_or_404(course, session_id)
    form = ScanForm()
    if form.validate_on_submit():
        ok, enrollment = submit(form, lambda: services.checkin_learner_qr(session, form.token.data, current_user.id))
        if ok:
            flash(_("%(name)s is checked in.", name=enrollment.learner.name), "success")
            return redirect(url_for("attendance.scan", course_id=course.id, session_id=session.id))
    return render_template("attendance/scan.html", course=course, session=session, form=form), \
        (422 if form.errors else 200)


@bp.post("/manage/courses/<int:course_id>/enrollments/<int:enrollment_id>/assessment")
@login_required
def assess(course_id: int, enrollment_id: int):
    course = _managed_course(course_id)
    enrollment = _managed_enrollment(course, enrollment_id)
    form = AssessmentForm()
    if not form.validate_on_submit():
        for e in form.score.errors or [_("Enter a score from 0 to 100.")]:
            flash(str(e), "error")
        return redirect(url_for("attendance.course", course_id=course.id))
    try:
        result = services.record_assessment(enrollment, form.score.data, current_user.id)
    except DomainError as err:
        db.session.rollback()
        flash(_("%(name)s: %(message)s", name=enrollment.learner.name, message=err.message), "error")
    else:
        msg = (_("%(name)s passed with %(score)s.", name=enrollment.learner.name, score=result.score)
               if result.passed else
               _("%(name)s scored %(score)s, below the pass mark.", name=enrollment.learner.name, score=result.score))
        flash(msg, "success" if result.passed else "warning")
    return redirect(url_for("attendance.course", course_id=course.id) + f"#e{enrollment.id}")


@bp.post("/manage/courses/<int:course_id>/enrollments/<int:enrollment_id>/complete")
@login_required
def complete(course_id: int, enrollment_id: int):
    course = _managed_course(course_id)
    enrollment = _managed_enrollment(course, enrollment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        cert = services.complete_enrollment(enrollment, current_user.id)
    except DomainError as err:
        db.session.rollback()
        flash(_("%(name)s: %(message)s", name=enrollment.learner.name, message=err.message), "error")
    else:
        flash(_("%(name)s has completed the course; certificate %(code)s issued.",
                name=enrollment.learner.name, code=cert.display_code), "success")
    return redirect(url_for("attendance.course", course_id=course.id) + f"#e{enrollment.id}")


@bp.post("/manage/courses/<int:course_id>/complete-all")
@login_required
def complete_all(course_id: int):
    course = _managed_course(course_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        batch = services.complete_all_eligible(course, current_user.id)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(_("%(done)s learners completed and certified; %(left)s not eligible (reasons below).",
                done=len(batch.completed), left=len(batch.not_eligible)),
              "success" if batch.completed else "info")
    return redirect(url_for("attendance.course", course_id=course.id))


# ------------------------------------------------------------ QR check-in

@bp.route("/checkin/e/<token>", methods=["GET", "POST"])
@login_required
def checkin_enrollment(token: str):
    """A learner's QR, opened by the phone camera of base staff."""
    enrollment = services.enrollment_by_token(token)
    if enrollment is None:
        abort(404)
    course = enrollment.course
    require_base_manager(course.base_id)
    sessions = list(course.sessions)
    chosen = None
    if request.values.get("s"):
        wanted = parse_id(request.values["s"])
        chosen = next((s for s in sessions if s.id == wanted), None)
        if chosen is None:
            abort(404)
    chosen = chosen or _default_session(sessions)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit() and chosen is not None:
        try:
            services.checkin_learner_qr(chosen, token, current_user.id)
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            flash(_("%(name)s is checked in.", name=enrollment.learner.name), "success")
            return redirect(url_for("attendance.scan", course_id=course.id, session_id=chosen.id))
    marks = services.session_attendance(chosen) if chosen else {}
    return render_template("attendance/checkin_enrollment.html", enrollment=enrollment, course=course,
                           sessions=sessions, chosen=chosen, form=form, error=error,
                           already=bool(marks.get(enrollment.id) and marks[enrollment.id].present))


@bp.route("/checkin/s/<int:session_id>/<token>", methods=["GET", "POST"])
@login_required
def checkin_venue(session_id: int, token: str):
    """The venue QR, scanned by a learner's phone."""
    if not current_user.is_learner:
        abort(403)
    session = db.session.get(CourseSession, session_id)
    if session is None:
        abort(404)
    form = ConfirmForm()
    error = None
    done = False
    if form.validate_on_submit():
        try:
            services.checkin_venue_qr(session, token, current_user.id)
        except DomainError as err:
            db.session.rollback()
            error = err.message
        else:
            done = True
    elif not services.venue_token_is_current(session, token):
        error = _("This check-in code has expired. Scan the code shown at the venue again.")
    return render_template("attendance/checkin_venue.html", session=session, course=session.course,
                           form=form, error=error, done=done), (422 if error else 200)


@bp.get("/me/checkin")
@learner_required
def my_checkin():
    """The learner's personal check-in QR for each confirmed course."""
    items = [(enr.course.title, enr.course.base.name,
              qr_svg(url_for("attendance.checkin_enrollment", token=services.ensure_checkin_token(enr),
                             _external=True), scale=5))
             for enr in enrollments.confirmed_enrollments_of(current_user.id)]
    return render_template("attendance/my_checkin.html", items=items)
