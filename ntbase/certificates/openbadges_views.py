"""Open Badges 3.0 downloads, the site's DID document and its status lists.

A download is a POST (with the CSRF token): making a certificate's first credential
reserves its bit in a status list, a write that must be committed before the credential
leaves, or a second download could point at another bit. ``forms.submit`` commits it.
Who may not see a document gets 404, not 403: a stranger learns nothing about its existence.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ntbase.certificates import did_web, openbadges, signing, status_list
from ntbase.certificates import services as certificates
from ntbase.certificates.models import Certificate
from ntbase.kernel.db import db
from ntbase.kernel.forms import submit

bp = Blueprint("openbadges", __name__)


class DownloadForm(FlaskForm):
    """Only the CSRF token: the download is a state-changing POST."""


def credential_response(token: str, filename: str) -> Response:
    return Response(token, mimetype=openbadges.MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def download_failed(form: FlaskForm, back: str):
    for message in form.form_errors or [_("The Open Badge could not be made. Please try again.")]:
        flash(message, "error")
    return redirect(back)


@bp.post("/certificates/<int:cert_id>/open-badge")
@login_required
def certificate(cert_id: int):
    cert = db.session.get(Certificate, cert_id)
    if cert is None or not certificates.can_view_document(current_user, cert):
        abort(404)
    form = DownloadForm()
    if not form.validate_on_submit():
        abort(400)
    ok, token = submit(form, lambda: openbadges.certificate_jwt(cert))
    if not ok:
        back = (url_for("certificates.mine") if current_user.id == cert.learner_id
                else url_for("certificates.manage", cert_id=cert.id))
        return download_failed(form, back)
    return credential_response(token, f"certificate-{cert.code}.jwt")


# ------------------------------------------------------------ for verifiers (public)

def _public(resp: Response, max_age: int) -> Response:
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


@bp.get("/.well-known/did.json")
@bp.get("/did.json")  # did:web with a path (PUBLIC_BASE_URL under a prefix) resolves here
def did_document():
    resp = jsonify(did_web.did_document())
    resp.mimetype = "application/did+json"
    return _public(resp, 300)


@bp.get("/credentials/status/<int:list_id>")
def status_list_credential(list_id: int):
    """The signed BitstringStatusListCredential, as a VC-JWT. Never creates a signing key
    (a GET writes nothing): a server without one answers 503."""
    if not status_list.list_exists(list_id):
        abort(404)
    if signing.active_key(create=False) is None:
        abort(503)
    token = openbadges.encode_jwt(status_list.status_list_credential(list_id))
    return _public(Response(token, mimetype=openbadges.MEDIA_TYPE), 300)
