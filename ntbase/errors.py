"""Friendly error pages in the user's language; JSON for /api/."""
from __future__ import annotations

import logging
import time

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ntbase.kernel.extensions import db, limiter
from ntbase.kernel.json_input import JSON_PATHS, too_large_message

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return (request.path.startswith(("/api/", "/.well-known/") + JSON_PATHS)
            or (request.is_json and request.method not in ("GET", "HEAD")))


def _messages():
    return {
        400: _("The request could not be understood. Please check what you entered and try again."),
        401: _("Please log in to continue."),
        403: _("You do not have permission to see this page."),
        404: _("We could not find that page. Check the address or go back to the home page."),
        405: _("That action is not allowed here."),
        413: _("The upload is too large. Please choose a smaller file."),
        422: _("Some of the data is not valid."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is temporarily unavailable. Please try again later."),
    }


def _retry_after(exc) -> int | None:
    """Seconds until the limit that refused this request lets it through again. Rate-limit
    headers are off on ordinary responses (each would cost the storage a second round
    trip); a refused request is rare, so it pays for the look-up."""
    if getattr(exc, "retry_after", None):
        return int(exc.retry_after)
    current = limiter.current_limit if getattr(exc, "limit", None) is not None else None
    if current is None:
        return None
    return max(1, int(current.reset_at - time.time()))


def init_errors(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        msg = _("Your form has expired or was not sent from this site. Please reload the page and try again.")
        if _wants_json():
            return jsonify(error="csrf", message=msg), 400
        return render_template("errors/error.html", code=400, message=msg), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        msg = getattr(exc, "ntbase_message", None) or _messages().get(code, exc.description)
        if code == 413 and _wants_json():
            msg = too_large_message()
        # what the exception says in headers stays: Allow on a 405 (RFC 9110), Retry-After…
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if code == 429:
            retry = _retry_after(exc)
            if retry:
                headers = [(k, v) for k, v in headers if k.lower() != "retry-after"] + [("Retry-After", str(retry))]
                msg = _("Too many requests. Please wait %(s)s seconds and try again.", s=retry)
        if _wants_json():
            payload = {"error": exc.name.lower().replace(" ", "_"), "message": msg}
            resp = jsonify(payload)
            resp.status_code = code
        else:
            resp = app.make_response((render_template("errors/error.html", code=code, message=msg), code))
        resp.headers.extend(headers)
        return resp

    if app.testing and not app.config.get("TEST_ERROR_PAGES"):
        return  # let tests see real tracebacks

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)

        db.session.rollback()
        msg = _messages()[500]
        if _wants_json():
            return jsonify(error="server_error", message=msg), 500
        return render_template("errors/error.html", code=500, message=msg), 500
