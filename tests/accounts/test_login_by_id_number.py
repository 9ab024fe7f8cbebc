"""Learners log in with their resident ID number as well as e-mail or mobile (#15.15):
looked up by its keyed hash, never echoed in full into the page or written to the log,
rate-limited like every log-in."""
from __future__ import annotations

import logging

import pytest

from ntbase.accounts import services
from tests.factories import PASSWORD, make_learner, valid_id_number


@pytest.fixture()
def person(app_ctx):
    from ntbase.kernel.db import db

    user = make_learner(real_name="张晓明", id_number=valid_id_number(412, birth="19850615"))
    db.session.commit()
    return user


def _post(client, login, password=PASSWORD):
    return client.post("/account/login", data={"login": login, "password": password})


@pytest.mark.parametrize("variant", ["plain", "lower_x", "spaced"])
def test_a_learner_logs_in_with_the_id_number(client, person, variant):
    number = person.profile.id_number
    typed = {"plain": number, "lower_x": number.lower(),
             "spaced": f" {number[:6]} {number[6:14]} {number[14:]} "}[variant]
    r = _post(client, typed)
    assert r.status_code == 302
    assert client.get("/me/courses").status_code == 200


def test_the_id_number_is_found_by_its_hash_only(app_ctx, person):
    """The stored profile holds the keyed hash and ciphertext, never the number in clear."""
    number = person.profile.id_number
    assert services.authenticate(number, PASSWORD).id == person.id
    assert services.authenticate(number, "wrong-password") is None
    from ntbase.accounts.models import LearnerProfile
    from ntbase.kernel.db import db

    stored = [str(v) for v in db.session.execute(
        LearnerProfile.__table__.select().where(LearnerProfile.user_id == person.id)).one()]
    assert number not in stored


def test_a_wrong_or_unknown_number_is_a_plain_failure_and_never_echoed(client, person, caplog):
    number = person.profile.id_number
    other = valid_id_number(413, birth="19850615")
    bad_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    caplog.set_level(logging.DEBUG)
    for typed, password in ((number, "wrong-password"), (other, PASSWORD), (bad_check, PASSWORD)):
        r = _post(client, typed, password)
        html = r.get_data(as_text=True)
        assert r.status_code == 200
        assert "邮箱、手机号、身份证号或密码不正确" in html
        assert typed not in html and typed[6:14] not in html
    assert number not in caplog.text and other not in caplog.text


def test_the_form_says_an_id_number_is_accepted(client):
    html = client.get("/account/login").get_data(as_text=True)
    assert "邮箱、手机号或身份证号" in html and "18 位居民身份证号" in html


def test_email_and_mobile_still_work(client, person):
    assert _post(client, person.email.upper()).status_code == 302
    client.post("/account/logout")
    assert _post(client, person.profile.mobile).status_code == 302


def test_logging_in_by_id_number_is_rate_limited_like_the_rest(make_app, person):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    c = app.test_client()
    codes = [_post(c, valid_id_number(500 + i, birth="19850615"), "x").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert _post(c, person.profile.id_number).status_code == 429  # the right number does not get through either
