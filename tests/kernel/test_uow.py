"""The request's unit of work: one commit at the end of a request that succeeded, a
rollback otherwise; reads cannot write; a look at personal data is recorded regardless."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from ntbase.accounts.models import Notice, User
from ntbase.kernel import audit, uow
from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.kernel.errors import DomainError
from tests import factories


def _notices() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count(Notice.id)))


@pytest.fixture()
def routes(make_app, app_ctx):
    """An app with a few test routes that write a notice, then do something."""
    app = make_app()
    user = factories.make_learner()
    db.session.commit()
    uid, email = user.id, user.email

    def write():
        db.session.add(Notice(user_id=uid, title="t", body="b"))
        db.session.flush()

    @app.get("/t/read-then-write")
    def read_then_write():
        write()
        return "never"

    @app.get("/t/read-and-look")
    def read_and_look():
        audit.record_view("person.view", None, subject_user_id=uid, object_type="user", object_id=uid)
        return "looked"

    @app.post("/t/write")
    def write_ok():
        write()
        return "ok"

    @app.post("/t/write-then-refuse")
    def write_then_refuse():
        write()
        raise DomainError("no", field="x")

    @app.post("/api/t/write-then-refuse")
    def api_write_then_refuse():
        write()
        raise DomainError("no", code="duplicate")

    @app.post("/t/write-then-422")
    def write_then_422():
        write()
        return "bad", 422

    @app.post("/t/write-then-422-kept")
    def write_then_422_kept():
        write()
        uow.keep_writes()
        return "recorded", 422

    @app.post("/t/look-then-refuse")
    def look_then_refuse():
        audit.record_view("person.view", None, subject_user_id=uid, object_type="user", object_id=uid)
        write()
        return jsonify(error="x"), 422

    @app.post("/t/duplicate-at-commit")
    def duplicate_at_commit():
        # the same e-mail twice, discovered only when the unit of work flushes and commits
        db.session.add(User(email=email, password_hash="x", role=Role.LEARNER))
        return "ok"

    @app.post("/t/after-commit")
    def with_after_commit():
        write()
        uow.after_commit(lambda: app.config.__setitem__("HOOK_RAN", True))
        return "ok"

    return app


def test_a_get_that_tries_to_write_fails_before_the_database(routes):
    with pytest.raises(uow.ReadOnlyRequest, match="GET /t/read-then-write tried to write to notice"):
        routes.test_client().get("/t/read-then-write")
    assert _notices() == 0


def test_a_get_may_record_that_someone_looked(routes):
    assert routes.test_client().get("/t/read-and-look").status_code == 200
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id)).where(AuditLog.action == "person.view")) == 1


def test_a_successful_post_commits_once(routes):
    assert routes.test_client().post("/t/write").status_code == 200
    assert _notices() == 1


def test_a_domain_error_rolls_everything_back_and_is_answered_in_one_place(routes):
    client = routes.test_client()
    r = client.post("/t/write-then-refuse", headers={"Referer": "http://localhost/somewhere?x=1"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/somewhere?x=1")
    r = client.post("/api/t/write-then-refuse")
    assert r.status_code == 409 and r.json == {"error": "duplicate", "message": "no"}
    assert _notices() == 0


def test_an_error_response_rolls_back_unless_told_to_keep(routes):
    client = routes.test_client()
    assert client.post("/t/write-then-422").status_code == 422
    assert _notices() == 0
    assert client.post("/t/write-then-422-kept").status_code == 422
    assert _notices() == 1


def test_a_look_is_recorded_even_when_the_request_is_rolled_back(routes):
    assert routes.test_client().post("/t/look-then-refuse").status_code == 422
    assert _notices() == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditLog.id))) == 1


def test_a_race_lost_at_commit_is_a_409_with_a_message(routes):
    r = routes.test_client().post("/t/duplicate-at-commit")
    assert r.status_code == 409 and "同一时刻" in r.get_data(as_text=True)


def test_after_commit_hooks_run_only_after_a_commit(routes):
    assert routes.test_client().post("/t/after-commit").status_code == 200
    assert routes.config.get("HOOK_RAN") is True


def test_unit_of_work_for_the_cli_commits_or_rolls_back(app_ctx):
    user = factories.make_learner()
    db.session.commit()
    with uow.unit_of_work():
        db.session.add(Notice(user_id=user.id, title="kept", body=""))
    with pytest.raises(RuntimeError), uow.unit_of_work():
        db.session.add(Notice(user_id=user.id, title="undone", body=""))
        db.session.flush()
        raise RuntimeError("boom")
    assert [n.title for n in db.session.scalars(sa.select(Notice))] == ["kept"]


def test_views_never_commit_by_hand():
    """Done-when of issue #11: the unit of work is the one place that commits."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "ntbase"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if re.search(r"db\.session\.commit\(\)", p.read_text(encoding="utf-8"))
                 and p.name != "uow.py"]
    assert offenders == []
