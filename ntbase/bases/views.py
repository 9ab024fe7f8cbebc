"""Bases: public pages (list, detail with the Art. 22 disclosure, compare) and the staff
dashboard with the disclosure editor. Thin: parse → service → render; one commit."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.bases import services
from ntbase.bases.forms import (
    FeeItemForm,
    LocationForm,
    ManagerForm,
    RefundPolicyForm,
    RetireForm,
    RoomForm,
    ScopeForm,
    TeacherForm,
)
from ntbase.bases.models import FeeItem, Location, Manager, Room, Teacher
from ntbase.kernel.auth import base_manager_required
from ntbase.kernel.cache import cached_page
from ntbase.kernel.db import db
from ntbase.kernel.enums import Category
from ntbase.kernel.forms import submit

bp = Blueprint("bases", __name__)


def _category_titles() -> dict[str, str]:
    return {c.value: c.title for c in Category}


# ---------------------------------------------------------------- public
@bp.get("/bases")
@cached_page("catalog")
def index():
    return render_template("bases/index.html", bases=services.list_public_bases())


@bp.get("/bases/<int:base_id>")
@cached_page("catalog")
def detail(base_id: int):
    base = services.get_base_or_404(base_id)
    return render_template("bases/detail.html", base=base, version=services.current_disclosure(base.id),
                           history=services.disclosure_history(base.id), categories=_category_titles(),
                           note_text=services.version_note_text)


@bp.get("/bases/<int:base_id>/disclosure/<int:version>")
@cached_page("catalog")
def disclosure_version(base_id: int, version: int):
    base = services.get_base_or_404(base_id)
    dv = services.get_disclosure_version(base.id, version)
    return render_template("bases/disclosure_version.html", base=base, version=dv,
                           history=services.disclosure_history(base.id), categories=_category_titles(),
                           note_text=services.version_note_text)


@bp.get("/manage/bases/<int:base_id>/disclosure")
@base_manager_required
def disclosure(base_id: int):
    base = services.load_disclosure(base_id)
    return render_template("bases/disclosure_edit.html", base=base,
                           missing_keys=services.disclosure_missing_keys(base),
                           parts=services.DISCLOSURE_PARTS, history=services.disclosure_history(base.id),
                           categories=_category_titles(), retire_form=RetireForm(),
                           note_text=services.version_note_text)


def _saved(base_id: int):
    flash(_("Saved. A new version of your disclosure is published."), "success")
    return redirect(url_for("bases.disclosure", base_id=base_id))


@bp.route("/manage/bases/<int:base_id>/disclosure/scope", methods=["GET", "POST"])
@base_manager_required
def edit_scope(base_id: int):
    base = services.load_disclosure(base_id)
    form = ScopeForm(obj=None if request.method == "POST" else base)
    if request.method == "GET":
        form.subjects.data = list(base.scope_subjects or [])
    if form.validate_on_submit() and submit(form, lambda: services.update_scope(
            base, subjects=form.subjects.data, staff_levels=form.staff_levels.data, scope_text=form.scope_text.data,
            terms_text=form.terms_text.data, actor_id=current_user.id))[0]:
        return _saved(base_id)
    return _form_page(base, form, _("Scope and times of training"))


@bp.route("/manage/bases/<int:base_id>/disclosure/refund-policy", methods=["GET", "POST"])
@base_manager_required
def edit_refund_policy(base_id: int):
    base = services.load_disclosure(base_id)
    form = RefundPolicyForm(obj=None if request.method == "POST" else base)
    if form.validate_on_submit() and submit(form, lambda: services.update_refund_policy(
            base, refund_policy=form.refund_policy.data, actor_id=current_user.id))[0]:
        return _saved(base_id)
    return _form_page(base, form, _("Refund policy"))


def _form_page(base, form, heading: str, status: int | None = None):
    code = status or (422 if form.errors or form.form_errors else 200)
    return render_template("bases/item_form.html", base=base, form=form, heading=heading), code


# kind in the URL -> (model, form, heading of "new", heading of "edit")
def _kinds():
    return {
        "fee": (FeeItem, FeeItemForm, _("New fee item"), _("Edit fee item")),
        "teacher": (Teacher, TeacherForm, _("New teacher"), _("Edit teacher")),
        "manager": (Manager, ManagerForm, _("New manager"), _("Edit manager")),
        "location": (Location, LocationForm, _("New teaching location"), _("Edit teaching location")),
        "room": (Room, RoomForm, _("New room"), _("Edit room")),
    }


def _kind(kind: str):
    kinds = _kinds()
    if kind not in kinds:
        abort(404)
    return kinds[kind]


def _load_item(base_id: int, kind: str, item_id: int):
    model = _kind(kind)[0]
    obj = db.session.get(model, item_id)
    owner = None if obj is None else (obj.location.base_id if model is Room else obj.base_id)
    if owner != base_id:
        abort(404)  # no peeking at other bases' rows through this base's URL
    return obj


def _save_item(base, kind: str, obj, form, location=None):
    data = {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}
    actor = current_user.id
    if kind == "fee":
        return services.save_fee_item(base, obj, actor_id=actor, **data)
    if kind == "teacher":
        return services.save_teacher(base, obj, actor_id=actor, **data)
    if kind == "manager":
        return services.save_manager(base, obj, actor_id=actor, **data)
    if kind == "location":
        return services.save_location(base, obj, actor_id=actor, **data)
    return services.save_room(base, location or obj.location, obj, actor_id=actor, **data)


def _item_form(base_id: int, kind: str, obj, location=None):
    base = services.load_disclosure(base_id)
    _model, form_cls, new_title, edit_title = _kind(kind)
    form = form_cls(obj=obj) if request.method == "GET" else form_cls()
    if request.method == "GET" and kind == "fee" and obj is not None:
        form.amount_yuan.data = services.fen_to_yuan_text(obj.amount_fen)
    if form.validate_on_submit() and submit(form, lambda: _save_item(base, kind, obj, form, location))[0]:
        return _saved(base_id)
    heading = edit_title if obj is not None else new_title
    if location is not None:
        heading = f"{heading} · {location.name}"
    return _form_page(base, form, heading)


@bp.route("/manage/bases/<int:base_id>/disclosure/<kind>/new", methods=["GET", "POST"])
@base_manager_required
def new_item(base_id: int, kind: str):
    if kind == "room":
        abort(404)  # rooms are added to a location
    _kind(kind)
    return _item_form(base_id, kind, None)


@bp.route("/manage/bases/<int:base_id>/disclosure/location/<int:location_id>/rooms/new", methods=["GET", "POST"])
@base_manager_required
def new_room(base_id: int, location_id: int):
    location = _load_item(base_id, "location", location_id)
    return _item_form(base_id, "room", None, location=location)


@bp.route("/manage/bases/<int:base_id>/disclosure/<kind>/<int:item_id>", methods=["GET", "POST"])
@base_manager_required
def edit_item(base_id: int, kind: str, item_id: int):
    obj = _load_item(base_id, kind, item_id)
    return _item_form(base_id, kind, obj)


@bp.post("/manage/bases/<int:base_id>/disclosure/<kind>/<int:item_id>/retire")
@base_manager_required
def retire_item(base_id: int, kind: str, item_id: int):
    obj = _load_item(base_id, kind, item_id)
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    base = services.load_disclosure(base_id)
    services.retire_item(base, obj, current_user.id)
    flash(_("Withdrawn from the disclosure. Courses already published keep what they showed."), "success")
    return redirect(url_for("bases.disclosure", base_id=base_id))
