"""Personal data protection (PIPL): ID numbers encrypted, looked up by keyed hash, shown masked.

The key lives outside the database (environment ``NTBASE_PII_KEY`` or
``instance/pii.key``). Two sub-keys are derived from it with HKDF: one for
AES-GCM encryption, one for the HMAC used for exact look-up and uniqueness.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def _derive(master: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ntbase-pii", info=info).derive(
        master.encode()
    )


def _keys() -> tuple[bytes, bytes]:
    cache = current_app.extensions.setdefault("ntbase_pii_keys", {})
    master = current_app.config["NTBASE_PII_KEY"]
    if master not in cache:
        cache.clear()
        cache[master] = (_derive(master, b"enc"), _derive(master, b"mac"))
    return cache[master]


def normalize_id_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


class IdNumberError(ValueError):
    """Which problem the ID number has: 'length', 'format', 'checksum', 'date'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def validate_id_number(raw: str) -> str:
    """Return the normalised 18-character ID or raise IdNumberError (GB 11643)."""
    value = normalize_id_number(raw)
    if len(value) != 18:
        raise IdNumberError("length")
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise IdNumberError("format")
    if ric.calc_check_digit(value) != value[17]:
        raise IdNumberError("checksum")
    try:
        ric.validate(value)
    except ValidationError as exc:  # birth date or region invalid
        raise IdNumberError("date") from exc
    return value


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters: 320602********123X."""
    value = normalize_id_number(value)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """张三 -> 张*, 欧阳小明 -> 欧***; Latin names keep the first letter."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_mobile(value: str) -> str:
    return value[:3] + "****" + value[-4:] if value and len(value) == 11 else value


def id_hash(value: str) -> str:
    _, mac = _keys()
    return hmac.new(mac, normalize_id_number(value).encode(), hashlib.sha256).hexdigest()


def encrypt_pii(value: str) -> str:
    enc, _ = _keys()
    nonce = os.urandom(12)
    ct = AESGCM(enc).encrypt(nonce, value.encode(), b"ntbase-id")
    return base64.b64encode(nonce + ct).decode()


def decrypt_pii(token: str) -> str:
    enc, _ = _keys()
    raw = base64.b64decode(token)
    return AESGCM(enc).decrypt(raw[:12], raw[12:], b"ntbase-id").decode()


def validate_mobile(raw: str) -> str:
    value = re.sub(r"[\s-]", "", raw or "")
    if value.startswith("+86"):
        value = value[3:]
    if not MOBILE_RE.fullmatch(value):
        raise ValueError("mobile")
    return value


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Return a reason code when the password is too weak, else None."""
    if len(password) < 10:
        return "short"
    classes = sum(
        bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
    )
    if classes < 2:
        return "simple"
    if password.lower() in {"password123", "1234567890", "qwertyuiop", "abcdefghij1"}:
        return "common"
    return None


_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def redact_ids(text: str) -> str:
    """``text`` with every full 18-character ID number in it masked (320602********123X)."""
    if not text or len(text) < 18:
        return text or ""
    return _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:].upper(), text)
