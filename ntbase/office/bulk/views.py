"""Bulk verification in the console: upload, step through (with JavaScript) or run all at
once (without), the result page and the result file."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel import audit, tabular
from ntbase.kernel.auth import office_required
from ntbase.kernel.forms import submit
from ntbase.office.blueprint import bp
from ntbase.office.bulk import services
from ntbase.office.bulk.checks import Result
from ntbase.office.bulk.forms import BulkUploadForm
from ntbase.office.bulk.models import BulkJob


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.headers.get("X-Requested-With") == "fetch"


@bp.route("/office/verify", methods=["GET", "POST"])
@office_required
def bulk_upload():
    form = BulkUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(services.MAX_BYTES + 1) if upload else b""
        ok, job = submit(form, lambda: services.create_job(current_user, getattr(upload, "filename", "") or "", data))
        if ok and _wants_json():
            return jsonify(job=job.id, rows=job.row_count, processed=0,
                           step_url=url_for("office.bulk_step", job_id=job.id),
                           result_url=url_for("office.bulk_job", job_id=job.id))
        if ok:
            services.run_all(job)  # without JavaScript: all at once
            return redirect(url_for("office.bulk_job", job_id=job.id))
        if _wants_json():
            return jsonify(error="invalid", message=" ".join(form.file.errors or form.form_errors)), 422
    elif request.method == "POST" and _wants_json():
        return jsonify(error="invalid", message=_("Choose a CSV or XLSX file.")), 422
    return render_template("office/bulk_upload.html", form=form), (422 if form.errors else 200)


def _job_or_404(job_id: int) -> BulkJob:
    """Its owner's (or an admin's); anyone else's is not found."""
    return services.get_job(job_id, current_user) or abort(404)


@bp.post("/office/verify/<int:job_id>/step")
@office_required
def bulk_step(job_id: int):
    job = _job_or_404(job_id)
    processed = services.run_step(job)
    return jsonify(job=job.id, rows=job.row_count, processed=processed, done=processed >= job.row_count)


@bp.post("/office/verify/<int:job_id>/run")
@office_required
def bulk_run(job_id: int):
    job = _job_or_404(job_id)
    services.run_all(job)
    return redirect(url_for("office.bulk_job", job_id=job.id))


@bp.get("/office/verify/<int:job_id>")
@office_required
def bulk_job(job_id: int):
    job = _job_or_404(job_id)
    summary = services.summarize(services.job_results(job)) if job.done else None
    return render_template("office/bulk_job.html", job=job, summary=summary, Result=Result)


@bp.get("/office/verify/<int:job_id>/download")
@office_required
def bulk_download(job_id: int):
    job = _job_or_404(job_id)
    if not job.done:
        abort(409)
    file_format = "xlsx" if (request.args.get("format") or job.file_format) == "xlsx" else "csv"
    audit.record_view("bulk.download", current_user, object_type="bulk_job", object_id=job.id,
                      detail=f"{job.filename} ({file_format})")
    stem = job.filename.rsplit(".", 1)[0]
    return tabular.download_response(services.export_bytes(job, file_format),
                                     f"{stem}-{_('verified')}.{file_format}", file_format)
