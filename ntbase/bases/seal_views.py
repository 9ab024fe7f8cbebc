"""The base's seal: upload / replace / remove (staff of that base), and the image for the
pages that print it. Thin: parse → ``seal`` service → render or redirect."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ntbase.bases import seal
from ntbase.bases.services import get_base_or_404
from ntbase.kernel.auth import base_manager_required, office_required
from ntbase.kernel.forms import act, submit

bp = Blueprint("seal", __name__)


class SealForm(FlaskForm):
    image = FileField(_l("Seal image (PNG)"), render_kw={"accept": "image/png"},
                      description=_l("A PNG of the seal, at most 1 MB and 2000 × 2000 pixels; a white "
                                     "background becomes transparent."))


class RemoveSealForm(FlaskForm):
    pass


@bp.app_template_global("base_seal")
def base_seal(base_id: int):
    """The seal row of a base (its image stays unloaded), or None: for templates."""
    return seal.seal_of(base_id)


def png_response(data: bytes) -> Response:
    return Response(data, mimetype="image/png", headers={
        "Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


def _page(base, form, status: int = 200):
    """The seal page of a base, or of the platform when ``base`` is None."""
    base_id = base.id if base is not None else None
    kw = {"base_id": base_id} if base is not None else {}
    prefix = "seal." if base is not None else "seal.platform_"
    return render_template(
        "bases/seal.html", base=base, form=form, remove_form=RemoveSealForm(), current=seal.seal_of(base_id),
        image_url=lambda v: url_for(prefix + "image", v=v, **kw),
        remove_url=url_for(prefix + "remove", **kw),
        back_url=url_for("catalog.base_dashboard", base_id=base_id) if base is not None else url_for("office.index"),
        owner_name=base.name if base is not None else _("The platform (yearly hours statements)")), status


def _edit(base_id: int | None, back: str):
    base = None
    if base_id is not None:
        base = get_base_or_404(base_id)
    form = SealForm()
    if request.method == "GET":
        return _page(base, form)
    if form.validate_on_submit():
        upload = form.image.data
        data = upload.read(seal.MAX_BYTES + 1) if upload else b""
        ok, _saved = submit(form, lambda: seal.save_seal(base_id, data, current_user))
        if ok:
            flash(_("The seal has been saved. It is printed on the documents from now on."), "success")
            return redirect(back)
    return _page(base, form, 422)


def _remove(base_id: int | None, back: str):
    if not RemoveSealForm().validate_on_submit():
        abort(400)
    act(lambda: seal.remove_seal(base_id, current_user),
        _("The seal has been removed. The documents are printed without it."))
    return redirect(back)


def _image(base_id: int | None):
    current = seal.seal_of(base_id)
    if current is None:
        abort(404)
    return png_response(current.png)


# ------------------------------------------------------------ a base's seal (its staff)

@bp.route("/manage/bases/<int:base_id>/seal", methods=["GET", "POST"])
@base_manager_required
def edit(base_id: int):
    return _edit(base_id, url_for("seal.edit", base_id=base_id))


@bp.post("/manage/bases/<int:base_id>/seal/remove")
@base_manager_required
def remove(base_id: int):
    return _remove(base_id, url_for("seal.edit", base_id=base_id))


@bp.get("/manage/bases/<int:base_id>/seal.png")
@base_manager_required
def image(base_id: int):
    return _image(base_id)


# ------------------------------------------------------------ the platform's seal (the office)

@bp.route("/office/seal", methods=["GET", "POST"])
@office_required
def platform_edit():
    return _edit(None, url_for("seal.platform_edit"))


@bp.post("/office/seal/remove")
@office_required
def platform_remove():
    return _remove(None, url_for("seal.platform_edit"))


@bp.get("/office/seal.png")
@office_required
def platform_image():
    return _image(None)
