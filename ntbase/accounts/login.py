"""Flask-Login wiring: how a session's user is loaded and where anonymous users are sent."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import user_logged_in
from sqlalchemy.orm import joinedload

from ntbase.accounts.models import Notice, User
from ntbase.kernel.db import db


def load_session_user(user_id: int) -> User | None:
    """The logged-in user of a request, with their profile and ``unread_at_load`` (their
    unread notices as the request began), in one statement; None if unknown or inactive."""
    unread = (sa.select(sa.func.count(Notice.id))
              .where(Notice.user_id == User.id, Notice.read_at.is_(None)).scalar_subquery())
    row = db.session.execute(sa.select(User, unread).where(User.id == user_id)
                             .options(joinedload(User.profile))).first()
    if row is None or not row[0].is_active:
        return None
    user, row_unread = row
    user.unread_at_load = int(row_unread or 0)
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
