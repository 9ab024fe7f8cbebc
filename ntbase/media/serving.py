"""``GET|HEAD /media/<token>``: local media behind a signed, expiring, per-user URL.

Werkzeug's ``send_file(conditional=True)`` answers Range requests (206 with
``Content-Range``, ``Accept-Ranges: bytes``, 416 for a range outside the file) and
conditional requests, so players can seek. With the S3 backend the URLs are presigned
and S3 serves them; this view is then unused.

Not registered by this package. The app registers it once::

    from ntbase.media.serving import bp as media_bp
    app.register_blueprint(media_bp)          # url_prefix is /media

and makes URLs with ``get_storage(app).url(key, expires_in=..., user_id=current_user.id,
content_type=..., filename=...)`` after its own access check (enrolled learner, the
base's staff): the token proves that check was made, for that user, a short time ago.
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from ntbase.media.factory import get_storage
from ntbase.media.local import LocalStorage
from ntbase.media.tokens import TokenExpired, TokenInvalid, UrlSigner

bp = Blueprint("media", __name__, url_prefix="/media")


def _refuse(message: str, status: int = 403) -> Response:
    # plain text, not the app's error page: the reader is usually a <video> element,
    # and the message must survive the app's generic 403 handler
    resp = Response(message, status=status, mimetype="text/plain")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _signer() -> UrlSigner:
    cache = current_app.extensions.setdefault("ntbase.media.signer", {})
    secret = current_app.config["SECRET_KEY"]
    if secret not in cache:
        cache.clear()
        cache[secret] = UrlSigner(secret)
    return cache[secret]


@bp.get("/<token>")
def serve(token: str):
    try:
        grant = _signer().verify(token)
    except TokenExpired:
        return _refuse(_("This media link has expired. Reload the page to get a new one."))
    except TokenInvalid:
        return _refuse(_("This media link is not valid. Open the lesson again from your course page."))
    if grant.user_id is not None:
        uid = getattr(current_user, "id", None) if current_user.is_authenticated else None
        if uid is None:
            return _refuse(_("Log in to watch this media."))
        if str(uid) != str(grant.user_id):
            return _refuse(_("This media link was issued to another account. Open the lesson "
                             "from your own course page."))
    storage = get_storage(current_app)
    if not isinstance(storage, LocalStorage):
        return _refuse(_("We could not find that page. Check the address or go back to the home page."), 404)
    path = storage.path(grant.key)
    if not path.is_file():
        return _refuse(_("We could not find that page. Check the address or go back to the home page."), 404)
    try:
        resp = send_file(path, mimetype=grant.content_type, conditional=True, etag=True,
                         as_attachment=grant.disposition == "attachment",
                         download_name=grant.filename or None, max_age=None)
    except RequestedRangeNotSatisfiable:
        # answered here: the app's error pages would drop Content-Range, which players need
        resp = Response(status=416)
        resp.headers["Content-Range"] = f"bytes */{path.stat().st_size}"
        resp.headers["Accept-Ranges"] = "bytes"
    if not grant.filename and grant.disposition != "attachment":
        resp.headers.pop("Content-Disposition", None)  # the random key is no name to show
    resp.cache_control.public = False
    resp.cache_control.private = True
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


# a document lesson's PDF is shown in an <iframe> on the lesson page of this site: allow
# framing by the same origin here only (every other response keeps DENY / 'none')
serve.talisman_view_options = {
    "frame_options": "SAMEORIGIN",
    "content_security_policy": {"default-src": "'self'", "object-src": "'self'", "frame-ancestors": "'self'"},
}
