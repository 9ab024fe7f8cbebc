from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ntbase.bases import seal, seal_views
from ntbase.bases.services import get_base_or_404
from ntbase.certificates import documents, services, signing
from ntbase.certificates.forms import NameForm, ReissueForm, RevokeForm
from ntbase.certificates.pdf import qr_svg, render_certificate_pdf
from ntbase.kernel.auth import learner_required
from ntbase.kernel.bounds import page_arg
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.formatting import public_base_url
from ntbase.kernel.forms import submit

bp = Blueprint("certificates", __name__)
wellknown = Blueprint("wellknown", __name__, url_prefix="/.well-known")
blueprints = [bp, wellknown]


def _public_base_url() -> str:
    return public_base_url()


# ------------------------------------------------------------ learner pages

@bp.get("/me/certificates")
@learner_required
def mine():
    certs = services.certificates_of_learner(current_user.id)
    base = _public_base_url()
    return render_template("certificates/mine.html", certs=certs,
                           share={c.id: services.share_url(c, base) for c in certs})


def _viewable(cert_id: int):
    cert = services.get_certificate_or_404(cert_id)
    if not services.can_view_document(current_user, cert):
        abort(403)
    return cert


@bp.get("/certificates/<int:cert_id>")
@login_required
def document(cert_id: int):
    cert = _viewable(cert_id)
    return render_template("certificates/document.html", cert=cert,
                           qr=qr_svg(services.qr_url(cert, _public_base_url()), scale=3),
                           verify_url=_public_base_url().rstrip("/") + "/verify")


@bp.get("/certificates/<int:cert_id>.pdf")
@login_required
def pdf(cert_id: int):
    cert = _viewable(cert_id)
    lang = request.args.get("lang") if request.args.get("lang") in current_app.config["LANGUAGES"] else "zh_CN"
    # the copy the worker rendered after issue; rendered here only when it is missing or stale
    data = documents.stored_pdf(cert, lang) or render_certificate_pdf(cert, lang)
    filename = f"certificate-{cert.code}{'-en' if lang == 'en' else ''}.pdf"
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store",
    })


# ------------------------------------------------------------ base staff and office

def _can_list_base(base_id: int) -> bool:
    return current_user.is_authenticated and (current_user.is_office or current_user.can_manage_base(base_id))


@bp.get("/manage/bases/<int:base_id>/certificates")
@login_required
def base_list(base_id: int):
    if not _can_list_base(base_id):
        abort(403)
    base = get_base_or_404(base_id)
    page = services.certificates_of_base(base_id, page=page_arg(),
                                         q=request.args.get("q", ""))
    return render_template("certificates/base_list.html", base=base, page=page, q=request.args.get("q", ""))


def _managed(cert_id: int):
    cert = services.get_certificate_or_404(cert_id)
    if not services.can_manage(current_user, cert):
        abort(403)
    return cert


def _render_manage(cert, revoke_form=None, name_form=None, status=200):
    return render_template("certificates/manage.html", cert=cert,
                           revoke_form=revoke_form or RevokeForm(),
                           name_form=name_form or NameForm(holder_name=cert.holder_name),
                           reissue_form=ReissueForm()), status


@bp.get("/manage/certificates/<int:cert_id>")
@login_required
def manage(cert_id: int):
    return _render_manage(_managed(cert_id))


@bp.post("/manage/certificates/<int:cert_id>/revoke")
@login_required
def revoke(cert_id: int):
    cert = _managed(cert_id)
    form = RevokeForm()
    if form.validate_on_submit() and submit(form, lambda: services.revoke_certificate(cert, form.reason.data,
                                                                                     current_user))[0]:
        flash(_("Certificate %(code)s has been revoked.", code=cert.display_code), "success")
        return redirect(url_for("certificates.manage", cert_id=cert.id))
    return _render_manage(cert, revoke_form=form, status=422)


@bp.post("/manage/certificates/<int:cert_id>/name")
@login_required
def correct_name(cert_id: int):
    cert = _managed(cert_id)
    form = NameForm()
    if form.validate_on_submit() and submit(form, lambda: services.correct_holder_name(
            cert, form.holder_name.data, current_user))[0]:
        flash(_("The name has been corrected and the certificate signed again; its code is unchanged."),
              "success")
        return redirect(url_for("certificates.manage", cert_id=cert.id))
    return _render_manage(cert, name_form=form, status=422)


@bp.post("/manage/certificates/<int:cert_id>/reissue")
@login_required
def reissue(cert_id: int):
    cert = _managed(cert_id)
    if not ReissueForm().validate_on_submit():
        abort(400)
    try:
        new = services.reissue_certificate(cert, current_user)
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("certificates.manage", cert_id=cert.id))
    flash(_("A new certificate %(new)s replaces %(old)s, which is now revoked.",
            new=new.display_code, old=cert.display_code), "success")
    return redirect(url_for("certificates.manage", cert_id=new.id))


# ------------------------------------------------------------ for offline verifiers

@wellknown.get("/ntbase-keys.json")
def keys():
    resp = jsonify(signing.public_keys_document())
    resp.headers["Cache-Control"] = "public, max-age=300"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@wellknown.get("/ntbase-revocations.json")
def revocations():
    try:
        doc = services.revocation_list()
    except signing.NoSigningKey:
        # nothing was ever signed here, so nothing can be revoked; the list comes with the first key
        return jsonify(error="no_signing_key", message=_("No certificate has been issued here yet.")), 503
    resp = jsonify(doc)
    resp.headers["Cache-Control"] = "public, max-age=60"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/certificates/<int:cert_id>/seal.png")
@login_required
def seal_image(cert_id: int):
    """The base's seal as printed on one certificate, for whoever may see that certificate."""
    cert = _viewable_or_404(cert_id)
    current = seal.seal_of(cert.base_id)
    if current is None:
        abort(404)
    return seal_views.png_response(current.png)


def _viewable_or_404(cert_id: int):
    cert = services.get_certificate(cert_id)
    if cert is None or not services.can_view_document(current_user, cert):
        abort(404)
    return cert
