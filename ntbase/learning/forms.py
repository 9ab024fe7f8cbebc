from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (join a live session, start an exam)."""
