"""Flask's signed-cookie sessions, with the signer built once per key.

Flask builds a new ``URLSafeTimedSerializer`` for every request that opens or saves a
session (every request); the keys rarely change, so the serializer is kept while the
secret key and its fallbacks stay the same. The cookies are byte for byte Flask's own.
"""
from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._signer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        kept = self._signer
        if kept is None or kept[0] != keys:
            kept = self._signer = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_sessions(app: Flask) -> None:
    app.session_interface = CookieSessions()
