"""The payment provider interface. A real provider (WeChat Pay, Alipay, UnionPay…) plugs
in by implementing ``PaymentProvider`` and registering itself; the rest of NTBase only
talks to this interface and to the pydantic models in ``schemas``.

Webhook signatures follow one scheme for every provider NTBase signs itself:
header ``X-NTBase-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>``.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

from flask import current_app

from ntbase.payments.schemas import ProviderIntent, RefundOut, WebhookEvent

SIGNATURE_HEADER = "X-NTBase-Signature"


class WebhookRejected(Exception):
    """The body is not a genuine, fresh event of this provider: answer 400, change nothing."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def create_intent(self, *, amount_fen: int, currency: str, idempotency_key: str,
                      description: str) -> ProviderIntent:
        """Ask the provider for a payment; same ``idempotency_key`` → same intent."""

    @abstractmethod
    def checkout_url(self, provider_ref: str) -> str:
        """Where the learner goes to pay this intent."""

    @abstractmethod
    def refund(self, *, payment_ref: str, amount_fen: int, idempotency_key: str,
               reason: str) -> RefundOut:
        """Give money back; same ``idempotency_key`` → same refund."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str],
                      now_ts: float | None = None) -> WebhookEvent:
        """Verify the signature and freshness, then parse; raise ``WebhookRejected``."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={ts},v1={sign(secret, body, ts)}"


def verify_signature(secret: str, body: bytes, header: str | None, tolerance_s: int,
                     now_ts: float | None = None) -> int:
    """Return the signed timestamp, or raise ``WebhookRejected``."""
    if not header:
        raise WebhookRejected("missing signature")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError, IndexError) as exc:
        raise WebhookRejected("malformed signature header") from exc
    expected = sign(secret, body, ts)
    if not any(hmac.compare_digest(expected, v) for v in parts.get("v1", [])):
        raise WebhookRejected("bad signature")
    now_ts = time.time() if now_ts is None else now_ts
    if abs(now_ts - ts) > tolerance_s:
        raise WebhookRejected("stale timestamp")
    return ts


_REGISTRY: dict[str, type[PaymentProvider]] = {}


def register_provider(cls: type[PaymentProvider]) -> type[PaymentProvider]:
    _REGISTRY[cls.name] = cls
    return cls


def get_provider(name: str = "sandbox") -> PaymentProvider:
    """The provider called ``name`` configured from the current app."""

    try:
        cls = _REGISTRY[name]
    except KeyError as exc:
        raise LookupError(f"unknown payment provider {name!r}") from exc
    return cls.from_app(current_app)  # type: ignore[attr-defined]
