"""The cookie sessions (ntbase.kernel.sessions): Flask's own cookies, the signer kept per key."""
from __future__ import annotations

import itsdangerous
import pytest
from flask.sessions import SecureCookieSessionInterface

from ntbase.kernel.sessions import CookieSessions


def test_a_cookie_is_flasks_own_and_reads_back(app):
    ours, flasks = CookieSessions(), SecureCookieSessionInterface()
    cookie = ours.get_signing_serializer(app).dumps({"_user_id": "7", "lang": "en"})
    assert flasks.get_signing_serializer(app).loads(cookie) == {"_user_id": "7", "lang": "en"}
    assert ours.get_signing_serializer(app).loads(flasks.get_signing_serializer(app).dumps({"a": 1})) == {"a": 1}


def test_the_signer_is_kept_until_the_key_changes(app):
    sessions = CookieSessions()
    first = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is first
    old_key = app.secret_key
    cookie = first.dumps({"a": 1})
    app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = "a-new-key-" + "n" * 40, [old_key]
    try:
        rotated = sessions.get_signing_serializer(app)
        assert rotated is not first
        assert rotated.loads(cookie) == {"a": 1}  # signed with the old key: still read
        app.config["SECRET_KEY_FALLBACKS"] = []
        with pytest.raises(itsdangerous.BadSignature):
            sessions.get_signing_serializer(app).loads(cookie)
    finally:
        app.secret_key, app.config["SECRET_KEY_FALLBACKS"] = old_key, []


def test_the_app_uses_them(app, client):
    assert isinstance(app.session_interface, CookieSessions)
    client.get("/?lang=en")
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
