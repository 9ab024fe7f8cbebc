"""Bearer-token access for the office API (``ntbase.office.api``): the decorator and the
rate-limit keys."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from ntbase.kernel.api import json_error
from ntbase.office.tokens.services import TokenProblem, authenticate_token, hash_token


def token_key() -> str:
    header = request.headers.get("Authorization", "")
    return "office-token:" + hash_token(header[7:].strip())[:16] if header.startswith("Bearer ") \
        else "office-ip:" + (request.remote_addr or "")


def ip_key() -> str:
    return "office-ip:" + (request.remote_addr or "")


def address_limit() -> str:
    """Per token, and per address whatever token is sent: made-up tokens each get a fresh
    per-token key, so only the address limit slows someone trying tokens."""
    return current_app.config.get("OFFICE_API_ADDRESS_LIMIT", "300 per minute")


def office_token_required(scope: str):
    """Bearer token with ``scope``, owned by active office staff (``g.api_token``); else
    401/403 JSON. A learner's or base's session gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                if current_user.is_authenticated and not current_user.is_office:
                    return json_error(403, _("Only office systems may use this endpoint."), "forbidden")
                return json_error(401, _("Send an office API token: Authorization: Bearer <token>."),
                                  "unauthorized")
            try:
                g.api_token = authenticate_token(header[7:].strip(), scope)
            except TokenProblem as problem:
                code = "unauthorized" if problem.status == 401 else "forbidden"
                return json_error(problem.status, problem.message, code)
            return view(*args, **kwargs)

        return wrapped

    return decorator
