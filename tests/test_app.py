import pytest
import sqlalchemy as sa

from ntbase import create_app
from ntbase.config import ConfigError
from ntbase.kernel.db import db


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json == {"status": "ok", "database": True}


def test_healthz_503_when_database_down(make_app, tmp_path):
    bad = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.sqlite3")
    r = bad.test_client().get("/healthz")
    assert r.status_code == 503
    assert r.json["database"] is False


def test_home_in_chinese_by_default(client, base_a):
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html
    assert "选择基地和课程" in html
    assert "甲基地" in html


def test_language_switch_to_english_sticks(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in html and "Choose a base and a course" in html
    # the choice is remembered in the session
    assert "Choose a base and a course" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("lang,text", [("zh_CN", "找不到"), ("en", "could not find")])
def test_404_page_in_both_languages(client, lang, text):
    r = client.get(f"/no-such-page?lang={lang}")
    assert r.status_code == 404
    assert text in r.get_data(as_text=True)


def test_500_page_is_friendly(make_app):
    a = make_app(TEST_ERROR_PAGES=True, PROPAGATE_EXCEPTIONS=False)

    @a.get("/boom")
    def boom():
        raise RuntimeError("x")

    r = a.test_client().get("/boom")
    assert r.status_code == 500
    assert "出错" in r.get_data(as_text=True)


def test_production_refuses_without_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("NTBASE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("NTBASE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_weak_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("NTBASE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "dev")
    monkeypatch.setenv("NTBASE_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_generates_secret_once(monkeypatch, tmp_path):
    monkeypatch.delenv("NTBASE_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("NTBASE_INSTANCE_PATH", str(tmp_path))
    a1 = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    a2 = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert len(a1.config["SECRET_KEY"]) >= 32
    assert a1.config["SECRET_KEY"] == a2.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").exists()


def test_demo_is_idempotent(app_ctx):
    from ntbase.bases.models import TrainingBase
    from ntbase.demo import load_demo

    load_demo()
    db.session.commit()
    counts = {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
              for t in db.metadata.sorted_tables}
    load_demo()
    db.session.commit()
    again = {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
             for t in db.metadata.sorted_tables}
    assert counts == again
    names = set(db.session.scalars(sa.select(TrainingBase.name)))
    assert {"南通职业大学", "南通工贸技师学院", "南通市建设技工学校"} <= names


def test_cli_demo_and_create_user(app_ctx):
    runner = app_ctx.test_cli_runner()
    r = runner.invoke(args=["ntbase", "demo"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["ntbase", "create-user", "--email", "o2@x.cn", "--password", "Strong-pass-1",
                            "--role", "office"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["ntbase", "create-user", "--email", "s@x.cn", "--password", "Strong-pass-1",
                            "--role", "base_staff"])
    assert r.exit_code != 0
    assert "base" in r.output.lower() or "基地" in r.output


@pytest.mark.parametrize("target", ["//evil.example/x", "/\\evil.example", "https://evil.example/",
                                    "/ok\\..\\x", "javascript:alert(1)"])
def test_no_open_redirect_after_language_switch_or_login(client, learner, target):
    r = client.get("/lang/en", query_string={"next": target})
    assert r.headers["Location"] in ("/", "http://localhost/")
    r = client.post("/account/login", query_string={"next": target},
                    data={"login": learner.email, "password": "Test-pass-123"})
    assert r.status_code == 302 and "evil" not in r.headers["Location"] and "javascript" not in r.headers["Location"]


def test_local_next_is_followed(client, learner):
    r = client.post("/account/login", query_string={"next": "/bases"},
                    data={"login": learner.email, "password": "Test-pass-123"})
    assert r.headers["Location"].endswith("/bases")
