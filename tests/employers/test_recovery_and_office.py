"""Art. 30 fee recovery (at most what the employer paid; the learner sees it and answers),
and the office's side: statistics by the real employer and the Art. 28 figures."""
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import g

from ntbase.employers import groups, plans, services
from ntbase.employers.models import FeeRecovery, RecoveryState
from ntbase.enrollment import services as enrollments
from ntbase.hours.services import add_adjustment
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from tests.employers.helpers import add_member, make_employer, snapshot
from tests.enrollment.helpers import post_webhook, signed_event
from tests.factories import make_course, make_learner

PRICE = 80000


@pytest.fixture()
def paid(client, app_ctx, office, base_a):
    """Two staff enrolled and paid for by the employer in a course that is now over."""
    employer, admin = make_employer("南通通达智能制造有限公司", office=office)
    a, b = make_learner(real_name="孙浩"), make_learner(real_name="周文")
    for u in (a, b):
        add_member(employer, admin, u, "技术部")
    course = make_course(base_a, title="智能制造与工业机器人", price_fen=PRICE, capacity=10)
    db.session.commit()
    row = groups.enroll_group(employer, admin, course.id, [a.id, b.id])
    intent = groups.pay_group(employer, row, admin, invoice_title="", taxpayer_no="")
    db.session.commit()
    assert post_webhook(client, *signed_event(intent.provider_ref, intent.amount_fen)).status_code == 200
    g.pop("_login_user", None)
    over = course.last_session_at + timedelta(days=2)
    return {"employer": employer, "admin": admin, "a": a, "b": b, "course": course, "row": row, "over": over}


def test_ended_without_completion_can_be_recovered_at_most_what_was_paid(client, login, paid):
    p = paid
    assert groups.recoverable(p["employer"], at=p["course"].first_session_at - timedelta(days=1)) == []  # not over yet
    found = groups.recoverable(p["employer"], at=p["over"])
    assert {c.enrollment.learner_id for c in found} == {p["a"].id, p["b"].id}
    assert all(c.paid_fen == PRICE and c.why == "not_completed" for c in found)
    e = next(c.enrollment for c in found if c.enrollment.learner_id == p["a"].id)
    with pytest.raises(DomainError) as exc:
        groups.request_recovery(p["employer"], e.id, p["admin"], amount="800.01", reason="未参加培训", at=p["over"])
    assert exc.value.field == "amount" and "¥800.00" in exc.value.message
    recovery = groups.request_recovery(p["employer"], e.id, p["admin"], amount="800", reason="未参加培训",
                                       at=p["over"])
    db.session.commit()
    assert recovery.amount_fen == PRICE and recovery.state == RecoveryState.REQUESTED
    with pytest.raises(DomainError) as exc:
        groups.request_recovery(p["employer"], e.id, p["admin"], amount="100", reason="再次", at=p["over"])
    assert exc.value.code == "duplicate"
    db.session.rollback()
    login(p["a"])
    page = client.get("/me/employers").get_data(as_text=True)
    assert f'data-recovery="{recovery.id}"' in page and "¥800.00" in page
    r = client.post(f"/me/employers/recoveries/{recovery.id}/answer", data={"answer": "因病缺课，已提交病假证明"})
    assert r.status_code == 302
    db.session.expire_all()
    assert recovery.state == RecoveryState.ANSWERED and recovery.answer == "因病缺课，已提交病假证明"
    login(p["b"])  # another learner cannot answer it
    assert client.post(f"/me/employers/recoveries/{recovery.id}/answer", data={"answer": "x"}).status_code == 404


def test_a_recovery_above_the_amount_paid_is_shown_at_the_field_and_nothing_is_written(client, login, paid,
                                                                                      monkeypatch):
    p = paid
    e = enrollments.live_enrollment(p["course"].id, p["a"].id)
    # the pages use the current time: move the clock past the course
    monkeypatch.setattr("ntbase.employers.groups.now", lambda: p["over"])
    login(p["admin"])
    assert client.get(f"/employer/recoveries/new/{e.id}").status_code == 200
    before = snapshot()
    r = client.post(f"/employer/recoveries/new/{e.id}", data={"amount": "1000", "reason": "未参加"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert 'id="amount-err"' in page and "¥800.00" in page
    assert snapshot() == before
    assert db.session.scalar(sa.select(sa.func.count(FeeRecovery.id))) == 0


def test_a_cancellation_refunded_in_full_leaves_nothing_to_recover(app_ctx, paid):
    p = paid
    e = enrollments.live_enrollment(p["course"].id, p["b"].id)
    groups.cancel_member(p["employer"], p["row"], e, p["admin"])  # before the deadline: full refund
    db.session.commit()
    assert p["b"].id not in {c.enrollment.learner_id for c in groups.recoverable(p["employer"], at=p["over"])}


def test_statistics_by_the_real_employer(app_ctx, office):
    year = now().year
    one, admin1 = make_employer("南通甲单位", office=office)
    two, admin2 = make_employer("南通乙单位", office=office)
    make_employer("南通待确认单位", confirm=False)
    ok, short, other = make_learner(), make_learner(), make_learner()
    add_member(one, admin1, ok)
    add_member(one, admin1, short)
    add_member(two, admin2, other)
    add_adjustment(ok.id, year, "24", "public", "公需", office.id)
    add_adjustment(ok.id, year, "66", "specialized", "专业", office.id)
    rows = {r.employer.name: (r.staff, r.meeting, r.share) for r in services.compliance_by_employer(year)}
    assert rows == {"南通甲单位": (2, 1, 50.0), "南通乙单位": (1, 0, 0.0)}


def test_art_28_figures_count_late_and_missing_reports(app_ctx, office):
    employer, admin = make_employer("南通丙单位", office=office)
    employer.confirmed_at = datetime(2023, 5, 1)
    plans.submit_report(employer, 2023, admin, "按时", at=datetime(2024, 3, 1, 9))  # due 31 March 2024
    plans.submit_report(employer, 2024, admin, "逾期", at=datetime(2025, 4, 15, 9))  # after 31 March 2025
    db.session.commit()  # 2025: never submitted
    row = next(r for r in plans.assessment_rows(2025, today=date(2026, 4, 2)) if r.employer.id == employer.id)
    assert row.late_reports == [2024, 2025]
    row = next(r for r in plans.assessment_rows(2025, today=date(2026, 3, 31)) if r.employer.id == employer.id)
    assert row.late_reports == [2024]  # 2025's is not due yet
    assert (row.staff, row.spend_fen, row.report_state) == (0, 0, None)


def test_office_pages_confirm_and_list(client, login, office):
    employer, _admin = make_employer("南通丁单位", confirm=False)
    db.session.commit()
    login(office)
    assert 'href="/office/employers"' in client.get("/office").get_data(as_text=True)  # the console's card
    assert "南通丁单位" in client.get("/office/employers?state=pending").get_data(as_text=True)
    r = client.post(f"/office/employers/{employer.id}/confirm", data={"reason": ""})
    assert r.status_code == 422 and 'id="reason-err"' in r.get_data(as_text=True)
    r = client.post(f"/office/employers/{employer.id}/confirm", data={"reason": "营业执照已核验"})
    assert r.status_code == 302
    db.session.expire_all()
    assert employer.is_active
    assert client.get("/office/employers/assessment").status_code == 200
    assert client.post(f"/office/employers/{employer.id}/reinstate", data={"reason": "x"}).status_code == 422
