"""#15.14: every state change a learner cares about gives exactly one notice, in the
learner's language (here English, while staff work in Chinese), with a link to the page."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.catalog import services as catalog
from ntbase.certificates import services as certificates
from ntbase.enrollment import services as enrollments
from ntbase.hours import services as hours
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.office import complaints as office_services
from ntbase.office.complaints.models import ComplaintState
from tests.attendance.helpers import completed_certificate
from tests.enrollment.helpers import paid_enrollment
from tests.factories import make_course, make_learner, make_user
from tests.hours.factories import make_evidence


@pytest.fixture()
def english(app_ctx):
    user = make_learner(real_name="Li Si")
    user.locale = "en"
    db.session.commit()
    return user


class Notices:
    """The notices a user got since the last look."""

    def __init__(self, user):
        self.user, self.seen = user, 0

    def new(self) -> list[Notice]:
        rows = db.session.scalars(sa.select(Notice).where(Notice.user_id == self.user.id, Notice.id > self.seen)
                                  .order_by(Notice.id)).all()
        if rows:
            self.seen = rows[-1].id
        return rows

    def one(self) -> Notice:
        rows = self.new()
        assert len(rows) == 1, [n.title for n in rows]
        return rows[0]


def test_confirmed_by_payment_cancelled_and_refunded(client, base_a, staff_a, english):
    box = Notices(english)
    course = make_course(base_a, title="数控加工", price_fen=20000, capacity=2)
    e = paid_enrollment(client, course, english)
    n = box.one()
    assert n.title == "Enrollment confirmed: 数控加工" and "¥200.00" in n.body and n.link == "/me/courses"
    enrollments.staff_refund(e, 5000, "教材未发放", key="ab" * 8, staff=staff_a)
    n = box.one()
    assert n.title.startswith("Refund from the base") and "¥50.00" in n.body and "教材未发放" in n.body
    enrollments.cancel_enrollment(e, english.id)
    n = box.one()
    assert n.title == "Enrollment cancelled: 数控加工" and "¥150.00" in n.body and n.link == "/me/courses"


def test_a_free_seat_offered_from_the_waitlist(app_ctx, base_a, english):
    course = make_course(base_a, title="安全生产", capacity=1)
    first = make_learner()
    taken = enrollments.enroll_learner(course, first)
    db.session.commit()
    box = Notices(english)
    enrollments.enroll_learner(course, english)  # waitlisted by themselves: the page says so
    assert box.new() == []
    enrollments.cancel_enrollment(taken, first.id)
    n = box.one()
    assert n.title == "A seat is free for you: 安全生产" and "My courses" in n.body and n.link == "/me/courses"


def test_enrolled_by_a_base_and_the_course_cancelled(app_ctx, base_a, staff_a, english):
    course = make_course(base_a, title="焊接工艺", price_fen=10000)
    box = Notices(english)
    enrollments.manual_enroll(course, english.profile.id_number, staff_a)
    n = box.one()
    assert n.title == "A base enrolled you in “焊接工艺”" and "pay before" in n.body
    catalog.cancel_course(course, "场地维修", staff_a.id)
    n = box.one()
    assert n.title == "Course cancelled: 焊接工艺" and "场地维修" in n.body and n.link == "/me/courses"


def test_completed_certificate_issued_reissued_revoked(app_ctx, base_a, english):
    box = Notices(english)
    cert = completed_certificate(base_a, english, title="机械制图", hours="12")
    completed, issued = box.new()
    assert completed.title == "Course completed: 机械制图" and "12" in completed.body
    assert issued.title == "Certificate issued: 机械制图" and issued.link == f"/certificates/{cert.id}"
    assert cert.display_code in issued.body
    office = make_user(Role.OFFICE)
    new = certificates.reissue_certificate(cert, office)
    n = box.one()
    assert n.title == "Your certificate for “机械制图” was reissued" and new.display_code in n.body
    assert n.link == f"/certificates/{new.id}"
    certificates.revoke_certificate(new, "考勤记录不实", office)
    n = box.one()
    assert "has been revoked" in n.title and n.body == "考勤记录不实" and n.link == "/me/certificates"


@pytest.mark.parametrize("accept", [True, False])
def test_hours_accepted_or_rejected(app_ctx, english, accept):
    office = make_user(Role.OFFICE)
    entry = hours.add_external_entry(english.id, hours.EntryInput(
        kind="conference", title="全国学术年会", level="national", days="2", start_date=date(2026, 5, 16),
        end_date=date(2026, 5, 17)), make_evidence(english), today=date(2026, 6, 30))
    box = Notices(english)
    hours.review_entry(entry.id, accept, "" if accept else "证明材料不清晰", office.id)
    n = box.one()
    assert n.title == f"Your hours entry “全国学术年会” was {'accepted' if accept else 'rejected'}."
    assert n.link == "/me/hours" and n.body == ("" if accept else "证明材料不清晰")


def test_complaint_answered(app_ctx, base_a, english):
    office = make_user(Role.OFFICE)
    complaint = office_services.file_complaint(english, office_services.ComplaintInput(
        target="base", base_id=base_a.id, subject="上课时间", details="报名时公布的时间与实际上课时间不一致。"))
    box = Notices(english)
    office_services.transition_complaint(complaint, ComplaintState.ANSWERED, office, answer="基地已于3月5日退费。")
    n = box.one()
    assert n.title == "Your complaint “上课时间” has been answered." and n.link == f"/me/complaints/{complaint.id}"
