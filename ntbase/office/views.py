"""The title office / HR bureau console (/office) and the learner's office pages (/me/...).

Thin views: parse → call a service → render or redirect; one commit per request.
Every /office route is for office staff and admins (``office_required``); the audit
search is for admins only.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.bases.models import TrainingBase
from ntbase.bases.services import get_base_or_404
from ntbase.kernel import audit
from ntbase.kernel.auth import learner_required, office_required, roles_required
from ntbase.kernel.bounds import page_arg, parse_id
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import CertificationStatus, Role
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.kernel.extensions import limiter
from ntbase.kernel.forms import attach_error
from ntbase.kernel.limits import id_number_lookup
from ntbase.kernel.security import mask_id_number, normalize_id_number
from ntbase.office import auditlog, bulk, person, services, stats
from ntbase.office.forms import (
    ApplicantForm,
    AssessmentForm,
    AuditFilterForm,
    BulkUploadForm,
    CertifyForm,
    ComplaintForm,
    PersonLookupForm,
    ProofForm,
    RatingForm,
    ReviewForm,
    StatusForm,
    TokenForm,
    TransitionForm,
)
from ntbase.office.models import Complaint, ComplaintState

bp = Blueprint("office", __name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, filename: str, file_format: str) -> Response:
    import re
    from urllib.parse import quote

    mimetype = XLSX_TYPE if file_format == "xlsx" else "text/csv; charset=utf-8"
    resp = Response(data, mimetype=mimetype)
    # the name comes from the uploaded file: no quotes, separators or control characters
    filename = re.sub(r'[\x00-\x1f\x7f"\\/;]+', "_", filename).strip() or f"export.{file_format}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("_.")
    if not ascii_name or ascii_name == file_format:
        ascii_name = f"export.{file_format}"
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"{ascii_name}\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _fmt_arg() -> str:
    return "xlsx" if request.args.get("format") == "xlsx" else "csv"


def _year_arg() -> int:
    year = parse_id(request.args.get("year"))
    return year if year and 2011 <= year <= 2100 else now().year


# ---------------------------------------------------------------- template filters
@bp.app_template_filter("office_fraction")
def _office_fraction(value) -> str:
    from ntbase.hours.engine import fmt

    return fmt(value)


@bp.app_template_filter("office_code")
def _office_code(value: str) -> str:
    from ntbase.certificates.codes import display

    return display(value or "")


@bp.app_template_filter("office_category")
def _office_category(value: str) -> str:
    from ntbase.office.bulk import category_title

    return category_title(value)


@bp.app_template_filter("office_kind")
def _office_kind(value: str) -> str:
    from ntbase.hours.views import EXEMPTION_TITLES, KIND_TITLES

    return str(KIND_TITLES.get(value) or EXEMPTION_TITLES.get(value) or value)


# ---------------------------------------------------------------- console home
@bp.get("/office")
@office_required
def index():
    return render_template("office/index.html", counts=services.console_counts())


# ---------------------------------------------------------------- bulk verification
def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


@bp.route("/office/verify", methods=["GET", "POST"])
@office_required
def bulk_upload():
    form = BulkUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(bulk.MAX_BYTES + 1) if upload else b""
        try:
            job = bulk.create_job(current_user, getattr(upload, "filename", "") or "", data)
        except DomainError as err:
            db.session.rollback()
            if _wants_json():
                return jsonify(error="invalid", message=err.message), 422
            attach_error(form, err)
        else:
            if _wants_json():
                return jsonify(job=job.id, rows=job.row_count, processed=0,
                               step_url=url_for("office.bulk_step", job_id=job.id),
                               result_url=url_for("office.bulk_job", job_id=job.id))
            bulk.run_all(job)  # without JavaScript: all at once
            return redirect(url_for("office.bulk_job", job_id=job.id))
    elif request.method == "POST" and _wants_json():
        return jsonify(error="invalid", message=_("Choose a CSV or XLSX file.")), 422
    return render_template("office/bulk_upload.html", form=form), (422 if form.errors else 200)


def _job_or_404(job_id: int):
    job = bulk.get_job(job_id, current_user)
    if job is None:
        abort(404)
    return job


@bp.post("/office/verify/<int:job_id>/step")
@office_required
def bulk_step(job_id: int):
    job = _job_or_404(job_id)
    processed = bulk.run_step(job)
    return jsonify(job=job.id, rows=job.row_count, processed=processed, done=processed >= job.row_count)


@bp.post("/office/verify/<int:job_id>/run")
@office_required
def bulk_run(job_id: int):
    job = _job_or_404(job_id)
    bulk.run_all(job)
    return redirect(url_for("office.bulk_job", job_id=job.id))


@bp.get("/office/verify/<int:job_id>")
@office_required
def bulk_job(job_id: int):
    job = _job_or_404(job_id)
    summary = bulk.summarize(bulk.job_results(job)) if job.done else None
    return render_template("office/bulk_job.html", job=job, summary=summary, Result=bulk.Result)


@bp.get("/office/verify/<int:job_id>/download")
@office_required
def bulk_download(job_id: int):
    job = _job_or_404(job_id)
    if not job.done:
        abort(409)
    file_format = request.args.get("format") or job.file_format
    file_format = "xlsx" if file_format == "xlsx" else "csv"
    data = bulk.export_bytes(job, file_format)
    audit.record_view("bulk.download", current_user, object_type="bulk_job", object_id=job.id,
                 detail=f"{job.filename} ({file_format})")
    stem = job.filename.rsplit(".", 1)[0]
    return _download(data, f"{stem}-{_('verified')}.{file_format}", file_format)


# ---------------------------------------------------------------- a person's record
def _officer_key() -> str:
    return f"office-user:{current_user.get_id()}"


@bp.route("/office/person", methods=["GET", "POST"])
@office_required
# a person is looked up one at a time; trying number after number is not an office task
@limiter.limit("30 per 10 minutes", key_func=_officer_key, methods=["POST"])
def person_lookup():
    form = PersonLookupForm()
    if form.validate_on_submit():
        try:
            learner = person.lookup_person(form.id_number.data, current_user)
        except DomainError as err:
            db.session.rollback()  # a refused (partial) number leaves no trace
            attach_error(form, err)
        else:
            if learner is not None:
                return redirect(person_url(learner.id))
            masked = mask_id_number(form.id_number.data)
            form.id_number.data = ""  # a full ID number is not written back into the page
            form.id_number.errors.append(_("No learner is registered with the ID number %(masked)s. Check the "
                                           "number, or ask the person to register on NTBase.", masked=masked))
    return _private(render_template("office/person_lookup.html", form=form), 422 if form.errors else 200)


def _private(html: str, status: int = 200) -> Response:
    """A page with a person's data: never stored by the browser or a proxy."""
    return Response(html, status=status, headers={"Cache-Control": "private, no-store"})


