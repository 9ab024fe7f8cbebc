"""PAYMENT_SANDBOX_ENABLED=False turns the built-in test pay page (and its webhook) off."""
import pytest

from ntbase.enrollment import services
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db
from ntbase.payments.models import PaymentState
from tests.enrollment.helpers import intent_of, post_webhook, signed_event, snapshot
from tests.factories import make_course

S, P = EnrollmentState, PaymentState


@pytest.fixture()
def held(app_ctx, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=12000), learner)
    db.session.commit()
    return e


@pytest.fixture()
def sandbox_off(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "PAYMENT_SANDBOX_ENABLED", False)


def test_on_by_default(client, login, learner, held):
    login(learner)
    assert client.get(f"/pay/sandbox/{intent_of(held).provider_ref}").status_code == 200


def test_pay_page_is_404_when_off(client, login, learner, held, sandbox_off):
    login(learner)
    ref = intent_of(held).provider_ref
    before = snapshot()
    assert client.get(f"/pay/sandbox/{ref}").status_code == 404
    assert client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "wechat"}).status_code == 404
    assert snapshot() == before


def test_sandbox_webhook_is_404_when_off(client, held, sandbox_off):
    before = snapshot()
    r = post_webhook(client, *signed_event(intent_of(held).provider_ref, 12000))
    assert r.status_code == 404
    assert snapshot() == before


def test_checkout_says_what_to_do_when_off(client, login, learner, held, sandbox_off):
    login(learner)
    r = client.post(f"/me/enrollments/{held.id}/pay", data={"invoice_title": "", "invoice_taxpayer_no": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "暂时无法在线支付" in html and "联系培训基地" in html
    assert "/pay/sandbox/" not in r.headers.get("Location", "")
    db.session.expire_all()
    assert held.state == S.HELD and intent_of(held).state == P.PENDING
