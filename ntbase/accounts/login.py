"""Flask-Login wiring: how a session's user is loaded and where anonymous users are sent."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ntbase.accounts.models import User
from ntbase.kernel.db import db


def init_login(login_manager) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        # the profile comes in the same statement: nearly every page shows the user's name
        user = db.session.get(User, int(user_id), options=[joinedload(User.profile)])
        return user if user is not None and user.is_active else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401)
        flash(str(login_manager.login_message), "info")
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
