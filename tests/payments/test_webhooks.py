"""Every payment path, through the sandbox pay page and the public webhook endpoint."""
import json
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.payments.models import PaymentEvent, PaymentIntent, PaymentState, Refund, WebhookEvent
from ntbase.payments.provider import SIGNATURE_HEADER, signature_header
from tests.enrollment.helpers import count, intent_of, post_webhook, signed_event, snapshot
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState


@pytest.fixture()
def held(app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=12000, capacity=3)
    e = services.enroll_learner(course, learner)
    db.session.commit()
    return e


def _seats(course_id):
    return db.session.scalar(sa.text("SELECT seats_taken FROM course WHERE id = :i"), {"i": course_id})


# --- the sandbox pay page ------------------------------------------------------------------

def test_pay_page_success_confirms(client, login, learner, held):
    intent = intent_of(held)
    login(learner)
    page = client.get(f"/pay/sandbox/{intent.provider_ref}").get_data(as_text=True)
    assert "¥120.00" in page and "微信支付" in page and "支付宝" in page and "银行卡" in page
    r = client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay", "method": "alipay"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/me/courses")
    db.session.expire_all()
    assert held.state == S.CONFIRMED and held.confirmed_at is not None
    assert intent.state == P.SUCCEEDED and intent.method == "alipay" and intent.succeeded_at
    hook = db.session.scalars(sa.select(WebhookEvent)).one()
    assert hook.type == "payment.succeeded" and hook.processed_at and hook.result.startswith("ok")
    assert [(e.from_state, e.to_state) for e in held.events] == [(None, "held"), ("held", "confirmed")]
    history = db.session.execute(sa.select(PaymentEvent.from_state, PaymentEvent.to_state)
                                 .order_by(PaymentEvent.id)).all()
    assert history == [(None, "pending"), ("pending", "succeeded")]
    assert db.session.scalar(sa.select(Notice.title)).startswith("报名成功")


def test_pay_page_failure_keeps_hold_and_allows_retry(client, login, learner, held):
    first = intent_of(held)
    login(learner)
    client.post(f"/pay/sandbox/{first.provider_ref}", data={"action": "fail", "method": "card"})
    db.session.expire_all()
    assert first.state == P.FAILED and "declined" in first.failure_reason
    assert held.state == S.HELD and _seats(held.course_id) == 1
    # try again: a fresh intent (new idempotency key), then success
    r = client.post(f"/me/enrollments/{held.id}/pay", data={})
    second = intent_of(held)
    assert second.id != first.id and r.headers["Location"].endswith(f"/pay/sandbox/{second.provider_ref}")
    assert second.idempotency_key == f"enrollment-{held.id}-2"
    client.post(f"/pay/sandbox/{second.provider_ref}", data={"action": "pay", "method": "wechat"})
    db.session.expire_all()
    assert held.state == S.CONFIRMED and second.state == P.SUCCEEDED and first.state == P.FAILED


def test_pay_page_cancel(client, login, learner, held):
    intent = intent_of(held)
    login(learner)
    r = client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "cancel"}, follow_redirects=True)
    assert "支付已取消" in r.get_data(as_text=True)
    db.session.expire_all()
    assert intent.state == P.CANCELLED and held.state == S.HELD


def test_pay_page_is_private(client, login, held):
    intent = intent_of(held)
    login(make_learner())
    db.session.commit()
    assert client.get(f"/pay/sandbox/{intent.provider_ref}").status_code == 404
    assert client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay"}).status_code == 404
    db.session.expire_all()
    assert intent.state == P.PENDING


def test_pay_page_refuses_unknown_action(client, login, learner, held):
    login(learner)
    assert client.post(f"/pay/sandbox/{intent_of(held).provider_ref}", data={"action": "steal"}).status_code == 400


def test_expired_intent_cannot_be_paid_on_the_page(client, login, learner, held):
    services.sweep_expired(now() + timedelta(minutes=16))
    db.session.commit()
    intent = intent_of(held)
    login(learner)
    r = client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay", "method": "wechat"})
    assert r.status_code == 200 and "已无法进行" in r.get_data(as_text=True)
    db.session.expire_all()
    assert intent.state == P.EXPIRED and count(WebhookEvent) == 0


# --- the public webhook endpoint ------------------------------------------------------------

