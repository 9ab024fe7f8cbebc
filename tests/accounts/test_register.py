import logging

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import LearnerProfile, User
from ntbase.kernel.db import db
from ntbase.notifications.models import Delivery
from tests.factories import valid_id_number


def form(**kw):
    data = {
        "real_name": "陈静", "id_number": valid_id_number(501), "mobile": "13800001111",
        "email": "chen@example.cn", "employer": "南通大学", "profession_series": "education",
        "title_level": "intermediate", "password": "Good-pass-2026", "password2": "Good-pass-2026",
    }
    data.update(kw)
    return data


def user_count():
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_register_creates_learner_with_encrypted_id(client, caplog):
    caplog.set_level(logging.DEBUG)
    idn = valid_id_number(502)
    r = client.post("/account/register", data=form(id_number=idn))
    assert r.status_code == 302
    profile = db.session.scalar(sa.select(LearnerProfile))
    assert profile.real_name == "陈静"
    assert idn not in profile.id_number_enc
    assert profile.id_number == idn
    assert profile.id_number_masked == idn[:6] + "********" + idn[-4:]
    # never in logs
    assert idn not in caplog.text
    # the profile shows it masked, and in full only to its owner
    html = client.get("/account/profile").get_data(as_text=True)
    assert profile.id_number_masked in html


def test_wrong_check_digit_shows_error_and_creates_nothing(client):
    idn = valid_id_number(503)
    wrong = idn[:17] + ("1" if idn[17] != "1" else "2")
    r = client.post("/account/register", data=form(id_number=wrong))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "校验位" in html
    assert user_count() == 0


def test_wrong_check_digit_message_in_english(client):
    idn = valid_id_number(504)
    wrong = idn[:17] + ("1" if idn[17] != "1" else "2")
    r = client.post("/account/register?lang=en", data=form(id_number=wrong))
    assert "check digit" in r.get_data(as_text=True)
    assert user_count() == 0


def test_duplicate_id_refused(client):
    idn = valid_id_number(505)
    assert client.post("/account/register", data=form(id_number=idn)).status_code == 302
    client.post("/account/logout")
    r = client.post("/account/register", data=form(id_number=idn, email="other@example.cn", mobile="13800002222"))
    assert r.status_code == 422
    assert "已存在" in r.get_data(as_text=True)
    assert user_count() == 1


@pytest.mark.parametrize("field,value,text", [
    ("mobile", "1234", "11 位"),
    ("password", "short", "至少 10"),
    ("email", "not-an-email", "有效的电子邮箱"),
])
def test_bad_fields_show_message_and_create_nothing(client, field, value, text):
    data = form(**{field: value})
    if field == "password":
        data["password2"] = value
    r = client.post("/account/register", data=data)
    assert r.status_code == 422
    assert text in r.get_data(as_text=True)
    assert user_count() == 0


def test_missing_csrf_token_refused(make_app):
    a = make_app(WTF_CSRF_ENABLED=True)
    with a.app_context():
        c = a.test_client()
        r = c.post("/account/register", data=form())
        assert r.status_code in (400, 422)
        assert "重新加载" in r.get_data(as_text=True) or "过期" in r.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_login_logout_and_wrong_password(client, learner):
    r = client.post("/account/login", data={"login": learner.email, "password": "wrong-password"})
    assert "不正确" in r.get_data(as_text=True)
    r = client.post("/account/login", data={"login": learner.profile.mobile, "password": "Test-pass-123"})
    assert r.status_code == 302
    assert client.get("/account/profile").status_code == 200
    client.post("/account/logout")
    assert client.get("/account/profile").status_code == 302


def test_login_is_rate_limited(make_app):
    a = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with a.app_context():
        c = a.test_client()
        codes = [c.post("/account/login", data={"login": "x@y.cn", "password": "nope"},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3] == 429
        r = c.post("/account/login", data={"login": "x@y.cn", "password": "nope"},
                   environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert "请求过于频繁" in r.get_data(as_text=True)


def test_change_password(client, learner, login):
    login(learner)
    r = client.post("/account/password", data={"current_password": "bad", "new_password": "Newer-pass-99",
                                               "new_password2": "Newer-pass-99"})
    assert "当前密码不正确" in r.get_data(as_text=True)
    r = client.post("/account/password", data={"current_password": "Test-pass-123",
                                               "new_password": "Newer-pass-99", "new_password2": "Newer-pass-99"})
    assert r.status_code == 302
    client.post("/account/logout")
    assert client.post("/account/login", data={"login": learner.email, "password": "Newer-pass-99"}).status_code == 302


def test_password_reset_by_mail_single_use(client, learner):
    r = client.post("/account/reset", data={"email": learner.email})
    assert r.status_code == 302
    # the mail waits in the outbox for the worker (tests/notifications send them over SMTP)
    mail = db.session.scalar(sa.select(Delivery).where(Delivery.recipient == learner.email))
    assert mail is not None
    link = mail.body.split("http://localhost", 1)[1].split()[0]
    r = client.post(link, data={"new_password": "Reset-pass-77", "new_password2": "Reset-pass-77"})
    assert r.status_code == 302
    # the same link cannot be used twice
    r = client.post(link, data={"new_password": "Again-pass-77", "new_password2": "Again-pass-77"})
    assert "已被使用" in r.get_data(as_text=True)
    assert client.post("/account/login", data={"login": learner.email, "password": "Reset-pass-77"}).status_code == 302


def test_reset_for_unknown_email_reveals_nothing(client):
    r = client.post("/account/reset", data={"email": "nobody@example.cn"}, follow_redirects=True)
    assert "如果该邮箱已注册" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_logging_in_puts_the_language_in_the_session(client, learner):
    """Later requests choose the language without loading the user (the heartbeat's path):
    their own choice if they made one, else the default; a language switched to before
    logging in is kept."""
    from ntbase.kernel.db import db

    assert client.post("/account/login", data={"login": learner.email, "password": "Test-pass-123"}).status_code == 302
    with client.session_transaction() as s:
        assert s["lang"] == "zh_CN"
    client.post("/account/logout")
    learner.locale = "en"
    db.session.commit()
    other = client.application.test_client()
    other.post("/account/login", data={"login": learner.email, "password": "Test-pass-123"})
    with other.session_transaction() as s:
        assert s["lang"] == "en"
