"""Shared rate limits (flask-limiter), for the code of every domain.

``id_number_lookup``: each look-up of a person by full ID number made by staff (a base's
manual enrollment, the office's applicant list) reveals whether that number is
registered; trying number after number is not anyone's task. One budget per logged-in
user across every page that looks a number up (``ID_LOOKUP_RATE_LIMIT``, default
30 per 10 minutes), so moving to another page does not help. A refusal is the translated
429 page (``ntbase.errors``).
"""
from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from ntbase.kernel.extensions import limiter


def user_key() -> str:
    """Per logged-in user (an address is shared by a whole office); per address before login."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return f"ip:{request.remote_addr or ''}"


def id_lookup_limit() -> str:
    return current_app.config.get("ID_LOOKUP_RATE_LIMIT") or "30 per 10 minutes"


id_number_lookup = limiter.shared_limit(id_lookup_limit, scope="id-number-lookup", key_func=user_key,
                                        methods=["POST"])

__all__ = ["user_key", "id_lookup_limit", "id_number_lookup"]
