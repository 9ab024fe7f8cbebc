"""The office's page of each base: certify, suspend or revoke it, assess it over a period."""
from __future__ import annotations

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.bases.models import TrainingBase
from ntbase.bases.services import get_base_or_404
from ntbase.kernel.auth import office_required
from ntbase.kernel.db import now
from ntbase.kernel.enums import CertificationStatus
from ntbase.kernel.forms import submit
from ntbase.office.bases import services
from ntbase.office.bases.forms import AssessmentForm, CertifyForm, StatusForm
from ntbase.office.blueprint import bp


@bp.get("/office/bases")
@office_required
def bases():
    return render_template("office/bases.html", rows=services.office_bases())


@bp.get("/office/bases/<int:base_id>")
@office_required
def base_detail(base_id: int):
    return _base_page(get_base_or_404(base_id))


def _period_args() -> tuple[date, date]:
    """``?from=&to=``, by default last calendar year."""
    today = now().date()
    default_start = date(today.year - 1, 1, 1)
    default_end = date(today.year - 1, 12, 31)
    try:
        start = date.fromisoformat(request.args.get("from", "")) if request.args.get("from") else default_start
        end = date.fromisoformat(request.args.get("to", "")) if request.args.get("to") else default_end
    except ValueError:
        return default_start, default_end
    return (start, end) if end >= start else (default_start, default_end)


def _status_form(base: TrainingBase, **kwargs) -> StatusForm:
    form = StatusForm(**kwargs)
    form.status.choices = [(s.value, s.title) for s in CertificationStatus if s != base.status]
    return form


def _base_page(base: TrainingBase, certify_form=None, status_form=None, assess_form=None, code=200):
    start, end = _period_args()
    if assess_form is None:
        assess_form = AssessmentForm(formdata=None, period_start=start, period_end=end)
    if certify_form is None:
        certify_form = CertifyForm(formdata=None, level=base.level.value,
                                   staff_levels=list(base.staff_levels or []), is_talent_base=base.is_talent_base)
    if status_form is None:
        status_form = _status_form(base, formdata=None)
    figures = services.base_figures(base.id, assess_form.period_start.data or start,
                                    assess_form.period_end.data or end)
    return render_template("office/base.html", base=base, certify_form=certify_form, status_form=status_form,
                           assess_form=assess_form, figures=figures, labels=services.FIGURE_LABELS,
                           assessments=services.base_assessments(base.id), period=(start, end)), code


def _decide(base: TrainingBase, form_name: str, form, action, success):
    """One of the base page's forms: run ``action`` and go back to the page, or show the
    page again with the refusal next to its field."""
    if form.validate_on_submit() and submit(form, action)[0]:
        flash(success(), "success")
        return redirect(url_for("office.base_detail", base_id=base.id))
    return _base_page(base, code=422, **{form_name: form})


@bp.post("/office/bases/<int:base_id>/certify")
@office_required
def base_certify(base_id: int):
    base, form = get_base_or_404(base_id), CertifyForm()
    return _decide(base, "certify_form", form, lambda: services.certify_base(
        base, level=form.level.data, staff_levels=form.staff_levels.data or [],
        is_talent_base=form.is_talent_base.data, reason=form.reason.data or "", actor=current_user),
        lambda: _("The base is certified."))


@bp.post("/office/bases/<int:base_id>/status")
@office_required
def base_status(base_id: int):
    base = get_base_or_404(base_id)
    form = _status_form(base)
    return _decide(base, "status_form", form, lambda: services.set_base_status(
        base, form.status.data, form.reason.data or "", current_user),
        lambda: _("The base's status is now: %(s)s.", s=base.status.title))


@bp.post("/office/bases/<int:base_id>/assess")
@office_required
def base_assess(base_id: int):
    base, form = get_base_or_404(base_id), AssessmentForm()
    return _decide(base, "assess_form", form, lambda: services.record_assessment(
        base, period_start=form.period_start.data, period_end=form.period_end.data, rating=form.rating.data,
        conclusion=form.conclusion.data, actor=current_user), lambda: _("Assessment recorded."))