def test_signed_webhook_applies(client, held):
    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000, method="card")
    r = post_webhook(client, body, headers)
    assert r.status_code == 200 and r.json["status"] == "ok"
    db.session.expire_all()
    assert held.state == S.CONFIRMED and intent.state == P.SUCCEEDED


def test_webhook_is_csrf_exempt(app_ctx, make_app, held):
    app = make_app(WTF_CSRF_ENABLED=True)
    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000)
    with app.app_context():
        r = app.test_client().post("/payments/webhook/sandbox", data=body, headers=headers)
    assert r.status_code == 200


def test_replay_changes_nothing(client, held):
    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000)
    assert post_webhook(client, body, headers).status_code == 200
    before = snapshot()
    r = post_webhook(client, body, headers)
    assert r.status_code == 200 and r.json["result"].startswith("duplicate")
    assert snapshot() == before


def test_replay_of_failure_after_success_changes_nothing(client, held):
    """A different, genuine event that arrives late cannot undo a payment."""
    intent = intent_of(held)
    post_webhook(client, *signed_event(intent.provider_ref, 12000))
    before = snapshot()
    r = post_webhook(client, *signed_event(intent.provider_ref, 12000, type_="payment.failed"))
    assert r.status_code == 200 and r.json["result"].startswith("ignored")
    after = snapshot()
    assert after["intents"] == before["intents"] and after["enrollments"] == before["enrollments"]


def test_bad_signature_refused_and_nothing_recorded(client, held):
    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000)
    before = snapshot()
    forged = signature_header("not-the-secret", body)
    r = post_webhook(client, body, {SIGNATURE_HEADER: forged})
    assert r.status_code == 400 and r.json["message"] == "bad signature"
    # tampering with the body after signing breaks it too
    tampered = body.replace(b"12000", b"1")
    assert post_webhook(client, tampered, headers).status_code == 400
    assert post_webhook(client, body, {}).status_code == 400  # no signature at all
    assert snapshot() == before


def test_stale_timestamp_refused(client, held):
    intent = intent_of(held)
    old = int(time.time()) - 301
    body, headers = signed_event(intent.provider_ref, 12000, timestamp=old)
    before = snapshot()
    r = post_webhook(client, body, headers)
    assert r.status_code == 400 and r.json["message"] == "stale timestamp"
    assert snapshot() == before


def test_wrong_amount_refused_and_recorded(client, held):
    intent = intent_of(held)
    r = post_webhook(client, *signed_event(intent.provider_ref, 100))
    assert r.status_code == 422 and r.json["status"] == "refused"
    db.session.expire_all()
    assert intent.state == P.PENDING and held.state == S.HELD
    hook = db.session.scalars(sa.select(WebhookEvent)).one()
    assert "amount" in hook.result and hook.processed_at


def test_unknown_intent_refused_and_recorded(client, held):
    r = post_webhook(client, *signed_event("sbx_pi_doesnotexist", 12000))
    assert r.status_code == 422
    assert db.session.scalar(sa.select(WebhookEvent.result)) == "refused: unknown intent"
    db.session.expire_all()
    assert held.state == S.HELD


def test_malformed_body_refused(client, held):
    body = json.dumps({"event_id": "evt_12345678", "type": "payment.succeeded",
                       "intent_ref": intent_of(held).provider_ref, "amount_fen": 120.5,
                       "timestamp": int(time.time())}).encode()
    from ntbase.payments.provider import get_provider

    headers = {SIGNATURE_HEADER: signature_header(get_provider().secret, body)}
    r = post_webhook(client, body, headers)
    assert r.status_code == 400 and r.json["message"] == "malformed body"
    assert count(WebhookEvent) == 0


def test_unknown_provider_404(client):
    assert client.post("/payments/webhook/paypal", data=b"{}").status_code == 404


# --- expiry and late payments --------------------------------------------------------------

def test_expiry_then_late_payment_with_seat_free_confirms(client, held):
    intent = intent_of(held)
    res = services.sweep_expired(now() + timedelta(minutes=16))
    db.session.commit()
    assert res.expired_holds == 1
    db.session.expire_all()
    assert held.state == S.EXPIRED and intent.state == P.EXPIRED and _seats(held.course_id) == 0
    r = post_webhook(client, *signed_event(intent.provider_ref, 12000))
    assert r.status_code == 200 and "late" in r.json["result"]
    db.session.expire_all()
    assert held.state == S.CONFIRMED and intent.state == P.SUCCEEDED and _seats(held.course_id) == 1


