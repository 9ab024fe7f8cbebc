"""A person's record by full ID number: the look-up, the record, the printable period
check and the review of the person's external entries. Every page is private (no-store)."""
from __future__ import annotations

from functools import wraps

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel.auth import office_required
from ntbase.kernel.db import now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.extensions import limiter
from ntbase.kernel.forms import act, submit
from ntbase.kernel.security import mask_id_number
from ntbase.office.blueprint import bp
from ntbase.office.person import services
from ntbase.office.person.forms import PersonLookupForm, ReviewForm
from ntbase.office.person.links import learner_from_ref, person_url
from ntbase.office.web import private

bp.add_app_template_global(person_url, "office_person_url")


def _officer_key() -> str:
    return f"office-user:{current_user.get_id()}"


@bp.route("/office/person", methods=["GET", "POST"])
@office_required
# a person is looked up one at a time; trying number after number is not an office task
@limiter.limit("30 per 10 minutes", key_func=_officer_key, methods=["POST"])
def person_lookup():
    form = PersonLookupForm()
    if form.validate_on_submit():
        # a refused (partial) number is rolled back: it leaves no trace
        ok, learner = submit(form, lambda: services.lookup_person(form.id_number.data, current_user))
        if learner is not None:
            return redirect(person_url(learner.id))
        if ok:
            masked = mask_id_number(form.id_number.data)
            form.id_number.data = ""  # a full ID number is not written back into the page
            form.id_number.errors.append(_("No learner is registered with the ID number %(masked)s. Check the "
                                           "number, or ask the person to register on NTBase.", masked=masked))
    return private(render_template("office/person_lookup.html", form=form), 422 if form.errors else 200)


def record_route(rule: str, **options):
    """A route under /office/person/<ref>, for office staff: the view is called with the
    learner the signed reference names; an expired reference sends the officer back to the
    look-up (a forged one, or another officer's, is a 404)."""

    def decorator(view):
        @wraps(view)
        def with_learner(ref: str, **kwargs):
            learner = learner_from_ref(ref)
            if learner is None:
                flash(_("This link to a person’s record has expired. Look the person up again by ID number."),
                      "info")
                return redirect(url_for("office.person_lookup"))
            return view(learner, ref, **kwargs)

        return bp.route("/office/person/<ref>" + rule, **options)(office_required(with_learner))

    return decorator


@record_route("", methods=["GET"])
def person_view(learner, ref: str):
    record = services.person_record(learner, current_user)
    return private(render_template("office/person.html", record=record, learner=learner,
                                   review_form=ReviewForm(), today_year=now().year))


@record_route("/period", methods=["GET"])
def person_period(learner, ref: str):
    try:
        start, end = services.parse_period(request.args.get("start_year"), request.args.get("end_year"))
    except DomainError as err:
        flash(err.message, "error")
        return redirect(url_for("office.person_view", ref=ref))
    result = services.period_check(learner, start, end, current_user)
    return private(render_template("office/period.html", learner=learner, result=result, printed_at=now()))


@record_route("/review/<kind>/<int:object_id>", methods=["POST"])
def person_review(learner, ref: str, kind: str, object_id: int):
    if kind not in ("entry", "exemption"):
        abort(404)
    accept = request.form.get("decision") == "accept"
    act(lambda: services.review_external(learner, kind, object_id, accept, ReviewForm().reason.data or "",
                                         current_user),
        _("Accepted.") if accept else _("Rejected; the learner has been told why."))
    return redirect(url_for("office.person_view", ref=ref) + "#pending")
