"""How a request loads its logged-in user (ntbase.accounts.login.load_session_user): on an
autocommit connection when the request has no transaction yet (one statement, no BEGIN or
COMMIT), else in the request's transaction; the same attached ``User`` either way."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.accounts.login import load_session_user
from ntbase.accounts.models import Notice
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from tests import factories


def _fresh():
    """A new request's session: nothing loaded, no transaction."""
    db.session.remove()


def test_outside_a_transaction_one_statement_and_no_commit(app_ctx, count_queries):
    learner = factories.make_learner(real_name="张晓明")
    db.session.add_all([Notice(user_id=learner.id, title="一"), Notice(user_id=learner.id, title="二")])
    db.session.commit()
    uid = learner.id
    commits = []

    def on_commit(conn):
        commits.append(conn)

    sa.event.listen(db.engine, "commit", on_commit)
    try:
        _fresh()
        with count_queries() as q:
            user = load_session_user(uid)
            # what every page shows of them: no lazy load afterwards
            shown = (user.name, user.profile.real_name, user.profile.id_number_masked, user.is_learner,
                     user.unread_at_load)
            db.session.commit()  # the request's end: no connection was taken, nothing is sent
        assert q.count == 1 and commits == []
        assert shown[1] == "张晓明" and shown[3] is True and shown[4] == 2
        # in a transaction, the same look-up ends with a COMMIT
        _fresh()
        db.session.connection()
        load_session_user(uid)
        db.session.commit()
        assert len(commits) == 1
    finally:
        sa.event.remove(db.engine, "commit", on_commit)


def test_the_user_is_an_ordinary_attached_object(app_ctx):
    learner = factories.make_learner(real_name="李四")
    db.session.commit()
    uid = learner.id
    _fresh()
    user = load_session_user(uid)
    assert user in db.session() and user.profile in db.session()
    assert db.session.get(type(user), uid) is user  # the identity map has it: no second copy
    assert not db.session.dirty
    user.display_name = "改过的名字"
    user.profile.employer = "南通大学"
    db.session.commit()
    _fresh()
    again = load_session_user(uid)
    assert again.display_name == "改过的名字" and again.profile.employer == "南通大学"


def test_inactive_unknown_and_without_a_profile(app_ctx):
    gone = factories.make_learner(real_name="王五")
    gone.is_active_flag = False
    officer = factories.make_user(Role.OFFICE)
    db.session.commit()
    gone_id, officer_id = gone.id, officer.id
    _fresh()
    assert load_session_user(gone_id) is None
    assert load_session_user(10**9) is None
    loaded = load_session_user(officer_id)
    assert loaded.is_office and loaded.profile is None and loaded.unread_at_load == 0


def test_inside_a_transaction_it_sees_that_transactions_writes(app_ctx):
    learner = factories.make_learner(real_name="赵六")
    db.session.commit()
    uid = learner.id
    _fresh()
    db.session.add(Notice(user_id=uid, title="未提交"))
    db.session.flush()  # the request has written: it reads in its own transaction
    user = load_session_user(uid)
    assert user.unread_at_load == 1
    db.session.rollback()
