"""Group enrollment paid by the employer: seats held all together or none, one payment with
the unit's invoice, each learner told in their language and shown "paid by employer",
one member cancelled and refunded to the employer by the course's rule, holds expiring
together, and never a payment without a seat."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import g

from ntbase.accounts.models import Notice
from ntbase.catalog.models import Course
from ntbase.employers import groups
from ntbase.employers.models import EmployerGroup, LongTrainingConsent
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentIntent, PaymentLine, PaymentState, Refund
from tests.employers.helpers import PDF, add_member, make_employer, snapshot
from tests.enrollment.helpers import post_webhook, signed_event
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState
PRICE = 36000


@pytest.fixture()
def unit(app_ctx, office, base_a):
    employer, admin = make_employer("南通市第一人民医院", office=office)
    staff = [make_learner(real_name=n) for n in ("张晓明", "王丽", "刘强", "赵敏")]
    staff[1].locale = "en"  # one of them reads English
    members = [add_member(employer, admin, u, "护理部") for u in staff]
    course = make_course(base_a, title="临床护理新进展", category="specialized", price_fen=PRICE, capacity=5)
    db.session.commit()
    return {"employer": employer, "admin": admin, "staff": staff, "members": members, "course": course}


def _intent(group_id) -> PaymentIntent:
    return db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.group_id == group_id)
                              .order_by(PaymentIntent.id.desc())).first()


def _pay(client, intent):
    r = post_webhook(client, *signed_event(intent.provider_ref, intent.amount_fen))
    assert r.status_code == 200, r.get_data(as_text=True)
    g.pop("_login_user", None)
    db.session.expire_all()


def _hold(u, n=3):
    row = groups.enroll_group(u["employer"], u["admin"], u["course"].id, [s.id for s in u["staff"][:n]])
    db.session.commit()
    return row


def test_seats_are_held_together_and_one_payment_confirms_them(client, unit):
    u = unit
    row = _hold(u)
    members = enrollments.group_members(row.group_id)
    assert [m.state for m in members] == [S.HELD] * 3
    assert len({m.hold_expires_at for m in members}) == 1  # one deadline for the group
    assert db.session.get(Course, u["course"].id).seats_taken == 3
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    # one payment, a line per person, the unit's invoice details by default
    assert intent.amount_fen == 3 * PRICE and intent.group_id == row.group_id and intent.enrollment_id is None
    assert (intent.invoice_title, intent.invoice_taxpayer_no) == (u["employer"].name, u["employer"].uscc)
    assert sorted(line.enrollment_id for line in intent.lines) == sorted(m.id for m in members)
    assert intent.learner_id == u["admin"].id  # the employer's administrator pays
    _pay(client, intent)
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.CONFIRMED] * 3
    assert db.session.get(Course, u["course"].id).seats_taken == 3
    assert db.session.get(PaymentIntent, intent.id).state == P.SUCCEEDED


def test_each_learner_is_told_in_their_language_and_sees_paid_by_employer(client, login, unit):
    u = unit
    row = _hold(u)
    _pay(client, groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no=""))
    db.session.commit()
    zh, en = u["staff"][0], u["staff"][1]
    zh_titles = db.session.scalars(sa.select(Notice.title).where(Notice.user_id == zh.id)).all()
    en_titles = db.session.scalars(sa.select(Notice.title).where(Notice.user_id == en.id)).all()
    assert any("南通市第一人民医院" in t and "临床护理新进展" in t for t in zh_titles)
    assert any(t.startswith("Enrollment confirmed") for t in en_titles)
    assert not any(t.startswith("Enrollment confirmed") for t in zh_titles)  # Chinese for the Chinese reader
    login(zh)
    page = client.get("/me/courses").get_data(as_text=True)
    assert 'data-paid-by="employer"' in page and "南通市第一人民医院" in page
    assert "/pay" not in page.split("临床护理新进展")[1].split("</li>")[0]  # no "pay now" for the learner
    e = enrollments.live_enrollment(u["course"].id, zh.id)
    assert client.post(f"/me/enrollments/{e.id}/cancel").status_code == 302  # refused, with a message
    db.session.expire_all()
    assert e.state == S.CONFIRMED


def test_a_group_that_does_not_fit_holds_nothing(client, login, unit):
    u = unit
    other = make_learner(real_name="外单位")
    enrollments.enroll_learner(u["course"], other)  # 1 of 5 seats taken by someone else
    enrollments.enroll_learner(u["course"], make_learner(real_name="外单位二"))
    db.session.commit()
    login(u["admin"])
    before = snapshot()
    r = client.post("/employer/groups/new", data={"course_id": u["course"].id,
                                                  "learner_ids": [s.id for s in u["staff"]]})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="learner_ids-err"' in page and "3" in page.split('id="learner_ids-err"')[1][:200]
    assert snapshot() == before  # no seat, no enrollment, no payment


def test_staff_who_are_not_current_members_cannot_be_enrolled(app_ctx, unit):
    u = unit
    stranger = make_learner(real_name="陌生人")
    with pytest.raises(DomainError) as exc:
        groups.enroll_group(u["employer"], u["admin"], u["course"].id, [u["staff"][0].id, stranger.id])
    assert exc.value.field == "learner_ids"


def test_someone_already_enrolled_is_named(app_ctx, unit):
    u = unit
    enrollments.enroll_learner(u["course"], u["staff"][0])
    with pytest.raises(DomainError) as exc:
        groups.enroll_group(u["employer"], u["admin"], u["course"].id, [s.id for s in u["staff"][:2]])
    assert "张晓明" in exc.value.message and exc.value.code == "duplicate"


def test_cancelling_one_member_refunds_the_employer_in_full_before_the_deadline(client, unit):
    u = unit
    row = _hold(u)
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    _pay(client, intent)
    member = enrollments.group_members(row.group_id)[1]
    terms = groups.cancel_member(u["employer"], row, member, u["admin"])
    db.session.commit()
    assert terms.refund_fen == PRICE
    refund = db.session.scalar(sa.select(Refund))
    assert refund.amount_fen == PRICE and refund.line.enrollment_id == member.id
    intent = db.session.get(PaymentIntent, intent.id)
    assert intent.state == P.PARTIALLY_REFUNDED and intent.refunded_fen == PRICE
    assert db.session.get(Course, u["course"].id).seats_taken == 2
    db.session.expire_all()
    assert member.paid_fen == 0 and member.state == S.CANCELLED
    # the other lines are untouched; the line cannot be refunded twice
    assert sorted(ln.refunded_fen for ln in db.session.scalars(sa.select(PaymentLine))) == [0, 0, PRICE]


def test_after_the_refund_deadline_cancelling_refunds_nothing(client, unit):
    u = unit
    row = _hold(u)
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    _pay(client, intent)
    late = u["course"].first_session_at - timedelta(hours=2)  # cut-off is 24 h before the start
    member = enrollments.group_members(row.group_id)[0]
    terms = groups.cancel_member(u["employer"], row, member, u["admin"], at=late)
    db.session.commit()
    assert terms.refund_fen == 0 and terms.reason == "late"
    assert db.session.scalar(sa.select(sa.func.count(Refund.id))) == 0


def test_cancelling_before_paying_makes_the_next_payment_smaller(app_ctx, unit):
    u = unit
    row = _hold(u)
    first = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    groups.cancel_member(u["employer"], row, enrollments.group_members(row.group_id)[0], u["admin"])
    db.session.expire_all()
    assert db.session.get(PaymentIntent, first.id).state == P.CANCELLED
    second = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    assert second.id != first.id and second.amount_fen == 2 * PRICE
    assert groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="").id == second.id


def test_group_holds_expire_together(app_ctx, unit):
    u = unit
    row = _hold(u)
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    later = row.group.hold_expires_at + timedelta(minutes=1)
    # a sweep that meets only one member (as a learner's own page does) expires all of them
    enrollments.sweep_expired(later, learner_id=u["staff"][0].id)
    db.session.commit()
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.EXPIRED] * 3
    assert db.session.get(Course, u["course"].id).seats_taken == 0
    assert db.session.get(PaymentIntent, intent.id).state == P.EXPIRED
    with pytest.raises(DomainError):
        groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="", at=later)


def test_a_late_payment_takes_the_seats_again_when_they_all_fit(client, unit):
    u = unit
    row = _hold(u)
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    enrollments.sweep_expired(row.group.hold_expires_at + timedelta(minutes=1))
    db.session.commit()
    _pay(client, intent)
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.CONFIRMED] * 3
    assert db.session.get(Course, u["course"].id).seats_taken == 3


def test_a_late_payment_with_too_few_seats_is_refunded_in_full(client, unit):
    u = unit
    row = _hold(u)
    intent = groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    db.session.commit()
    enrollments.sweep_expired(row.group.hold_expires_at + timedelta(minutes=1))
    for i in range(3):  # others take 3 of the 5 seats meanwhile
        enrollments.enroll_learner(u["course"], make_learner(real_name=f"他人{i}"))
    db.session.commit()
    _pay(client, intent)
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.EXPIRED] * 3
    intent = db.session.get(PaymentIntent, intent.id)
    assert intent.state == P.REFUNDED and intent.refunded_fen == intent.amount_fen
    assert db.session.get(Course, u["course"].id).seats_taken == 3  # only the others'


def test_a_cancelled_course_refunds_every_line_to_the_employer(client, unit, staff_a):
    from ntbase.catalog import services as catalog

    u = unit
    row = _hold(u)
    _pay(client, groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no=""))
    catalog.cancel_course(db.session.get(Course, u["course"].id), "讲师因病", staff_a.id)
    db.session.commit()
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.CANCELLED] * 3
    intent = _intent(row.group_id)
    assert intent.state == P.REFUNDED and intent.refunded_fen == 3 * PRICE
    assert sum(ln.refunded_fen for ln in intent.lines) == 3 * PRICE


def test_the_base_sees_the_employer_as_payer(client, login, unit, staff_a):
    u = unit
    row = _hold(u)
    _pay(client, groups.pay_group(u["employer"], row, u["admin"], invoice_title="南通市第一人民医院",
                                  taxpayer_no=u["employer"].uscc))
    db.session.commit()
    login(staff_a)
    page = client.get(f"/manage/courses/{u['course'].id}/roster").get_data(as_text=True)
    assert page.count('data-paid-by="employer"') == 3 and u["employer"].uscc in page
    figures = enrollments.base_figures(u["course"].base_id)
    assert figures[0].paid_fen == 3 * PRICE
    csv = client.get(f"/manage/courses/{u['course'].id}/roster.csv").get_data(as_text=True)
    assert csv.count(u["employer"].uscc) == 3 and "360.00" in csv


def test_art_10_long_training_needs_consent_and_contract_before_paying(client, login, unit, base_a):
    u = unit
    start = (now() + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    long_course = make_course(base_a, title="全脱产进修班", price_fen=500000, capacity=10, sessions=100, start=start)
    db.session.commit()
    row = groups.enroll_group(u["employer"], u["admin"], long_course.id, [s.id for s in u["staff"][:2]])
    db.session.commit()
    assert groups.course_rule(long_course).applies
    with pytest.raises(DomainError) as exc:
        groups.pay_group(u["employer"], row, u["admin"], invoice_title="", taxpayer_no="")
    assert exc.value.code == "consent_missing" and "张晓明" in exc.value.message
    db.session.rollback()
    login(u["admin"])
    members = enrollments.group_members(row.group_id)
    for m in members:
        r = client.post(f"/employer/groups/{row.id}/members/{m.id}/consent",
                        data={"consented_on": now().date().isoformat(), "note": "签订服务期三年",
                              "contract": (__import__("io").BytesIO(PDF), "服务合同.pdf")},
                        content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(LongTrainingConsent.id))) == 2
    r = client.post(f"/employer/groups/{row.id}/pay", data={"invoice_title": "", "invoice_taxpayer_no": ""})
    assert r.status_code == 302 and "/pay/sandbox/" in r.headers["Location"]


def test_the_sandbox_pay_page_is_the_paying_admins(client, login, unit):
    u = unit
    row = _hold(u)
    login(u["admin"])
    r = client.post(f"/employer/groups/{row.id}/pay", data={"invoice_title": "南通市第一人民医院",
                                                             "invoice_taxpayer_no": u["employer"].uscc})
    assert r.status_code == 302
    pay_url = r.headers["Location"]
    r = client.post(pay_url, data={"action": "pay", "method": "alipay"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/employer/groups/{row.id}")
    assert [m.state for m in enrollments.group_members(row.group_id)] == [S.CONFIRMED] * 3
    login(u["staff"][0])
    assert client.get(pay_url).status_code == 404  # not the learner's payment
    assert db.session.scalar(sa.select(sa.func.count(EmployerGroup.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 3


def test_a_free_course_confirms_the_whole_group_at_once_and_tells_each_learner(unit):
    u = unit
    free = make_course(u["course"].base, title="公需科目免费讲座", price_fen=0, capacity=10)
    db.session.commit()
    row = groups.enroll_group(u["employer"], u["admin"], free.id, [s.id for s in u["staff"][:2]])
    db.session.commit()
    members = enrollments.group_members(row.group_id)
    assert {e.state for e in members} == {S.CONFIRMED}
    assert all(e.hold_expires_at is None for e in members)
    assert db.session.scalar(sa.select(Course.seats_taken).where(Course.id == free.id)) == 2
    titles = db.session.scalars(sa.select(Notice.body).where(Notice.user_id.in_([s.id for s in u["staff"][:2]]))).all()
    assert any("免费" in t for t in titles) and any("free" in t for t in titles)
