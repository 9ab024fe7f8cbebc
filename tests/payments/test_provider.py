import time

import pytest
from pydantic import ValidationError

from ntbase.payments.provider import (
    PaymentProvider,
    WebhookRejected,
    get_provider,
    sign,
    signature_header,
    verify_signature,
)
from ntbase.payments.sandbox import SandboxProvider
from ntbase.payments.schemas import PaymentIntentOut, WebhookEvent


def test_sandbox_implements_the_interface(app_ctx):
    provider = get_provider("sandbox")
    assert isinstance(provider, PaymentProvider) and isinstance(provider, SandboxProvider)
    with pytest.raises(LookupError):
        get_provider("nope")


def test_same_key_same_intent_and_refund(app_ctx):
    with app_ctx.test_request_context():
        p = get_provider()
        a = p.create_intent(amount_fen=100, currency="CNY", idempotency_key="k1", description="")
        b = p.create_intent(amount_fen=100, currency="CNY", idempotency_key="k1", description="")
        c = p.create_intent(amount_fen=100, currency="CNY", idempotency_key="k2", description="")
        assert a.provider_ref == b.provider_ref != c.provider_ref
        assert a.checkout_url == f"/pay/sandbox/{a.provider_ref}"
        r1 = p.refund(payment_ref=a.provider_ref, amount_fen=50, idempotency_key="r", reason="")
        r2 = p.refund(payment_ref=a.provider_ref, amount_fen=50, idempotency_key="r", reason="")
        assert r1.provider_ref == r2.provider_ref and r1.status.value == "succeeded"


def test_signature_scheme():
    body, ts = b'{"a":1}', 1_700_000_000
    header = signature_header("s3cret", body, ts)
    assert header == f"t={ts},v1={sign('s3cret', body, ts)}"
    assert verify_signature("s3cret", body, header, 300, now_ts=ts + 299) == ts
    for bad_header, why in [
        (None, "missing signature"),
        ("v1=abc", "malformed signature header"),
        (f"t=x,v1={sign('s3cret', body, ts)}", "malformed signature header"),
        (signature_header("other", body, ts), "bad signature"),
        (f"t={ts + 1},v1={sign('s3cret', body, ts)}", "bad signature"),  # timestamp is signed
    ]:
        with pytest.raises(WebhookRejected) as exc:
            verify_signature("s3cret", body, bad_header, 300, now_ts=ts)
        assert exc.value.reason == why
    with pytest.raises(WebhookRejected, match="stale"):
        verify_signature("s3cret", body, header, 300, now_ts=ts + 301)
    with pytest.raises(WebhookRejected, match="stale"):
        verify_signature("s3cret", body, header, 300, now_ts=ts - 301)  # from the future
    # several v1 values (secret rotation): one matching is enough
    rotated = f"t={ts},v1={sign('old', body, ts)},v1={sign('s3cret', body, ts)}"
    assert verify_signature("s3cret", body, rotated, 300, now_ts=ts) == ts


def test_webhook_event_schema_is_strict_about_money():
    base = {"event_id": "evt_12345678", "type": "payment.succeeded", "intent_ref": "sbx_pi_x",
            "amount_fen": 100, "timestamp": int(time.time())}
    assert WebhookEvent.model_validate(base).amount_fen == 100
    for bad in ({"amount_fen": 1.5}, {"amount_fen": "100"}, {"amount_fen": 0}, {"currency": "USD"},
                {"type": "payment.stolen"}, {"event_id": "short"}, {"extra": 1}):
        with pytest.raises(ValidationError):
            WebhookEvent.model_validate({**base, **bad})


def test_intent_out_from_model(app_ctx, base_a, learner):
    from ntbase.enrollment import services
    from tests.enrollment.helpers import intent_of
    from tests.factories import make_course

    e = services.enroll_learner(make_course(base_a, price_fen=4200), learner)
    out = PaymentIntentOut.model_validate({
        **{k: getattr(intent_of(e), k) for k in ("provider", "provider_ref", "enrollment_id", "amount_fen",
                                                 "refunded_fen", "currency", "method", "created_at",
                                                 "succeeded_at", "expires_at")},
        "status": intent_of(e).state.value})
    assert out.status.value == "pending" and out.amount_fen == 4200
