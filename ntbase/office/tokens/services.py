"""API tokens for office systems: created in the console, stored as SHA-256, with scopes
and an expiry; ``authenticate_token`` is what the office API checks a bearer token with."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ntbase.accounts.models import User
from ntbase.kernel import audit
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.office.tokens.models import ApiToken

audit.register_actions({
    "token.create": _l("Created an API token"),
    "token.revoke": _l("Revoked an API token"),
})

SCOPES = {
    "verify:bulk": _l("Verify certificate and statement codes in bulk"),
    "person:read": _l("Read a person's yearly assessment by ID number"),
}
TOKEN_PREFIX = "ntb_"
MAX_TOKEN_DAYS = 366


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(owner: User, name: str, scopes: list[str], days: int | None,
                 at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and only its SHA-256 is stored."""
    if not owner.is_office:
        raise PermissionDenied(_("Only office staff may create API tokens."))
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the token a name, e.g. the system that will use it."), field="name")
    if len(name) > 100:
        raise DomainError(_("At most %(n)s characters.", n=100), field="name")
    scopes = sorted(set(scopes or []))
    if not scopes or any(s not in SCOPES for s in scopes):
        raise DomainError(_("Choose at least one permission."), field="scopes")
    # every token expires: a forgotten one must not stay valid for ever
    if days is None or not (1 <= days <= MAX_TOKEN_DAYS):
        raise DomainError(_("A token lives between 1 and %(n)s days.", n=MAX_TOKEN_DAYS), field="days")
    at = at or now()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(secret), prefix=secret[:12], owner_id=owner.id,
                     scopes=scopes, created_at=at, expires_at=at + timedelta(days=days))
    db.session.add(token)
    db.session.flush()
    audit.record("token.create", owner, object_type="api_token", object_id=token.id,
                 detail=f"{name} [{', '.join(scopes)}]")
    return token, secret


def list_tokens(user: User) -> list[ApiToken]:
    stmt = sa.select(ApiToken).options(selectinload(ApiToken.owner)).order_by(ApiToken.id.desc())
    if not user.is_admin:
        stmt = stmt.where(ApiToken.owner_id == user.id)
    return db.session.scalars(stmt).all()


def revoke_token(token_id: int, actor: User, at: datetime | None = None) -> ApiToken:
    """Revoke one of ``actor``'s tokens (an admin: anyone's). Someone else's token is
    "not found": its existence is not revealed."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.owner_id != actor.id and not actor.is_admin):
        raise DomainError(_("This token is not yours."), code="not_found")
    if token.revoked_at is None:
        token.revoked_at = at or now()
        audit.record("token.revoke", actor, object_type="api_token", object_id=token.id, detail=token.name)
    return token


class TokenProblem(Exception):
    """Why a bearer token is refused: 401 (unknown, expired, revoked) or 403 (no scope)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def authenticate_token(secret: str, scope: str, at: datetime | None = None) -> ApiToken:
    """The token for ``secret`` if it is live, owned by office staff and has ``scope``."""
    at = at or now()
    token = db.session.scalar(sa.select(ApiToken).options(selectinload(ApiToken.owner))
                              .where(ApiToken.token_hash == hash_token(secret or "")))
    if token is None:
        raise TokenProblem(401, _("The API token is not valid."))
    if token.revoked_at is not None:
        raise TokenProblem(401, _("The API token has been revoked."))
    if token.expires_at is not None and token.expires_at <= at:
        raise TokenProblem(401, _("The API token has expired."))
    owner = token.owner
    if owner is None or not owner.is_active or not owner.is_office:
        raise TokenProblem(403, _("Only office systems may use this endpoint."))
    if scope not in (token.scopes or []):
        raise TokenProblem(403, _("The API token does not have the permission %(scope)s.", scope=scope))
    token.last_used_at = at
    return token