# A record's address carries a signed reference, not the user number: the office reaches a
# record by the full ID number (or from a list it legitimately holds, like its applicants),
# never by counting through /office/person/1, 2, 3… The reference is bound to the officer
# and lasts a working day.
PERSON_REF_MAX_AGE = 12 * 3600


def _ref_serializer():
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt="office.person-ref")


@bp.app_template_global("office_person_url")
def person_url(user_id: int, endpoint: str = "office.person_view", **values) -> str:
    """The address of a learner's record for the current officer."""
    ref = _ref_serializer().dumps([int(user_id), int(current_user.id)])
    return url_for(endpoint, ref=ref, **values)


def _learner_from_ref(ref: str):
    from itsdangerous import BadSignature, SignatureExpired

    try:
        user_id, officer_id = _ref_serializer().loads(ref, max_age=PERSON_REF_MAX_AGE)
    except SignatureExpired:
        return None, "expired"
    except (BadSignature, ValueError, TypeError):
        abort(404)
    if officer_id != current_user.id:
        abort(404)
    learner = person.get_learner(user_id)
    if learner is None:
        abort(404)
    return learner, None


def _expired_link():
    flash(_("This link to a person’s record has expired. Look the person up again by ID number."), "info")
    return redirect(url_for("office.person_lookup"))


