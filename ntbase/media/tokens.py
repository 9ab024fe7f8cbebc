"""Signed tokens for local media URLs: ``/media/<token>``.

A token names the object key, when it expires, the user it was issued to, and how to
serve it (content type, inline or attachment, file name). It is signed with HMAC-SHA256
(itsdangerous) under a key derived from SECRET_KEY with HKDF, so it cannot be forged or
edited, and a leaked media token says nothing about any other secret of the app.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from itsdangerous import BadSignature, URLSafeSerializer

from ntbase.media.storage import StorageError, check_key

_SALT = "ntbase.media.url.v1"


class TokenInvalid(Exception):
    """Not a token we signed (tampered, truncated, another key)."""


class TokenExpired(Exception):
    pass


@dataclass(frozen=True)
class MediaGrant:
    key: str
    expires_at: int  # unix seconds
    user_id: int | None
    content_type: str
    disposition: str
    filename: str | None


def derive_key(secret_key: str | bytes) -> bytes:
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ntbase-media",
                info=b"media-url-token").derive(raw)


class UrlSigner:
    def __init__(self, secret_key: str | bytes):
        self._serializer = URLSafeSerializer(
            derive_key(secret_key), salt=_SALT,
            signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
        )

    def sign(self, key: str, *, expires_in: int, user_id: int | None, content_type: str,
             disposition: str = "inline", filename: str | None = None,
             now: float | None = None) -> str:
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")
        check_key(key)
        issued = int(now if now is not None else time.time())
        payload = {"k": key, "e": issued + int(expires_in), "u": user_id, "t": content_type,
                   "d": disposition}
        if filename:
            payload["f"] = filename
        return self._serializer.dumps(payload)

    def verify(self, token: str, *, now: float | None = None) -> MediaGrant:
        try:
            data = self._serializer.loads(token)
        except BadSignature as exc:
            raise TokenInvalid(str(exc)) from exc
        try:
            grant = MediaGrant(key=check_key(data["k"]), expires_at=int(data["e"]),
                               user_id=data.get("u"), content_type=str(data["t"]),
                               disposition=str(data.get("d", "inline")), filename=data.get("f"))
        except (KeyError, TypeError, ValueError, StorageError) as exc:  # signed by us but malformed
            raise TokenInvalid("malformed payload") from exc
        if (now if now is not None else time.time()) >= grant.expires_at:
            raise TokenExpired(grant.key)
        return grant
