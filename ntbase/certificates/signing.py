"""Ed25519 signatures for certificates and yearly statements.

Private keys live outside the database: PEM files in ``SIGNING_KEY_DIR`` (default
``instance/keys``), named ``<kid>.pem``; the newest non-retired one signs. Public halves
are rows of ``signing_key`` and are published at ``/.well-known/ntbase-keys.json``, so a
verifier can check a certificate offline. Rotating adds a key; old certificates keep
verifying with the key id they name.
"""
from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from ntbase.certificates.models import SigningKey
from ntbase.kernel.db import db, now


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical_json(payload: dict) -> str:
    """Sorted keys, no spaces, UTF-8 text: the exact bytes that are signed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _key_dir() -> Path:
    path = Path(current_app.config["SIGNING_KEY_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_key(at: datetime | None = None) -> SigningKey:
    """Generate a key pair: private PEM to the key dir (0600), public half to the database."""
    at = at or now()
    kid = at.strftime("k%Y%m%d") + "-" + b64u(os.urandom(3))
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    path = _key_dir() / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = SigningKey(kid=kid, public_key=b64u(public), created_at=at)
    db.session.add(key)
    db.session.flush()
    return key


def rotate_key() -> SigningKey:
    """Retire the signing key in use (it still verifies) and create a new one."""
    current = active_key(create=False)
    new = create_key()
    if current is not None:
        current.retired_at = now()
    return new


def active_key(create: bool = True) -> SigningKey | None:
    """The newest non-retired key whose private half is on this server."""
    keys = db.session.scalars(
        sa.select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.created_at.desc())
    ).all()
    for key in keys:
        if (_key_dir() / f"{key.kid}.pem").exists():
            return key
    return create_key() if create else None


def _private(kid: str) -> Ed25519PrivateKey:
    pem = (_key_dir() / f"{kid}.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


class NoSigningKey(RuntimeError):
    """No key on this server signs yet (``flask ntbase keys create``)."""


def sign(payload: dict, *, create_key_if_none: bool = True) -> tuple[str, str, str]:
    """Sign ``payload`` (the key id is added to it). Returns (payload_text, signature, kid).
    A first key is created when none exists, unless ``create_key_if_none`` is False (reads
    such as the published revocation list cannot write)."""
    key = active_key(create=create_key_if_none)
    if key is None:
        raise NoSigningKey("no signing key on this server: run `flask ntbase keys create`")
    body = dict(payload, kid=key.kid)
    text = canonical_json(body)
    signature = b64u(_private(key.kid).sign(text.encode()))
    return text, signature, key.kid


def sign_bytes(message: bytes, kid: str) -> bytes:
    """Ed25519 signature of raw ``message`` (for JOSE: the JWS signing input) by key
    ``kid``, normally ``active_key().kid``. The private key never leaves the key dir."""
    return _private(kid).sign(message)


def verify(payload_text: str, signature: str, kid: str | None = None) -> bool:
    """True when ``signature`` is a valid signature of ``payload_text`` by key ``kid``
    (read from the payload when not given). Any malformed input is simply False."""
    try:
        if kid is None:
            kid = json.loads(payload_text)["kid"]
        if not isinstance(kid, str) or not isinstance(signature, str) or not 0 < len(kid) <= 32:
            return False  # a forged payload may put anything in "kid": never hand it to the database
        key = db.session.get(SigningKey, kid)
        if key is None:
            return False
        Ed25519PublicKey.from_public_bytes(unb64u(key.public_key)).verify(unb64u(signature), payload_text.encode())
        return True
    except (InvalidSignature, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return False


def public_keys_document() -> dict:
    keys = db.session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at)).all()
    return {"keys": [{"kid": k.kid, "kty": "OKP", "crv": "Ed25519", "x": k.public_key,
                      "created": k.created_at.isoformat(), "retired": k.retired_at.isoformat() if k.retired_at else None}
                     for k in keys]}
