"""Flask-Login wiring: how a session's user is loaded and where anonymous users are sent."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ntbase.accounts.models import LearnerProfile, Notice, User
from ntbase.kernel.db import autocommit_rows, db, holds_connection


def _unread():
    return (sa.select(sa.func.count(Notice.id))
            .where(Notice.user_id == User.id, Notice.read_at.is_(None)).scalar_subquery())


def load_session_user(user_id: int) -> User | None:
    """The logged-in user of a request, with their profile and ``unread_at_load`` (their
    unread notices as the request began), in one statement; None if unknown or inactive.

    A request that has not yet opened a transaction (most pages load the user first: a
    cached page needs nothing else from the database) reads the row on an autocommit
    connection, the statement alone without BEGIN and COMMIT around it, and gets the same
    ``User`` attached to the request's session as if a query had loaded it."""
    if not (db.session.registry.has() and (holds_connection(db.session()) or _known(user_id))):
        return _load_outside_transaction(user_id)
    row = db.session.execute(sa.select(User, _unread()).where(User.id == user_id)
                             .options(joinedload(User.profile))).first()
    if row is None or not row[0].is_active:
        return None
    user, row_unread = row
    user.unread_at_load = int(row_unread or 0)
    return user


_USER_COLUMNS = [c.key for c in User.__mapper__.column_attrs]
_PROFILE_COLUMNS = [c.key for c in LearnerProfile.__mapper__.column_attrs]


_OUTSIDE = None


def _known(user_id: int) -> bool:
    """The user is already in the request's session (a test's own objects): a query
    refreshes that object, as it always has."""
    return sa.orm.util.identity_key(User, user_id) in db.session().identity_map


def _outside_statement():
    """Built once: a Core statement's construction costs more than its execution."""
    global _OUTSIDE
    if _OUTSIDE is None:
        users, profiles = User.__table__, LearnerProfile.__table__
        user_cols = [User.__mapper__.columns[k] for k in _USER_COLUMNS]
        profile_cols = [LearnerProfile.__mapper__.columns[k].label(f"p_{k}") for k in _PROFILE_COLUMNS]
        _OUTSIDE = (sa.select(*user_cols, *profile_cols, _unread().label("unread"))
                    .select_from(users.outerjoin(profiles, profiles.c.user_id == users.c.id))
                    .where(users.c.id == sa.bindparam("uid")))
    return _OUTSIDE


def _load_outside_transaction(user_id: int) -> User | None:
    rows = autocommit_rows(_outside_statement(), {"uid": user_id})
    if not rows:
        return None
    row = rows[0]._mapping
    session = db.session()
    user = User(**{k: row[User.__mapper__.columns[k].name] for k in _USER_COLUMNS})
    if not user.is_active:
        return None
    profile = None
    if row["p_id"] is not None:
        profile = LearnerProfile(**{k: row[f"p_{k}"] for k in _PROFILE_COLUMNS})
        sa.orm.make_transient_to_detached(profile)
        session.add(profile)
        set_committed_value(profile, "user", user)
    sa.orm.make_transient_to_detached(user)
    session.add(user)
    set_committed_value(user, "profile", profile)
    user.unread_at_load = int(row["unread"] or 0)
    return user


@user_logged_in.connect
def _keep_locale(app, user, **_kw) -> None:
    """The language in the session from the log-in on: choosing it on later requests never
    needs the user loaded (the heartbeat answers without loading them)."""
    session.setdefault("lang", user.locale or app.config["BABEL_DEFAULT_LOCALE"])


def init_login(login_manager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        # the profile and the unread notices come in the same statement: nearly every page
        # shows the user's name and the badge of the account menu
        return load_session_user(int(user_id))

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401)
        flash(str(login_manager.login_message), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
