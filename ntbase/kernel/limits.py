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



def drop_idle_request_check(app) -> bool:
    """Flask-Limiter runs a before-request pass over the application, default and blueprint
    limits on every request. NTBase has none of those (each limit decorates its view, and
    the decorated view checks its own limits), so that pass finds nothing on every request
    (a tenth of a bare page's time): it is unhooked, unless the configuration (or a newer
    library) brings limits it would check. True when it was unhooked."""
    manager = getattr(limiter, "limit_manager", None)
    # a limit of any of these kinds, or attributes this version does not have: keep the pass
    kinds = ("_application_limits", "_default_limits", "_blueprint_limits")
    if manager is None or any(getattr(manager, k, True) for k in kinds) \
            or getattr(limiter, "_in_memory_fallback", True) or getattr(limiter, "_meta_limits", True):
        return False
    hooks = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit not in hooks:
        return False
    hooks.remove(limiter._check_request_limit)
    return True


__all__ = ["user_key", "id_lookup_limit", "id_number_lookup", "drop_idle_request_check"]
