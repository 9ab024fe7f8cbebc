"""Test helpers for enrollment and payments: deliver sandbox webhooks, count things."""
from __future__ import annotations

import sqlalchemy as sa

from ntbase.enrollment.models import Enrollment, EnrollmentEvent
from ntbase.kernel.db import db
from ntbase.payments.models import PaymentEvent, PaymentIntent, WebhookEvent


def sandbox():
    from ntbase.payments.provider import get_provider

    return get_provider("sandbox")


def signed_event(intent_ref: str, amount_fen: int, type_: str = "payment.succeeded", **kw):
    return sandbox().build_event(type_, intent_ref, amount_fen, **kw)


def post_webhook(client, body: bytes, headers: dict):
    return client.post("/payments/webhook/sandbox", data=body, headers=headers)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def snapshot() -> dict:
    """Everything a payment path may touch, to show that a refused one changed nothing."""
    db.session.expire_all()
    return {
        "enrollments": db.session.execute(sa.select(Enrollment.id, Enrollment.state).order_by(Enrollment.id)).all(),
        "intents": db.session.execute(sa.select(PaymentIntent.id, PaymentIntent.state, PaymentIntent.refunded_fen)
                                      .order_by(PaymentIntent.id)).all(),
        "events": count(EnrollmentEvent), "payment_events": count(PaymentEvent), "webhooks": count(WebhookEvent),
        "seats": db.session.execute(sa.text("SELECT id, seats_taken FROM course ORDER BY id")).all(),
    }


def intent_of(enrollment: Enrollment) -> PaymentIntent:
    return db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.enrollment_id == enrollment.id)
                              .order_by(PaymentIntent.id.desc())).first()


def paid_enrollment(client, course, learner) -> Enrollment:
    """Enroll ``learner`` in the paid ``course`` and pay through a signed webhook."""
    from flask import g

    from ntbase.enrollment import services

    e = services.enroll_learner(course, learner)
    db.session.commit()
    r = post_webhook(client, *signed_event(intent_of(e).provider_ref, course.price_fen))
    assert r.status_code == 200, r.get_data(as_text=True)
    db.session.expire_all()
    assert e.state.value == "confirmed"
    g.pop("_login_user", None)  # the test shares its app context with the anonymous webhook call
    return e


def csrf_token(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def pending_refunds(monkeypatch) -> None:
    """Make the sandbox answer refunds with "pending", like a real provider confirming by webhook."""
    from ntbase.payments.sandbox import SandboxProvider
    from ntbase.payments.schemas import RefundOut, RefundStatus

    real = SandboxProvider.refund

    def pending(self, **kw):
        out = real(self, **kw)
        return RefundOut(**{**out.model_dump(), "status": RefundStatus.PENDING})

    monkeypatch.setattr(SandboxProvider, "refund", pending)
