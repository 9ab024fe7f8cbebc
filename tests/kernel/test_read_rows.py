"""kernel.db.read_rows: a read-only statement on the request's transaction when it has one,
else on an autocommit connection (no BEGIN and COMMIT around it)."""
import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.kernel.db import db, holds_connection, read_rows
from ntbase.kernel.enums import Role
from tests import factories


def _names(user_id: int) -> list:
    return [r[0] for r in read_rows(sa.select(User.display_name).where(User.id == sa.bindparam("u")),
                                    {"u": user_id})]


def test_without_a_transaction_it_reads_committed_rows_and_begins_nothing(app_ctx, count_begins, count_queries):
    user = factories.make_user(Role.OFFICE, display_name="张三")
    db.session.commit()
    uid = user.id
    db.session.remove()
    with count_begins() as began, count_queries() as q:
        assert _names(uid) == ["张三"]
    assert began == [] and q.count == 1
    assert not holds_connection(db.session())


def test_attaching_an_object_is_not_holding_a_connection(app_ctx, count_begins):
    """The session user is attached without a query: the session is then "in a transaction"
    (``in_transaction()``) but has sent nothing, so a read still goes outside it."""
    user = factories.make_user(Role.OFFICE, display_name="李四")
    db.session.commit()
    uid = user.id
    columns = {c.key: getattr(user, c.key) for c in User.__mapper__.column_attrs}
    db.session.remove()
    detached = User(**columns)
    sa.orm.make_transient_to_detached(detached)
    db.session.add(detached)
    assert db.session().in_transaction() and not holds_connection(db.session())
    with count_begins() as began:
        assert _names(uid) == ["李四"]
    assert began == []


def test_inside_a_transaction_it_sees_that_transactions_own_writes(app_ctx, count_begins):
    user = factories.make_user(Role.OFFICE, display_name="王五")
    db.session.commit()
    db.session.get(User, user.id)  # the session has read: it holds a connection
    assert holds_connection(db.session())
    db.session.execute(sa.update(User).where(User.id == user.id).values(display_name="王五改"))
    assert _names(user.id) == ["王五改"]  # not yet committed: only its own transaction sees it
    db.session.rollback()
    assert not holds_connection(db.session())
    assert _names(user.id) == ["王五"]


def test_a_pending_change_is_flushed_and_read_in_the_transaction(app_ctx):
    """A changed object not yet flushed: the read goes through the session (autoflush), so
    the page reads what the request has just changed."""
    user = factories.make_user(Role.OFFICE, display_name="赵六")
    db.session.commit()
    uid = user.id
    db.session.remove()
    fresh = db.session.get(User, uid)
    db.session.commit()  # loaded, transaction over: no connection held
    fresh.display_name = "赵六改"
    assert holds_connection(db.session())  # dirty
    assert _names(uid) == ["赵六改"]
    db.session.rollback()
