"""What accounts tells the others."""
from __future__ import annotations

from dataclasses import dataclass

from ntbase.kernel.events import Event


@dataclass(frozen=True)
class PasswordResetRequested(Event):
    """Someone asked for a reset link for this account: it goes to its e-mail address only
    (``notifications.handlers``), whatever the notification settings."""

    user_id: int
    reset_url: str
