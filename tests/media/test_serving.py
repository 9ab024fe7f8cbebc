"""/media/<token>: signed, expiring, bound to one user, with HTTP Range (local backend)."""
from __future__ import annotations

import io
import random
import time

import pytest

from ntbase.kernel.db import db
from ntbase.media.factory import get_storage
from ntbase.media.storage import InvalidKey
from ntbase.media.tokens import TokenExpired, TokenInvalid, UrlSigner
from tests import factories

DATA = random.Random(20261202).randbytes(10_000)  # the same bytes in every test process (xdist)


@pytest.fixture()
def stored(media_app):
    with media_app.app_context():
        return get_storage(media_app).put(io.BytesIO(DATA), content_type="video/mp4")


def media_url(app, key, **kw):
    kw.setdefault("expires_in", 300)
    kw.setdefault("content_type", "video/mp4")
    with app.test_request_context():
        return get_storage(app).url(key, **kw)


def logged_in(app, user):
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    return c


@pytest.fixture()
def two_learners(app_ctx):
    a = factories.make_learner(real_name="甲")
    b = factories.make_learner(real_name="乙")
    db.session.commit()
    return a, b


def test_the_user_it_was_issued_to_gets_the_file(media_app, stored, two_learners):
    a, _ = two_learners
    resp = logged_in(media_app, a).get(media_url(media_app, stored.key, user_id=a.id))
    assert resp.status_code == 200 and resp.get_data() == DATA
    assert "private" in resp.headers["Cache-Control"] and "public" not in resp.headers["Cache-Control"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.mimetype == "video/mp4"


def test_another_user_is_refused(media_app, stored, two_learners):
    a, b = two_learners
    resp = logged_in(media_app, b).get(media_url(media_app, stored.key, user_id=a.id),
                                       query_string={"lang": "en"})
    assert resp.status_code == 403 and DATA not in resp.get_data()
    assert "issued to another account" in resp.get_data(as_text=True)


def test_someone_logged_out_is_refused(media_app, stored, two_learners):
    a, _ = two_learners
    resp = media_app.test_client().get(media_url(media_app, stored.key, user_id=a.id))
    assert resp.status_code == 403 and DATA not in resp.get_data()


def test_refusals_are_in_chinese_by_default(media_app, stored, two_learners):
    a, b = two_learners
    resp = logged_in(media_app, b).get(media_url(media_app, stored.key, user_id=a.id))
    assert resp.status_code == 403
    assert "其他账号" in resp.get_data(as_text=True) or "另一个账号" in resp.get_data(as_text=True)


def test_an_expired_link_says_so(media_app, stored, monkeypatch):
    from ntbase.media import tokens

    real = time.time
    monkeypatch.setattr(tokens.time, "time", lambda: real() - 3600)
    url = media_url(media_app, stored.key, expires_in=60)
    monkeypatch.setattr(tokens.time, "time", real)
    resp = media_app.test_client().get(url, query_string={"lang": "en"})
    assert resp.status_code == 403 and "expired" in resp.get_data(as_text=True)
    assert "no-store" in resp.headers["Cache-Control"]


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),   # signature edited
    lambda t: "x" + t,                                              # payload edited
    lambda t: t.rsplit(".", 1)[0],                                   # signature cut off
])
def test_a_tampered_link_is_refused(media_app, stored, tamper):
    url = media_url(media_app, stored.key)
    prefix, token = url.rsplit("/", 1)
    resp = media_app.test_client().get(f"{prefix}/{tamper(token)}", query_string={"lang": "en"})
    assert resp.status_code == 403 and "not valid" in resp.get_data(as_text=True)


def test_a_token_from_another_secret_is_refused(media_app, stored):
    token = UrlSigner("another-secret-" + "y" * 32).sign(stored.key, expires_in=300, user_id=None,
                                                        content_type="video/mp4")
    resp = media_app.test_client().get(f"/media/{token}")
    assert resp.status_code == 403


@pytest.mark.parametrize(("header", "status", "body", "content_range"), [
    ("bytes=0-99", 206, DATA[:100], "bytes 0-99/10000"),
    ("bytes=9000-", 206, DATA[9000:], "bytes 9000-9999/10000"),
    ("bytes=-500", 206, DATA[-500:], "bytes 9500-9999/10000"),
    ("bytes=9990-20000", 206, DATA[9990:], "bytes 9990-9999/10000"),
    ("bytes=10000-", 416, None, "bytes */10000"),
    ("bytes=20000-30000", 416, None, "bytes */10000"),
])
def test_range_requests(media_app, stored, header, status, body, content_range):
    resp = media_app.test_client().get(media_url(media_app, stored.key), headers={"Range": header})
    assert resp.status_code == status
    assert resp.headers["Content-Range"] == content_range
    if body is not None:
        assert resp.get_data() == body
        assert int(resp.headers["Content-Length"]) == len(body)


def test_head_answers_without_a_body(media_app, stored):
    resp = media_app.test_client().head(media_url(media_app, stored.key))
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == str(len(DATA)) and resp.get_data() == b""
    assert resp.headers["Accept-Ranges"] == "bytes"


def test_a_deleted_object_is_not_found(media_app, stored):
    url = media_url(media_app, stored.key)
    with media_app.app_context():
        get_storage(media_app).delete(stored.key)
    assert media_app.test_client().get(url).status_code == 404


def test_tokens_only_name_server_keys():
    signer = UrlSigner("s" * 40)
    with pytest.raises(InvalidKey):
        signer.sign("../../instance/secret_key", expires_in=60, user_id=None, content_type="text/plain")
    with pytest.raises(TokenInvalid):
        signer.verify("not-a-token")
    token = signer.sign("ab/cd/" + "0" * 32, expires_in=60, user_id=7, content_type="video/mp4", now=1000)
    grant = signer.verify(token, now=1059)
    assert (grant.user_id, grant.expires_at) == (7, 1060)
    with pytest.raises(TokenExpired):
        signer.verify(token, now=1060)
