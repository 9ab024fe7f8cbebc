"""The base's seal: upload / replace / remove (staff of that base), and the image for the
pages that print it. Thin: parse → ``seal`` service → render or redirect."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ntbase.auth import base_manager_required
from ntbase.bases import seal
from ntbase.forms import act, submit

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


def _png(data: bytes) -> Response:
    return Response(data, mimetype="image/png", headers={
        "Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline"})


def _page(base, form, status: int = 200):
    return render_template("bases/seal.html", base=base, form=form, remove_form=RemoveSealForm(),
                           current=seal.seal_of(base.id)), status


@bp.route("/manage/bases/<int:base_id>/seal", methods=["GET", "POST"])
@base_manager_required
def edit(base_id: int):
    from ntbase.bases.services import get_base_or_404

    base = get_base_or_404(base_id)
    form = SealForm()
    if request.method == "GET":
        return _page(base, form)
    if form.validate_on_submit():
        upload = form.image.data
        data = upload.read(seal.MAX_BYTES + 1) if upload else b""
        ok, _saved = submit(form, lambda: seal.save_seal(base.id, data, current_user))
        if ok:
            flash(_("The seal has been saved. It is printed on this base's certificates from now on."), "success")
            return redirect(url_for("seal.edit", base_id=base.id))
    return _page(base, form, 422)


@bp.post("/manage/bases/<int:base_id>/seal/remove")
@base_manager_required
def remove(base_id: int):
    if not RemoveSealForm().validate_on_submit():
        abort(400)
    act(lambda: seal.remove_seal(base_id, current_user),
        _("The seal has been removed. Certificates are printed without it."))
    return redirect(url_for("seal.edit", base_id=base_id))


@bp.get("/manage/bases/<int:base_id>/seal.png")
@base_manager_required
def image(base_id: int):
    current = seal.seal_of(base_id)
    if current is None:
        abort(404)
    return _png(current.png)


@bp.get("/certificates/<int:cert_id>/seal.png")
@login_required
def certificate_image(cert_id: int):
    """The seal as printed on one certificate, for whoever may see that certificate."""
    from ntbase.certificates.models import Certificate
    from ntbase.certificates.services import can_view_document
    from ntbase.db import db

    cert = db.session.get(Certificate, cert_id)
    if cert is None or not can_view_document(current_user, cert):
        abort(404)
    current = seal.seal_of(cert.base_id)
    if current is None:
        abort(404)
    return _png(current.png)
