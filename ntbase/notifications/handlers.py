"""How notifications react to the others' events."""
from __future__ import annotations

from ntbase.accounts.events import PasswordResetRequested
from ntbase.accounts.models import User
from ntbase.kernel.db import db
from ntbase.kernel.events import subscribe
from ntbase.notifications import services


@subscribe(PasswordResetRequested)
def mail_reset_link(event: PasswordResetRequested) -> None:
    """By e-mail only, to the account's address, never as an in-app notice."""
    user = db.session.get(User, event.user_id)
    if user is not None:
        services.email(user.email, "password_reset", locale=services.locale_of(user), user_id=user.id,
                       reset_url=event.reset_url)
