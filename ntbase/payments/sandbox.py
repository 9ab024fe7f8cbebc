"""The built-in sandbox provider: no money moves and no network call leaves the machine.

Its pay page (``payments.sandbox_pay``) lets a tester pay as WeChat Pay, Alipay or bank
card, fail, or cancel; the page then builds a signed webhook event exactly as a real
provider would and hands it to the app's own webhook handler in-process.

It keeps no storage of its own: references are derived from the idempotency key with an
HMAC, so the same key always names the same intent or refund.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping

from flask import url_for
from pydantic import ValidationError

from ntbase.payments.provider import (
    SIGNATURE_HEADER,
    PaymentProvider,
    WebhookRejected,
    register_provider,
    signature_header,
    verify_signature,
)
from ntbase.payments.schemas import ProviderIntent, RefundOut, RefundStatus, WebhookEvent


@register_provider
class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, secret: str, tolerance_s: int = 300):
        if not secret:
            raise ValueError("the sandbox provider needs PAYMENT_WEBHOOK_SECRET")
        self.secret = secret
        self.tolerance_s = tolerance_s

    @classmethod
    def from_app(cls, app) -> SandboxProvider:
        return cls(app.config["PAYMENT_WEBHOOK_SECRET"], int(app.config["PAYMENT_WEBHOOK_TOLERANCE"]))

    def _ref(self, prefix: str, key: str) -> str:
        digest = hmac.new(self.secret.encode(), f"{prefix}:{key}".encode(), hashlib.sha256).hexdigest()
        return f"sbx_{prefix}_{digest[:24]}"

    def create_intent(self, *, amount_fen: int, currency: str, idempotency_key: str,
                      description: str) -> ProviderIntent:
        ref = self._ref("pi", idempotency_key)
        return ProviderIntent(provider_ref=ref, amount_fen=amount_fen, currency=currency,
                              checkout_url=self.checkout_url(ref))

    def checkout_url(self, provider_ref: str) -> str:
        try:
            return url_for("payments.sandbox_pay", provider_ref=provider_ref)
        except RuntimeError:  # no request (CLI, demo loader): the path is enough
            return f"/pay/sandbox/{provider_ref}"

    def refund(self, *, payment_ref: str, amount_fen: int, idempotency_key: str,
               reason: str) -> RefundOut:
        # the sandbox refunds at once; a real provider may answer "pending" and confirm by webhook
        return RefundOut(provider_ref=self._ref("re", idempotency_key), payment_ref=payment_ref,
                         amount_fen=amount_fen, status=RefundStatus.SUCCEEDED)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str],
                      now_ts: float | None = None) -> WebhookEvent:
        verify_signature(self.secret, body, headers.get(SIGNATURE_HEADER), self.tolerance_s, now_ts)
        try:
            return WebhookEvent.model_validate_json(body)
        except ValidationError as exc:
            raise WebhookRejected("malformed body") from exc

    # --- what the sandbox "bank" does when someone submits its pay page -------------

    def build_event(self, type_: str, intent_ref: str, amount_fen: int, *, method: str | None = None,
                    refund_ref: str | None = None, reason: str = "",
                    timestamp: int | None = None, event_id: str | None = None) -> tuple[bytes, dict]:
        """A signed webhook delivery: (body, headers)."""
        ts = int(time.time()) if timestamp is None else timestamp
        event = WebhookEvent(event_id=event_id or "evt_" + secrets.token_hex(12), type=type_,
                             intent_ref=intent_ref, amount_fen=amount_fen, timestamp=ts,
                             method=method, refund_ref=refund_ref, reason=reason)
        body = json.dumps(event.model_dump(mode="json"), separators=(",", ":")).encode()
        return body, {SIGNATURE_HEADER: signature_header(self.secret, body, ts),
                      "Content-Type": "application/json"}
