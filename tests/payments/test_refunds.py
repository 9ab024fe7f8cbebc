import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.enrollment import services
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.payments import services as payments
from ntbase.payments.models import PaymentEvent, PaymentIntent, PaymentState, Refund
from tests.enrollment.helpers import count, intent_of, post_webhook, signed_event, snapshot
from tests.factories import make_course

P = PaymentState


@pytest.fixture()
def paid(client, base_a, learner):
    course = make_course(base_a, price_fen=30000)
    e = services.enroll_learner(course, learner)
    db.session.commit()
    intent = intent_of(e)
    assert post_webhook(client, *signed_event(intent.provider_ref, 30000)).status_code == 200
    db.session.expire_all()
    assert intent.state == P.SUCCEEDED
    return intent


def test_refund_larger_than_payment_is_refused(app_ctx, paid):
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        payments.refund_payment(paid, 30001, idempotency_key="r1", actor_id=None, reason="test")
    assert exc.value.code == "refund_exceeds_payment" and "¥300.00" in exc.value.message
    assert snapshot() == before and count(Refund) == 0


def test_partial_refunds_add_up_and_never_exceed(app_ctx, paid):
    payments.refund_payment(paid, 10000, idempotency_key="r1", actor_id=None, reason="part")
    assert paid.state == P.PARTIALLY_REFUNDED and paid.refunded_fen == 10000
    payments.refund_payment(paid, 15000, idempotency_key="r2", actor_id=None, reason="part")
    assert paid.state == P.PARTIALLY_REFUNDED and paid.refunded_fen == 25000
    with pytest.raises(DomainError):
        payments.refund_payment(paid, 5001, idempotency_key="r3", actor_id=None, reason="too much")
    payments.refund_payment(paid, 5000, idempotency_key="r4", actor_id=None, reason="rest")
    db.session.commit()
    db.session.expire_all()
    assert paid.state == P.REFUNDED and paid.refunded_fen == 30000
    assert sum(r.amount_fen for r in db.session.scalars(sa.select(Refund))) == 30000
    refund_events = db.session.scalars(sa.select(PaymentEvent).where(PaymentEvent.refund_id.isnot(None))).all()
    assert [e.to_state for e in refund_events] == ["partially_refunded", "partially_refunded", "refunded"]
    with pytest.raises(DomainError):
        payments.refund_payment(paid, 1, idempotency_key="r5", actor_id=None, reason="nothing left")


def test_refund_guard_holds_even_with_a_stale_object(app_ctx, paid):
    """Another request refunded meanwhile: the guarded UPDATE still refuses the excess."""
    payments.refund_payment(paid, 20000, idempotency_key="r1", actor_id=None, reason="first")
    db.session.commit()
    from sqlalchemy.orm.attributes import set_committed_value

    set_committed_value(paid, "refunded_fen", 0)  # this copy did not see the first refund
    with pytest.raises(DomainError) as exc:
        payments.refund_payment(paid, 20000, idempotency_key="r2", actor_id=None, reason="second")
    assert exc.value.code == "refund_exceeds_payment"
    db.session.rollback()
    assert db.session.scalar(sa.select(PaymentIntent.refunded_fen)) == 20000


def test_database_refuses_refunded_above_amount(app_ctx, paid):
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(PaymentIntent).values(refunded_fen=PaymentIntent.amount_fen + 1))
        db.session.flush()
    db.session.rollback()


def test_refund_idempotency(app_ctx, paid):
    a = payments.refund_payment(paid, 1000, idempotency_key="same", actor_id=None, reason="x")
    b = payments.refund_payment(paid, 1000, idempotency_key="same", actor_id=None, reason="x")
    assert a.id == b.id and paid.refunded_fen == 1000 and count(Refund) == 1
    with pytest.raises(DomainError) as exc:
        payments.refund_payment(paid, 2000, idempotency_key="same", actor_id=None, reason="x")
    assert exc.value.code == "idempotency_conflict"


def test_unpaid_intent_cannot_be_refunded(app_ctx, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=500), learner)
    with pytest.raises(DomainError) as exc:
        payments.refund_payment(intent_of(e), 500, idempotency_key="r", actor_id=None, reason="x")
    assert exc.value.code == "not_paid"


def test_nonpositive_refund_refused(app_ctx, paid):
    for amount in (0, -5):
        with pytest.raises(DomainError):
            payments.refund_payment(paid, amount, idempotency_key=f"r{amount}", actor_id=None, reason="x")


def test_payment_idempotency(app_ctx, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=500), learner)
    intent = intent_of(e)
    again = payments.create_payment(enrollment_id=e.id, learner_id=learner.id, amount_fen=500,
                                    idempotency_key=intent.idempotency_key, expires_at=None, actor_id=None)
    assert again.id == intent.id and count(PaymentIntent) == 1
    with pytest.raises(DomainError) as exc:
        payments.create_payment(enrollment_id=e.id, learner_id=learner.id, amount_fen=999,
                                idempotency_key=intent.idempotency_key, expires_at=None, actor_id=None)
    assert exc.value.code == "idempotency_conflict"
    # start_payment on a held seat returns the pending intent, not a second one
    assert services.start_payment(e, learner.id).id == intent.id and count(PaymentIntent) == 1


def test_nonpositive_payment_refused(app_ctx, base_a, learner):
    e = services.enroll_learner(make_course(base_a, price_fen=0), learner)
    with pytest.raises(DomainError):
        payments.create_payment(enrollment_id=e.id, learner_id=learner.id, amount_fen=0,
                                idempotency_key="k", expires_at=None, actor_id=None)


@pytest.mark.parametrize("title, number, field", [
    ("南通某某有限公司", "91320600MA1234567X", None),
    ("南通某某有限公司", "91320600 ma1234567x", None),  # spaces and lower case are tidied
    ("张三", "", None),
    ("", "", None),
    ("南通某某有限公司", "1234", "invoice_taxpayer_no"),
    ("南通某某有限公司", "91320600MA1234567X12345", "invoice_taxpayer_no"),
    ("南通某某有限公司", "91320600-A1234567X", "invoice_taxpayer_no"),
    ("", "91320600MA1234567X", "invoice_title"),
])
def test_invoice_details(app_ctx, base_a, learner, title, number, field):
    e = services.enroll_learner(make_course(base_a, price_fen=500), learner)
    intent = intent_of(e)
    if field is None:
        payments.set_invoice(intent, title, number)
        assert intent.invoice_taxpayer_no == number.replace(" ", "").upper()
    else:
        with pytest.raises(DomainError) as exc:
            payments.set_invoice(intent, title, number)
        assert exc.value.field == field
        assert intent.invoice_taxpayer_no == ""
