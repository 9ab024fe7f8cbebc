"""Complaints on both sides: the learner files and reads (/me/complaints), the office
lists, opens and answers (/office/complaints)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.hours.evidence import MAX_EVIDENCE_BYTES
from ntbase.hours.models import Evidence
from ntbase.kernel import audit
from ntbase.kernel.auth import learner_required, office_required
from ntbase.kernel.db import now
from ntbase.kernel.forms import submit
from ntbase.office.blueprint import bp
from ntbase.office.complaints import services
from ntbase.office.complaints.forms import ComplaintForm, TransitionForm
from ntbase.office.complaints.models import Complaint, ComplaintState
from ntbase.office.complaints.schemas import ComplaintInput


def _file_response(ev) -> Response:
    resp = Response(ev.data, mimetype=ev.content_type)
    resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(ev.filename)}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _attachment_or_404(complaint: Complaint, evidence_id: int) -> Evidence:
    """One of this complaint's files (a guessed id of another file is not found)."""
    return services.complaint_attachment(complaint, evidence_id) or abort(404)


# ---------------------------------------------------------------- the office
@bp.get("/office/complaints")
@office_required
def complaints():
    state = request.args.get("state")
    if state not in {s.value for s in ComplaintState}:
        state = None
    return render_template("office/complaints.html", complaints=services.office_complaints(state), state=state,
                           at=now(), states=list(ComplaintState))


def _complaint_or_404(complaint_id: int) -> Complaint:
    return services.load_complaint(complaint_id) or abort(404)


@bp.route("/office/complaints/<int:complaint_id>", methods=["GET", "POST"])
@office_required
def complaint_detail(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    form = TransitionForm()
    if form.validate_on_submit():
        if submit(form, lambda: services.transition_complaint(complaint, ComplaintState(form.to.data), current_user,
                                                              answer=form.answer.data or "",
                                                              note=form.note.data or ""))[0]:
            flash(_("The complaint is now: %(s)s.", s=complaint.state.title), "success")
            return redirect(url_for("office.complaint_detail", complaint_id=complaint.id))
        complaint = _complaint_or_404(complaint_id)  # as it is, after the refused change was undone
    audit.record_view("complaint.view", current_user, subject_user_id=complaint.learner_id,
                      object_type="complaint", object_id=complaint.id)
    html = render_template("office/complaint.html", complaint=complaint, form=form, at=now(), office_view=True)
    return html, (422 if form.errors else 200)


@bp.get("/office/complaints/<int:complaint_id>/files/<int:evidence_id>")
@office_required
def complaint_file(complaint_id: int, evidence_id: int):
    complaint = _complaint_or_404(complaint_id)
    ev = _attachment_or_404(complaint, evidence_id)
    audit.record_view("complaint.file", current_user, subject_user_id=complaint.learner_id, object_type="evidence",
                      object_id=ev.id, detail=f"complaint {complaint.id}")
    return _file_response(ev)


# ---------------------------------------------------------------- the learner
@bp.get("/me/complaints")
@learner_required
def my_complaints():
    return render_template("office/my_complaints.html", complaints=services.learner_complaints(current_user.id),
                           at=now())


@bp.route("/me/complaints/new", methods=["GET", "POST"])
@learner_required
def complaint_new():
    form = ComplaintForm()
    form.base_id.choices = [(0, _("— choose —"))] + [(b.id, b.name) for b in services.complaint_bases()]
    if form.validate_on_submit():
        files = [(f.filename, f.read(MAX_EVIDENCE_BYTES + 1)) for f in (form.attachments.data or [])
                 if getattr(f, "filename", "")]
        ok, complaint = submit(form, lambda: services.file_complaint(current_user, ComplaintInput(
            target=form.target.data, subject=form.subject.data, details=form.details.data,
            base_id=form.base_id.data or None, employer_name=form.employer_name.data or "", files=files)))
        if ok:
            flash(_("Your complaint has been received. The office answers within 30 days, by %(d)s.",
                    d=complaint.deadline_at.strftime("%Y-%m-%d")), "success")
            return redirect(url_for("office.my_complaint", complaint_id=complaint.id))
    return render_template("office/complaint_new.html", form=form), (422 if form.errors else 200)


def _my_complaint_or_404(complaint_id: int) -> Complaint:
    """The learner's own complaint; anyone else's is not found."""
    complaint = _complaint_or_404(complaint_id)
    return complaint if complaint.learner_id == current_user.id else abort(404)


@bp.get("/me/complaints/<int:complaint_id>")
@learner_required
def my_complaint(complaint_id: int):
    return render_template("office/complaint.html", complaint=_my_complaint_or_404(complaint_id), form=None,
                           at=now(), office_view=False)


@bp.get("/me/complaints/<int:complaint_id>/files/<int:evidence_id>")
@learner_required
def my_complaint_file(complaint_id: int, evidence_id: int):
    return _file_response(_attachment_or_404(_my_complaint_or_404(complaint_id), evidence_id))