def test_late_payment_without_a_seat_is_refunded(client, app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=5000, capacity=1)
    late = services.enroll_learner(course, learner)
    db.session.commit()
    services.sweep_expired(now() + timedelta(minutes=16))
    other = services.enroll_learner(course, make_learner())  # takes the freed seat
    db.session.commit()
    assert other.state == S.HELD
    intent = intent_of(late)
    r = post_webhook(client, *signed_event(intent.provider_ref, 5000))
    assert r.status_code == 200 and "refunded" in r.json["result"]
    db.session.expire_all()
    assert late.state == S.EXPIRED
    assert intent.state == P.REFUNDED and intent.refunded_fen == 5000
    assert db.session.scalars(sa.select(Refund)).one().amount_fen == 5000
    assert _seats(course.id) == 1
    assert "退款" in db.session.scalar(sa.select(Notice.title).where(Notice.user_id == learner.id)
                                         .order_by(Notice.id.desc()).limit(1))


def test_success_for_cancelled_enrollment_is_refunded(client, learner, held):
    intent = intent_of(held)
    services.cancel_enrollment(held, learner.id)
    db.session.commit()
    assert intent.state == P.CANCELLED
    r = post_webhook(client, *signed_event(intent.provider_ref, 12000))
    assert r.status_code == 200
    db.session.expire_all()
    assert held.state == S.CANCELLED and intent.state == P.REFUNDED and intent.refunded_fen == 12000
    assert _seats(held.course_id) == 0


# --- faults ------------------------------------------------------------------------------------

def test_database_error_mid_payment_leaves_state_consistent(client, held, monkeypatch):
    """The enrollment side fails after the payment row changed: everything rolls back,
    and the provider's retry of the same event then goes through."""
    from sqlalchemy.exc import OperationalError

    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000)
    before = snapshot()

    def boom(*a, **kw):
        raise OperationalError("UPDATE enrollment", {}, Exception("server closed the connection"))

    monkeypatch.setattr(services, "on_payment_succeeded", boom)
    with pytest.raises(OperationalError):
        post_webhook(client, body, headers)
    db.session.rollback()
    assert snapshot() == before  # no half payment, no recorded event
    monkeypatch.undo()
    assert post_webhook(client, body, headers).status_code == 200
    db.session.expire_all()
    assert held.state == S.CONFIRMED and intent.state == P.SUCCEEDED


@pytest.mark.parametrize("where", ["flush", "commit"])
def test_database_failure_on_the_pay_page_rolls_back(client, login, learner, held, monkeypatch, where):
    """The database drops while the pay page records the payment (at the first write, or
    at commit): nothing half-written stays behind, and paying again works."""
    from sqlalchemy.exc import OperationalError

    intent = intent_of(held)
    login(learner)
    before = snapshot()

    def dropped(*a, **kw):
        raise OperationalError(where.upper(), {}, Exception("connection dropped"))

    monkeypatch.setattr(db.session, where, dropped, raising=False)
    with pytest.raises(OperationalError):
        client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay", "method": "wechat"})
    monkeypatch.undo()
    db.session.rollback()
    assert snapshot() == before
    client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay", "method": "wechat"})
    db.session.expire_all()
    assert held.state == S.CONFIRMED and intent.state == P.SUCCEEDED


def test_concurrent_duplicate_delivery_answers_duplicate(client, held, monkeypatch):
    """Two deliveries of one event at the same instant: the unique event id stops the second."""
    from ntbase.payments import services as pay_services

    intent = intent_of(held)
    body, headers = signed_event(intent.provider_ref, 12000)
    assert post_webhook(client, body, headers).status_code == 200
    before = snapshot()
    # the second delivery misses the look-up (it ran before the first committed)
    real_scalar = db.session.scalar

    def blind_scalar(stmt, *a, **kw):
        if "webhook_event" in str(stmt) and "event_id" in str(stmt):
            return None
        return real_scalar(stmt, *a, **kw)

    monkeypatch.setattr(pay_services.db.session, "scalar", blind_scalar, raising=False)
    r = post_webhook(client, body, headers)
    monkeypatch.undo()
    assert r.status_code == 200 and r.json["status"] == "duplicate"
    assert snapshot() == before


def test_hold_counts_equal_seats(app_ctx, held):
    assert _seats(held.course_id) == services.seat_holders(held.course_id) == 1
    assert count(Enrollment) == 1 and count(PaymentIntent) == 1
