"""The database fails at each write of a group's hold, payment, member cancellation and
expiry: after the rollback nothing is half-done (seats, states, money, lines, history,
notices), and the operation then goes through once (the helpers of tests/enrollment/test_faults)."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.employers import groups
from ntbase.employers.models import EmployerGroup
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db
from ntbase.payments.models import PaymentIntent, PaymentLine, PaymentState
from tests.employers.helpers import add_member, make_employer, table_counts
from tests.enrollment.test_faults import full_snapshot, survive_every_failure
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState
PRICE = 25000


def _lines():
    return db.session.execute(sa.select(PaymentLine.id, PaymentLine.refunded_fen).order_by(PaymentLine.id)).all()


@pytest.fixture()
def unit(app_ctx, office, base_a):
    employer, admin = make_employer("南通故障单位", office=office)
    staff = [make_learner(real_name=n) for n in ("甲", "乙", "丙")]
    for u in staff:
        add_member(employer, admin, u)
    course = make_course(base_a, price_fen=PRICE, capacity=5)
    db.session.commit()
    return employer, admin, staff, course


def _seats(course_id):
    return db.session.scalar(sa.text("SELECT seats_taken FROM course WHERE id = :i"), {"i": course_id})


def test_holding_a_group(app_ctx, unit):
    employer, admin, staff, course = unit
    before = table_counts()

    def op():
        groups.enroll_group(employer, admin, course.id, [u.id for u in staff])

    assert survive_every_failure(op) >= 5
    assert _seats(course.id) == 3 and table_counts()["enrollment"] == before["enrollment"] + 3


def test_paying_through_the_sandbox_page(client, login, unit):
    employer, admin, staff, course = unit
    row = groups.enroll_group(employer, admin, course.id, [u.id for u in staff])
    intent = groups.pay_group(employer, row, admin, invoice_title="", taxpayer_no="")
    db.session.commit()
    ref = intent.provider_ref

    def op():
        login(admin)
        client.post(f"/pay/sandbox/{ref}", data={"action": "pay", "method": "wechat"})

    assert survive_every_failure(op) >= 6
    db.session.expire_all()
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.CONFIRMED] * 3
    assert db.session.get(PaymentIntent, intent.id).state == P.SUCCEEDED


def test_cancelling_one_member_with_a_refund(client, login, unit):
    employer, admin, staff, course = unit
    row = groups.enroll_group(employer, admin, course.id, [u.id for u in staff])
    intent = groups.pay_group(employer, row, admin, invoice_title="", taxpayer_no="")
    db.session.commit()
    login(admin)
    client.post(f"/pay/sandbox/{intent.provider_ref}", data={"action": "pay", "method": "wechat"})
    member = enrollments.group_members(row.group_id)[0]
    row_id = db.session.scalar(sa.select(EmployerGroup.id))

    def op():
        login(admin)
        client.post(f"/employer/groups/{row_id}/members/{member.id}/cancel")

    assert survive_every_failure(op) >= 5
    db.session.expire_all()
    assert member.state == S.CANCELLED and _seats(course.id) == 2
    assert sorted(r for _i, r in _lines()) == [0, 0, PRICE]
    assert db.session.get(PaymentIntent, intent.id).refunded_fen == PRICE


def test_the_group_expiring_together(app_ctx, unit):
    employer, admin, staff, course = unit
    row = groups.enroll_group(employer, admin, course.id, [u.id for u in staff])
    groups.pay_group(employer, row, admin, invoice_title="", taxpayer_no="")
    db.session.commit()
    later = row.group.hold_expires_at + timedelta(minutes=1)
    snap = full_snapshot()

    def op():
        enrollments.sweep_expired(later, learner_id=staff[2].id)

    assert survive_every_failure(op) >= 4
    assert full_snapshot() != snap
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.EXPIRED] * 3
    assert _seats(course.id) == 0
