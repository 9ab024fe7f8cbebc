"""Base staff refund part (or all) of a payment from a page: amount in yuan, reason, confirmation."""
import re

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.enrollment import services
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentEvent, PaymentState, Refund
from tests.enrollment.helpers import count, intent_of, paid_enrollment, snapshot
from tests.factories import make_course

S, P = EnrollmentState, PaymentState


@pytest.fixture()
def paid(client, base_a, learner):
    return paid_enrollment(client, make_course(base_a, title="BIM 应用", price_fen=30000), learner)


def _key(html: str) -> str:
    return re.search(r'id="key" name="key" type="hidden" value="([0-9a-f]+)"', html).group(1)


@pytest.mark.parametrize("text, fen", [("120", 12000), ("85.5", 8550), ("¥1,200.05", 120005), (" 0.01 ", 1)])
def test_parse_yuan(app_ctx, text, fen):
    assert payments.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "1.234", "NaN", "Infinity", "1e400"])
def test_parse_yuan_refuses(app_ctx, text):
    with pytest.raises(DomainError) as exc:
        payments.parse_yuan(text)
    assert exc.value.field == "amount"


def test_page_refunds_part_and_tells_the_learner(client, login, paid, staff_a):
    login(staff_a)
    roster = client.get(f"/manage/courses/{paid.course_id}/roster").get_data(as_text=True)
    assert f"/manage/enrollments/{paid.id}/refund" in roster
    html = client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True)
    assert "¥300.00" in html and "data-confirm=" in html and paid.learner.profile.id_number not in html
    r = client.post(f"/manage/enrollments/{paid.id}/refund",
                    data={"amount": "210", "reason": "按基地规定退 70%", "key": _key(html)})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/manage/courses/{paid.course_id}/roster")
    db.session.expire_all()
    intent = intent_of(paid)
    assert (intent.state, intent.refunded_fen) == (P.PARTIALLY_REFUNDED, 21000)
    assert paid.state == S.CONFIRMED  # the learner keeps the seat
    ev = db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.refund_id.isnot(None))).one()
    assert ev.actor_id == staff_a.id and "按基地规定退 70%" in ev.reason
    body = db.session.scalar(sa.select(Notice.body).where(Notice.user_id == paid.learner_id,
                                                          Notice.title.like("基地退款%")))
    assert "¥210.00" in body and "按基地规定退 70%" in body
    # the rest can still be refunded, not more
    html = client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True)
    assert 'id="refundable">¥90.00' in html


def test_double_submit_refunds_once(client, login, paid, staff_a):
    login(staff_a)
    key = _key(client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True))
    data = {"amount": "100", "reason": "退部分费用", "key": key}
    client.post(f"/manage/enrollments/{paid.id}/refund", data=data)
    r = client.post(f"/manage/enrollments/{paid.id}/refund", data=data, follow_redirects=True)
    assert "这笔退款已经办理过了" in r.get_data(as_text=True)
    db.session.expire_all()
    assert count(Refund) == 1 and intent_of(paid).refunded_fen == 10000
    # the same form with another amount is refused, not silently applied
    r = client.post(f"/manage/enrollments/{paid.id}/refund", data={**data, "amount": "50"})
    assert r.status_code == 422 and count(Refund) == 1


@pytest.mark.parametrize("amount, reason, message", [
    ("300.01", "多退", "最多还可退 ¥300.00"),
    ("0", "零元", "大于零"),
    ("12.345", "三位小数", "两位小数"),
    ("100", "", "必填"),
    ("100", "   ", "必填"),
])
def test_bad_input_is_shown_next_to_the_field(client, login, paid, staff_a, amount, reason, message):
    login(staff_a)
    key = _key(client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True))
    before = snapshot()
    r = client.post(f"/manage/enrollments/{paid.id}/refund", data={"amount": amount, "reason": reason, "key": key})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and message in html
    assert re.search(r'id="(amount|reason)-err"', html)
    assert snapshot() == before


def test_forged_key_is_refused(client, login, paid, staff_a):
    login(staff_a)
    r = client.post(f"/manage/enrollments/{paid.id}/refund", data={"amount": "1", "reason": "x", "key": "a_%"})
    assert r.status_code == 422 and "表单已过期" in r.get_data(as_text=True)
    assert count(Refund) == 0


def test_full_amount_then_nothing_left(client, login, paid, staff_a):
    login(staff_a)
    key = _key(client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True))
    client.post(f"/manage/enrollments/{paid.id}/refund", data={"amount": "300", "reason": "基地免收", "key": key})
    db.session.expire_all()
    assert intent_of(paid).state == P.REFUNDED
    html = client.get(f"/manage/enrollments/{paid.id}/refund").get_data(as_text=True)
    assert "该报名已无可退款项" in html and 'name="amount"' not in html


def test_service_requires_reason_and_never_exceeds_what_was_paid(app_ctx, paid, staff_a):
    with pytest.raises(DomainError) as exc:
        services.staff_refund(paid, 100, "  ", key="0" * 32, staff=staff_a)
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        services.staff_refund(paid, 30001, "多退", key="0" * 32, staff=staff_a)
    assert exc.value.code == "refund_exceeds_payment"
    assert services.staff_refund(paid, 30000, "全额", key="1" * 32, staff=staff_a) == 30000
    assert services.refundable_fen(paid) == 0


def test_staff_of_another_base_and_learners_cannot_refund(client, login, paid, staff_b, learner):
    for who in (staff_b, learner):
        login(who)
        assert client.get(f"/manage/enrollments/{paid.id}/refund").status_code == 403
        r = client.post(f"/manage/enrollments/{paid.id}/refund", data={"amount": "1", "reason": "x", "key": "f" * 32})
        assert r.status_code == 403
    assert count(Refund) == 0
    assert client.get("/manage/enrollments/999999/refund").status_code == 404
