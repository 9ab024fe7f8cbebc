"""Title applicants (notice §4): register, re-check, record the proof, export."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel import audit, tabular
from ntbase.kernel.auth import office_required
from ntbase.kernel.forms import act, submit
from ntbase.kernel.limits import id_number_lookup
from ntbase.kernel.security import normalize_id_number
from ntbase.office.applicants import services
from ntbase.office.applicants.forms import ApplicantForm, ProofForm
from ntbase.office.blueprint import bp
from ntbase.office.web import format_arg, private, year_arg


def _registered_message(app) -> str:
    if app.certificate_postponed:
        return _("Applicant registered.") + " " + _("Title certificate postponed until the public-hours proof "
                                                    "is recorded.")
    return _("Applicant registered.")


@bp.route("/office/applicants", methods=["GET", "POST"])
@id_number_lookup  # adding an applicant looks the ID number up (#15.5)
@office_required
def applicants():
    year = year_arg()
    form = ApplicantForm()
    if request.method == "GET":
        form.year.data = year
    if form.validate_on_submit():
        ok, app = submit(form, lambda: services.register_applicant(
            form.id_number.data, form.year.data, form.committee.data, form.committee_name.data, current_user))
        if ok:
            flash(_registered_message(app), "warning" if app.certificate_postponed else "success")
            return redirect(url_for("office.applicants", year=app.year))
        if len(normalize_id_number(form.id_number.data)) >= 18:
            form.id_number.data = ""  # a full ID number is not written back into the page
    rows = services.applicant_rows(year)
    return private(render_template("office/applicants.html", form=form, rows=rows, year=year,
                                   proof_form=ProofForm()), 422 if form.errors else 200)


@bp.post("/office/applicants/recheck")
@office_required
def applicants_recheck():
    year = year_arg()
    postponed, cleared = services.recheck_applicants(year, current_user)
    flash(_("Re-checked: %(p)s newly postponed, %(c)s no longer postponed.", p=postponed, c=cleared), "info")
    return redirect(url_for("office.applicants", year=year))


@bp.post("/office/applicants/<int:app_id>/proof")
@office_required
def applicant_proof(app_id: int):
    year = services.get_application(app_id).year
    act(lambda: services.record_proof(app_id, ProofForm().note.data or "", current_user),
        _("Proof recorded: the title certificate may be issued."))
    return redirect(url_for("office.applicants", year=year))


@bp.get("/office/applicants/export")
@office_required
def applicants_export():
    year, file_format = year_arg(), format_arg()
    header, rows = services.applicant_table(services.applicant_rows(year))
    audit.record_view("applicant.export", current_user, object_type="title_application",
                      detail=f"{year} {file_format}")
    return tabular.download(header, rows, file_format, f"{_('title-applicants')}-{year}.{file_format}",
                            sheet=str(year))