@bp.get("/office/person/<ref>")
@office_required
def person_view(ref: str):
    learner, problem = _learner_from_ref(ref)
    if problem:
        return _expired_link()
    record = person.person_record(learner, current_user)
    html = render_template("office/person.html", record=record, learner=learner, review_form=ReviewForm(),
                           today_year=now().year)
    return _private(html)


@bp.get("/office/person/<ref>/period")
@office_required
def person_period(ref: str):
    learner, problem = _learner_from_ref(ref)
    if problem:
        return _expired_link()
    try:
        start, end = person.parse_period(request.args.get("start_year"), request.args.get("end_year"))
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("office.person_view", ref=ref))
    result = person.period_check(learner, start, end, current_user)
    html = render_template("office/period.html", learner=learner, result=result, printed_at=now())
    return _private(html)


@bp.post("/office/person/<ref>/review/<kind>/<int:object_id>")
@office_required
def person_review(ref: str, kind: str, object_id: int):
    if kind not in ("entry", "exemption"):
        abort(404)
    learner, problem = _learner_from_ref(ref)
    if problem:
        return _expired_link()
    form = ReviewForm()
    accept = request.form.get("decision") == "accept"
    try:
        person.review_external(learner, kind, object_id, accept, form.reason.data or "", current_user)
    except DomainError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash(err.message, "error")
    else:
        flash(_("Accepted.") if accept else _("Rejected; the learner has been told why."), "success")
    return redirect(url_for("office.person_view", ref=ref) + "#pending")


