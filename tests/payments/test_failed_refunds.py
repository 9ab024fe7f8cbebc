"""A provider may answer a refund "pending" and later report it failed by webhook: the money is
still owed, staff see it on the roster and the figures page and send it again (idempotently)."""
import pytest
import sqlalchemy as sa

from ntbase.enrollment import services
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentEvent, PaymentState, Refund, RefundState, WebhookEvent
from tests.enrollment.helpers import (
    count,
    intent_of,
    paid_enrollment,
    pending_refunds,
    post_webhook,
    signed_event,
    snapshot,
)
from tests.factories import make_course

S, P, R = EnrollmentState, PaymentState, RefundState


@pytest.fixture()
def failed(client, base_a, learner, monkeypatch):
    """A paid enrollment cancelled by the learner whose refund the provider then refused."""
    e = paid_enrollment(client, make_course(base_a, title="液压与气动技术", price_fen=30000), learner)
    with monkeypatch.context() as m:
        pending_refunds(m)
        services.cancel_enrollment(e, learner.id)
        db.session.commit()
    refund = db.session.scalars(sa.select(Refund)).one()
    assert refund.state == R.PENDING
    r = post_webhook(client, *signed_event(intent_of(e).provider_ref, 30000, "refund.failed",
                                           refund_ref=refund.provider_ref, reason="account closed"))
    assert r.status_code == 200 and r.json["result"] == "recorded: refund failed"
    db.session.expire_all()
    assert refund.state == R.FAILED
    from flask import g

    g.pop("_login_user", None)
    return refund


def test_refund_succeeded_webhook_confirms_a_pending_refund(client, base_a, learner, monkeypatch):
    e = paid_enrollment(client, make_course(base_a, price_fen=5000), learner)
    pending_refunds(monkeypatch)
    services.cancel_enrollment(e, learner.id)
    db.session.commit()
    refund = db.session.scalars(sa.select(Refund)).one()
    body, headers = signed_event(intent_of(e).provider_ref, 5000, "refund.succeeded", refund_ref=refund.provider_ref)
    assert post_webhook(client, body, headers).json["result"] == "ok: refund succeeded"
    db.session.expire_all()
    assert refund.state == R.SUCCEEDED and refund.succeeded_at is not None
    # replay and a wrong amount change nothing
    before = snapshot()
    assert post_webhook(client, body, headers).json["result"].startswith("duplicate")
    r = post_webhook(client, *signed_event(intent_of(e).provider_ref, 4999, "refund.succeeded",
                                           refund_ref=refund.provider_ref))
    assert r.status_code == 422
    after = snapshot()
    assert after["webhooks"] == before["webhooks"] + 1
    assert {k: v for k, v in after.items() if k != "webhooks"} == {k: v for k, v in before.items() if k != "webhooks"}


def test_failed_refund_is_shown_to_staff_and_learner(client, login, failed, staff_a, learner):
    course_id = failed.payment.enrollment.course_id
    login(staff_a)
    roster = client.get(f"/manage/courses/{course_id}/roster").get_data(as_text=True)
    assert f'data-refund-failed="{failed.id}"' in roster and "¥300.00 退款失败" in roster
    assert f"/manage/refunds/{failed.id}/retry" in roster and "data-confirm=" in roster
    figures = client.get(f"/manage/bases/{staff_a.base_id}/enrollments").get_data(as_text=True)
    assert 'id="failed-refunds"' in figures and f'data-refund-failed="{failed.id}"' in figures
    assert failed.payment.enrollment.learner.profile.id_number not in figures
    login(learner)
    mine = client.get("/me/courses").get_data(as_text=True)
    assert "退款失败，基地将重新退款" in mine


def test_retry_sends_it_again_once(client, login, failed, staff_a):
    login(staff_a)
    old_ref = failed.provider_ref
    r = client.post(f"/manage/refunds/{failed.id}/retry", data={"back": "figures"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/bases/{staff_a.base_id}/enrollments")
    db.session.expire_all()
    assert failed.state == R.SUCCEEDED and failed.provider_ref != old_ref
    intent = failed.payment
    assert (intent.state, intent.refunded_fen) == (P.REFUNDED, 30000)  # never counted twice
    ev = db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.refund_id == failed.id)
                            .order_by(PaymentEvent.id.desc())).first()
    assert ev.actor_id == staff_a.id and ev.reason.startswith("refund retried")
    # a double click: nothing more happens, the page says so
    r = client.post(f"/manage/refunds/{failed.id}/retry", follow_redirects=True)
    assert "无需重试" in r.get_data(as_text=True)
    assert count(Refund) == 1
    figures = client.get(f"/manage/bases/{staff_a.base_id}/enrollments").get_data(as_text=True)
    assert 'id="failed-refunds"' not in figures


def test_a_late_event_for_the_old_attempt_is_refused(client, login, failed, staff_a):
    old_ref = failed.provider_ref
    login(staff_a)
    client.post(f"/manage/refunds/{failed.id}/retry")
    r = post_webhook(client, *signed_event(failed.payment.provider_ref, 30000, "refund.failed", refund_ref=old_ref))
    assert r.status_code == 422
    db.session.expire_all()
    assert failed.state == R.SUCCEEDED


def test_retry_attempts_get_their_own_provider_keys(app_ctx, failed, staff_a, monkeypatch):
    """Each attempt has a deterministic key: a retry that died after the provider call
    re-sends the same attempt (the provider de-duplicates), a later one a new attempt."""
    from ntbase.payments.sandbox import SandboxProvider

    keys = []
    real = SandboxProvider.refund

    def spy(self, **kw):
        keys.append(kw["idempotency_key"])
        return real(self, **kw)

    monkeypatch.setattr(SandboxProvider, "refund", spy)
    pending_refunds(monkeypatch)
    payments.retry_refund(failed, staff_a.id)
    db.session.rollback()  # the request died: nothing recorded
    db.session.expire_all()
    payments.retry_refund(failed, staff_a.id)
    db.session.commit()
    assert keys[0] == keys[1] == f"{failed.idempotency_key}:retry1"
    assert failed.state == R.PENDING
    failed.state = R.FAILED  # refused again
    db.session.commit()
    payments.retry_refund(failed, staff_a.id)
    assert keys[2] == f"{failed.idempotency_key}:retry2"


def test_only_failed_refunds_can_be_retried(app_ctx, failed, staff_a):
    payments.retry_refund(failed, staff_a.id)
    with pytest.raises(DomainError) as exc:
        payments.retry_refund(failed, staff_a.id)
    assert exc.value.code == "not_failed"


def test_staff_of_another_base_cannot_retry(client, login, failed, staff_b, learner):
    before = snapshot()
    for who in (staff_b, learner):
        login(who)
        assert client.post(f"/manage/refunds/{failed.id}/retry").status_code == 403
    assert snapshot() == before
    db.session.expire_all()
    assert failed.state == R.FAILED
    assert client.post("/manage/refunds/999999/retry").status_code == 404


def test_failed_refund_webhook_is_recorded(app_ctx, failed):
    row = db.session.scalars(sa.select(WebhookEvent).where(WebhookEvent.type == "refund.failed")).one()
    assert row.processed_at is not None and row.result == "recorded: refund failed"
    ev = db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.refund_id == failed.id)
                            .order_by(PaymentEvent.id.desc())).first()
    assert "account closed" in ev.reason
