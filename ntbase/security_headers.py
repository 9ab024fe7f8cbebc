"""HTTP security headers on every response (HTML, JSON, files), through flask-talisman.

The Content-Security-Policy is strict: scripts and styles come from this site's own
``static/`` only (no inline ``<script>``, no ``style="…"``, no ``on…=`` handlers; a
test walks the templates and the rendered pages for them). ``script-src`` also carries a
per-request nonce (``csp_nonce()`` in templates) for the rare block that must be inline;
none is needed today, and cached anonymous pages (``ntbase.cache``) must not hold one.

HSTS and the redirect to HTTPS are for production only: the development site and the
tests run on http://127.0.0.1.
"""
from __future__ import annotations

import os
import secrets
from urllib.parse import urlsplit

from flask import Flask, request
from flask_talisman import Talisman

# QR codes are inline <svg> elements (ntbase.certificates.pdf.qr_svg), not data: URIs,
# so images need nothing beyond 'self'.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": "'self'",
    # a document lesson's PDF opens in an <iframe> from /media (or the S3 endpoint)
    "frame-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# the scan page reads QR codes with the camera; nothing else needs a device
PERMISSIONS = {"browsing-topics": "()", "camera": "(self)", "microphone": "()", "geolocation": "()",
               "payment": "()"}


# load balancers and orchestrators probe over plain HTTP inside the network
HTTPS_EXEMPT_PATHS = {"/healthz"}


_NONCE_MARK = "\x00nonce\x00"


class _Talisman(Talisman):
    """Talisman with what it works out on every request worked out once: a view's options
    (its ``talisman_view_options`` over the app's) once per endpoint, a policy's header text
    once per policy with the request's nonce put in, the nonce from ``secrets``. The headers
    are the library's own (a test compares them with an unmodified Talisman's)."""

    def _force_https(self):
        if request.path in HTTPS_EXEMPT_PATHS:
            return None
        return super()._force_https()

    def _get_local_options(self):
        memo = self.__dict__.setdefault("_ntbase_options", {})
        endpoint = request.endpoint
        options = memo.get(endpoint)
        if options is None:
            options = memo[endpoint] = super()._get_local_options()
        return options

    def _make_nonce(self):
        options = self._get_local_options()
        if (options["content_security_policy"] and options["content_security_policy_nonce_in"]
                and not getattr(request, "csp_nonce", None)):
            request.csp_nonce = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]

    def _parse_policy(self, policy):
        nonce = getattr(request, "csp_nonce", None)
        memo = self.__dict__.setdefault("_ntbase_policies", {})
        key = (id(policy), request.endpoint, nonce is not None)
        text = memo.get(key)
        if text is None:
            if nonce is not None:
                request.csp_nonce = _NONCE_MARK
            try:
                text = memo[key] = super()._parse_policy(policy)
            finally:
                if nonce is not None:
                    request.csp_nonce = nonce
        return text.replace(_NONCE_MARK, nonce) if nonce is not None else text


def csp_for(app: Flask) -> dict:
    """The policy, with the S3 endpoint's origin allowed for lesson media when media are
    served from object storage (presigned URLs point there)."""
    policy = dict(CSP)
    endpoint = app.config.get("MEDIA_S3_ENDPOINT_URL") or os.environ.get("MEDIA_S3_ENDPOINT_URL")
    bucket = app.config.get("MEDIA_S3_BUCKET") or os.environ.get("MEDIA_S3_BUCKET")
    if bucket:
        parts = urlsplit(endpoint) if endpoint else None
        origin = f"{parts.scheme}://{parts.netloc}" if parts and parts.netloc else "https://*.amazonaws.com"
        for directive in ("media-src", "frame-src"):
            policy[directive] = f"{policy[directive]} {origin}"
    return policy


def talisman_options(app: Flask) -> dict:
    production = app.config.get("NTBASE_ENV") == "production"
    return dict(
        content_security_policy=csp_for(app),
        content_security_policy_nonce_in=["script-src"],
        content_security_policy_report_uri=app.config.get("CSP_REPORT_URI") or None,
        force_https=bool(app.config.get("FORCE_HTTPS", production)),
        strict_transport_security=production,
        # sibling hosts on an office intranet may still be plain HTTP
        strict_transport_security_include_subdomains=False,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy=PERMISSIONS,
        # keep the cookie settings of ntbase.config (Secure only in production)
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        session_cookie_samesite=app.config.get("SESSION_COOKIE_SAMESITE", "Lax"),
    )


def init_security_headers(app: Flask) -> Talisman:
    """Bind one Talisman per app: it keeps the app and its options on itself, so a
    shared unbound instance (extensions.py) would mix the settings of the test apps."""
    talisman = _Talisman()
    talisman.init_app(app, **talisman_options(app))
    app.extensions["talisman"] = talisman
    return talisman