def _file_response(ev) -> Response:
    from urllib.parse import quote

    resp = Response(ev.data, mimetype=ev.content_type)
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(ev.filename)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# ---------------------------------------------------------------- title applicants
@bp.route("/office/applicants", methods=["GET", "POST"])
@id_number_lookup  # adding an applicant looks the ID number up (#15.5)
@office_required
def applicants():
    year = _year_arg()
    form = ApplicantForm()
    if request.method == "GET":
        form.year.data = year
    if form.validate_on_submit():
        try:
            app = person.register_applicant(form.id_number.data, form.year.data, form.committee.data,
                                            form.committee_name.data, current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            if len(normalize_id_number(form.id_number.data)) >= 18:
                form.id_number.data = ""  # a full ID number is not written back into the page
        else:
            flash(_("Applicant registered.") + (" " + _("Title certificate postponed until the public-hours "
                                                        "proof is recorded.") if app.certificate_postponed else ""),
                  "warning" if app.certificate_postponed else "success")
            return redirect(url_for("office.applicants", year=app.year))
    rows = person.applicant_rows(year)
    return _private(render_template("office/applicants.html", form=form, rows=rows, year=year,
                                    proof_form=ProofForm()), 422 if form.errors else 200)


@bp.post("/office/applicants/recheck")
@office_required
def applicants_recheck():
    year = _year_arg()
    postponed, cleared = person.recheck_applicants(year, current_user)
    flash(_("Re-checked: %(p)s newly postponed, %(c)s no longer postponed.", p=postponed, c=cleared), "info")
    return redirect(url_for("office.applicants", year=year))


@bp.post("/office/applicants/<int:app_id>/proof")
@office_required
def applicant_proof(app_id: int):
    form = ProofForm()
    try:
        app = person.record_proof(app_id, form.note.data or "", current_user)
    except DomainError as err:
        db.session.rollback()
        if err.code == "not_found":
            abort(404)
        flash(err.message, "error")
        return redirect(url_for("office.applicants", year=_year_arg()))
    flash(_("Proof recorded: the title certificate may be issued."), "success")
    return redirect(url_for("office.applicants", year=app.year))


@bp.get("/office/applicants/export")
@office_required
def applicants_export():
    year, file_format = _year_arg(), _fmt_arg()
    header, rows = person.applicant_table(person.applicant_rows(year))
    audit.record_view("applicant.export", current_user, object_type="title_application", detail=f"{year} {file_format}")
    return _download(person.table_bytes(header, rows, file_format, sheet=str(year)),
                     f"{_('title-applicants')}-{year}.{file_format}", file_format)


# ---------------------------------------------------------------- bases
@bp.get("/office/bases")
@office_required
def bases():
    return render_template("office/bases.html", rows=services.office_bases())


def _period_args() -> tuple[date, date]:
    today = now().date()
    default_start = date(today.year - 1, 1, 1)
    default_end = date(today.year - 1, 12, 31)
    try:
        start = date.fromisoformat(request.args.get("from", "")) if request.args.get("from") else default_start
        end = date.fromisoformat(request.args.get("to", "")) if request.args.get("to") else default_end
    except ValueError:
        return default_start, default_end
    return (start, end) if end >= start else (default_start, default_end)


def _base_page(base: TrainingBase, certify_form=None, status_form=None, assess_form=None, code=200):
    start, end = _period_args()
    if assess_form is None:
        assess_form = AssessmentForm(formdata=None, period_start=start, period_end=end)
    if certify_form is None:
        certify_form = CertifyForm(formdata=None, level=base.level.value, staff_levels=list(base.staff_levels or []),
                                   is_talent_base=base.is_talent_base)
    if status_form is None:
        status_form = StatusForm(formdata=None)
        _status_choices(status_form, base)
    figures = services.base_figures(base.id, assess_form.period_start.data or start,
                                    assess_form.period_end.data or end)
    return render_template("office/base.html", base=base, certify_form=certify_form, status_form=status_form,
                           assess_form=assess_form, figures=figures, labels=services.FIGURE_LABELS,
                           assessments=services.base_assessments(base.id), period=(start, end)), code


def _status_choices(form: StatusForm, base: TrainingBase) -> None:
    form.status.choices = [(s.value, s.title) for s in CertificationStatus if s != base.status]


@bp.get("/office/bases/<int:base_id>")
@office_required
def base_detail(base_id: int):
    return _base_page(get_base_or_404(base_id))


@bp.post("/office/bases/<int:base_id>/certify")
@office_required
def base_certify(base_id: int):
    base = get_base_or_404(base_id)
    form = CertifyForm()
    if form.validate_on_submit():
        try:
            services.certify_base(base, level=form.level.data, staff_levels=form.staff_levels.data or [],
                                  is_talent_base=form.is_talent_base.data, reason=form.reason.data or "",
                                  actor=current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("The base is certified."), "success")
            return redirect(url_for("office.base_detail", base_id=base.id))
    return _base_page(base, certify_form=form, code=422)


@bp.post("/office/bases/<int:base_id>/status")
@office_required
def base_status(base_id: int):
    base = get_base_or_404(base_id)
    form = StatusForm()
    _status_choices(form, base)
    if form.validate_on_submit():
        try:
            services.set_base_status(base, form.status.data, form.reason.data or "", current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("The base's status is now: %(s)s.", s=base.status.title), "success")
            return redirect(url_for("office.base_detail", base_id=base.id))
    return _base_page(base, status_form=form, code=422)


@bp.post("/office/bases/<int:base_id>/assess")
@office_required
def base_assess(base_id: int):
    base = get_base_or_404(base_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            services.record_assessment(base, period_start=form.period_start.data, period_end=form.period_end.data,
                                       rating=form.rating.data, conclusion=form.conclusion.data,
                                       actor=current_user)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("Assessment recorded."), "success")
            return redirect(url_for("office.base_detail", base_id=base.id))
    return _base_page(base, assess_form=form, code=422)


# ---------------------------------------------------------------- complaints (office)
@bp.get("/office/complaints")
@office_required
def complaints():
    state = request.args.get("state")
    if state not in {s.value for s in ComplaintState}:
        state = None
    return render_template("office/complaints.html", complaints=services.office_complaints(state), state=state,
                           at=now(), states=list(ComplaintState))


def _complaint_or_404(complaint_id: int) -> Complaint:
    complaint = services.load_complaint(complaint_id)
    if complaint is None:
        abort(404)
    return complaint


@bp.route("/office/complaints/<int:complaint_id>", methods=["GET", "POST"])
@office_required
def complaint_detail(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            services.transition_complaint(complaint, ComplaintState(form.to.data), current_user,
                                          answer=form.answer.data or "", note=form.note.data or "")
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
            complaint = _complaint_or_404(complaint_id)
        else:
            flash(_("The complaint is now: %(s)s.", s=complaint.state.title), "success")
            return redirect(url_for("office.complaint_detail", complaint_id=complaint.id))
    audit.record_view("complaint.view", current_user, subject_user_id=complaint.learner_id,
                 object_type="complaint", object_id=complaint.id)
    html = render_template("office/complaint.html", complaint=complaint, form=form, at=now(), office_view=True)
    return html, (422 if form.errors else 200)


@bp.get("/office/complaints/<int:complaint_id>/files/<int:evidence_id>")
@office_required
def complaint_file(complaint_id: int, evidence_id: int):
    complaint = _complaint_or_404(complaint_id)
    ev = services.complaint_attachment(complaint, evidence_id)
    if ev is None:
        abort(404)
    resp = _file_response(ev)
    audit.record_view("complaint.file", current_user, subject_user_id=complaint.learner_id, object_type="evidence",
                 object_id=ev.id, detail=f"complaint {complaint.id}")
    return resp


# ---------------------------------------------------------------- audit log (admins)
@bp.get("/office/audit")
@roles_required(Role.ADMIN)
def audit_log():
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any action"))] + [(k, str(v)) for k, v in audit.ACTIONS.items()]
    f = auditlog.AuditFilter()
    if form.validate():
        f = auditlog.AuditFilter(actor=form.actor.data or "", action=form.action.data or "",
                              subject=form.subject.data, date_from=form.date_from.data, date_to=form.date_to.data)
    page = db.paginate(auditlog.search(f), page=page_arg(), per_page=50, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("office/audit.html", form=form, page=page, args=args, action_title=audit.action_title)


# ---------------------------------------------------------------- API tokens
@bp.route("/office/tokens", methods=["GET", "POST"])
@office_required
def tokens():
    form = TokenForm()
    form.scopes.choices = [(k, str(v)) for k, v in services.SCOPES.items()]
    created = secret = None
    if form.validate_on_submit():
        try:
            created, secret = services.create_token(current_user, form.name.data, form.scopes.data or [],
                                                    form.days.data)
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            form = TokenForm(formdata=None)
            form.scopes.choices = [(k, str(v)) for k, v in services.SCOPES.items()]
    resp = render_template("office/tokens.html", form=form, tokens=services.list_tokens(current_user),
                           created=created, secret=secret, at=now(), scopes=services.SCOPES)
    # the secret is on this page once: never cache it
    return resp, (422 if form.errors else 200), {"Cache-Control": "no-store"}


@bp.post("/office/tokens/<int:token_id>/revoke")
@office_required
def token_revoke(token_id: int):
    try:
        services.revoke_token(token_id, current_user)
    except PermissionDenied:
        db.session.rollback()
        abort(404)
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("office.tokens"))


# ---------------------------------------------------------------- statistics
@bp.get("/office/stats")
@office_required
def statistics():
    year = _year_arg()
    emp, prof, overall = stats.compliance_shares(year)
    hours_rows = stats.hours_by_category(year)
    return render_template(
        "office/stats.html", year=year, enrollments=stats.enrollments_by_month(year), hours=hours_rows,
        hours_items=[(_office_category(r["category"]), float(r["hours"])) for r in hours_rows],
        employers=emp[:20], employer_total=len(emp), emp_items=[(r.label, r.share) for r in emp[:20]],
        professions=prof, prof_items=[(r.label, r.share) for r in prof], overall=overall, charts=stats)


@bp.get("/office/stats/export")
@office_required
def statistics_export():
    year, kind = _year_arg(), request.args.get("table", "")
    if kind not in ("enrollments", "hours", "employers", "professions"):
        abort(404)
    header, rows = stats.export_table(kind, year)
    audit.record_view("stats.export", current_user, object_type="stats", detail=f"{kind} {year}")
    file_format = _fmt_arg()
    return _download(person.table_bytes(header, rows, file_format, sheet=kind),
                     f"ntbase-{kind}-{year}.{file_format}", file_format)


# ---------------------------------------------------------------- the learner's side
@bp.get("/me/audit")
@learner_required
def my_audit():
    return render_template("office/my_audit.html", rows=audit.views_of(current_user.id),
                           action_title=audit.action_title)


@bp.get("/me/complaints")
@learner_required
def my_complaints():
    return render_template("office/my_complaints.html", complaints=services.learner_complaints(current_user.id),
                           at=now())


def _complaint_form() -> ComplaintForm:
    form = ComplaintForm()
    bases_ = db.session.scalars(sa.select(TrainingBase).order_by(
        (TrainingBase.status != CertificationStatus.CERTIFIED), TrainingBase.id)).all()
    form.base_id.choices = [(0, _("— choose —"))] + [(b.id, b.name) for b in bases_]
    return form


@bp.route("/me/complaints/new", methods=["GET", "POST"])
@learner_required
def complaint_new():
    form = _complaint_form()
    if form.validate_on_submit():
        files = [(f.filename, f.read(services_max_bytes() + 1)) for f in (form.attachments.data or [])
                 if getattr(f, "filename", "")]
        try:
            complaint = services.file_complaint(current_user, services.ComplaintInput(
                target=form.target.data, subject=form.subject.data, details=form.details.data,
                base_id=form.base_id.data or None, employer_name=form.employer_name.data or "", files=files))
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("Your complaint has been received. The office answers within 30 days, by %(d)s.",
                    d=complaint.deadline_at.strftime("%Y-%m-%d")), "success")
            return redirect(url_for("office.my_complaint", complaint_id=complaint.id))
    return render_template("office/complaint_new.html", form=form), (422 if form.errors else 200)


def services_max_bytes() -> int:
    from ntbase.hours.evidence import MAX_EVIDENCE_BYTES

    return MAX_EVIDENCE_BYTES


def _my_complaint_or_404(complaint_id: int) -> Complaint:
    complaint = services.load_complaint(complaint_id)
    if complaint is None or complaint.learner_id != current_user.id:
        abort(404)
    return complaint


@bp.get("/me/complaints/<int:complaint_id>")
@learner_required
def my_complaint(complaint_id: int):
    return render_template("office/complaint.html", complaint=_my_complaint_or_404(complaint_id), form=None,
                           at=now(), office_view=False)


@bp.get("/me/complaints/<int:complaint_id>/files/<int:evidence_id>")
@learner_required
def my_complaint_file(complaint_id: int, evidence_id: int):
    ev = services.complaint_attachment(_my_complaint_or_404(complaint_id), evidence_id)
    if ev is None:
        abort(404)
    return _file_response(ev)


@bp.route("/me/courses/<int:course_id>/rate", methods=["GET", "POST"])
@learner_required
def rate_course(course_id: int):
    from ntbase.catalog.models import Course

    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    existing = services.existing_rating(current_user.id, course_id)
    eligible = services.completed_enrollment(current_user.id, course_id) is not None
    form = RatingForm()
    if existing is None and form.validate_on_submit():
        try:
            services.rate_course(current_user, course_id, form.stars.data, form.comment.data or "")
        except DomainError as err:
            db.session.rollback()
            attach_error(form, err)
        else:
            flash(_("Thank you for your rating."), "success")
            return redirect(url_for("office.rate_course", course_id=course_id))
    elif request.method == "POST" and existing is not None:
        form.form_errors.append(_("You have already rated this course."))
    code = 422 if (form.errors or form.form_errors) else 200
    return render_template("office/rate.html", form=form, course=course, existing=existing,
                           eligible=eligible), code
