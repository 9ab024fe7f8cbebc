"""Course rules (RULES §3 and §5): hours, sessions, rooms, price, capacity, window, changes."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.catalog.events import CourseCancelled
from ntbase.catalog.models import Course, CourseChange, CourseStatus
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import handlers_replaced
from tests import factories
from tests.catalog.helpers import course_input as ci
from tests.catalog.helpers import day, disclose, published_course


@pytest.fixture()
def d(base_a):
    return disclose(base_a)


def _err(fn, *a, **kw) -> DomainError:
    with pytest.raises(DomainError) as exc:
        fn(*a, **kw)
    return exc.value


# ---- hours (Art. 17)
def test_default_hours_are_days_times_six(d):
    assert cs.create_course(d.base, ci(d, days=2)).hours == Decimal("12.0")


def test_half_day_counts_half(d):
    data = ci(d, days=1)
    data.sessions.append(cs.SessionInput(day(31, 9), day(31, 12), None))
    assert cs.create_course(d.base, data).hours == Decimal("9.0")


def test_talent_training_counts_eight_on_a_talent_base(d):
    d.base.is_talent_base = True
    c = cs.create_course(d.base, ci(d, days=3, is_talent_training=True))
    assert c.hours == Decimal("24.0") and c.is_talent_training


def test_talent_training_refused_elsewhere(d):
    err = _err(cs.create_course, d.base, ci(d, is_talent_training=True))
    assert err.field == "is_talent_training"


def test_fewer_hours_allowed_more_refused(d):
    assert cs.create_course(d.base, ci(d, days=2, hours=Decimal("10.5"))).hours == Decimal("10.5")
    err = _err(cs.create_course, d.base, ci(d, days=2, hours=Decimal("12.5"), start_day=40))
    assert err.field == "hours" and "12" in err.message


def test_online_course_declares_its_hours(d):
    assert _err(cs.create_course, d.base, ci(d, mode="online")).field == "hours"
    c = cs.create_course(d.base, ci(d, mode="online", hours=Decimal("24")))
    assert c.hours == Decimal("24.0") and c.room_id is None and c.location_id is None


# ---- sessions and rooms
def test_session_must_end_after_start(d):
    data = ci(d)
    data.sessions[0] = cs.SessionInput(day(30, 17), day(30, 9), None)
    assert _err(cs.create_course, d.base, data).field == "sessions"


def test_no_sessions_refused(d):
    assert _err(cs.create_course, d.base, ci(d, days=0)).field == "sessions"


def test_overlapping_session_in_one_room_refused_across_courses(d):
    published_course(d, title="第一门")
    err = _err(cs.create_course, d.base, ci(d, title="第二门", start_day=31))
    assert err.field == "sessions" and "第一门" in err.message and "A101" in err.message
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 1


def test_other_room_or_cancelled_course_does_not_block(d):
    first = published_course(d, title="第一门")
    cs.create_course(d.base, ci(d, title="另一间教室", room=d.room2, capacity=30))
    cs.cancel_course(first, "取消", None)
    same_room = cs.create_course(d.base, ci(d, title="同一教室", start_day=30))
    # neither the other room nor the cancelled course's sessions stood in the way
    assert same_room.id is not None
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 3


def test_overlap_within_the_course_refused(d):
    data = ci(d, days=1)
    data.sessions.append(cs.SessionInput(day(30, 16), day(30, 18), d.room2.id))
    assert _err(cs.create_course, d.base, data).field == "sessions"


def test_in_person_needs_a_room_of_the_base(d, base_b):
    data = ci(d)
    data.room_id = None
    assert _err(cs.create_course, d.base, data).field == "room_id"
    other = disclose(base_b, prefix="乙")
    data = ci(d)
    data.room_id = other.room.id
    assert _err(cs.create_course, d.base, data).field == "room_id"


# ---- price from fee items
def test_price_is_the_sum_of_fee_lines(d):
    data = ci(d)
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 2)]
    c = cs.create_course(d.base, data)
    assert c.price_fen == 20000 + 2 * 5000
    assert [(li.fee_item_id, li.quantity, li.amount_fen) for li in c.fee_lines] == [
        (d.fee.id, 1, 20000), (d.fee2.id, 2, 10000)]


def test_declared_price_must_match_a_fee_item(d):
    data = ci(d, fee_qty=0, price_fen=20000)
    assert cs.create_course(d.base, data).fee_lines[0].fee_item_id == d.fee.id
    err = _err(cs.create_course, d.base, ci(d, fee_qty=0, price_fen=12345, start_day=40))
    assert err.field == "price"
    err = _err(cs.create_course, d.base, ci(d, fee_qty=1, price_fen=30000, start_day=50))
    assert err.field == "price"


def test_negative_price_refused(d):
    err = _err(cs.create_course, d.base, ci(d, fee_qty=0, price_fen=-100))
    assert err.field == "price"


def test_free_course(d):
    assert cs.create_course(d.base, ci(d, fee_qty=0)).price_fen == 0


def test_fee_items_of_another_base_refused(d, base_b):
    other = disclose(base_b, prefix="乙")
    data = ci(d)
    data.fee_lines = [cs.FeeLineInput(other.fee.id, 1)]
    assert _err(cs.create_course, d.base, data).field == "fee_lines"


def test_teachers_of_another_base_refused(d, base_b):
    other = disclose(base_b, prefix="乙")
    assert _err(cs.create_course, d.base, ci(d, teacher_ids=[other.teacher.id])).field == "teacher_ids"
    assert _err(cs.create_course, d.base, ci(d, teacher_ids=[])).field == "teacher_ids"


# ---- capacity and enrollment window
@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_at_least_one(d, capacity):
    assert _err(cs.create_course, d.base, ci(d, capacity=capacity)).field == "capacity"


def test_capacity_within_room_and_above_seats_taken(d):
    assert _err(cs.create_course, d.base, ci(d, capacity=61)).field == "capacity"
    c = published_course(d, capacity=30)
    c.seats_taken = 20
    db.session.flush()
    err = _err(cs.update_course, c, ci(d, capacity=10, change_reason="x"))
    assert err.field == "capacity" and "20" in err.message


def test_enrollment_closes_before_first_session(d):
    data = ci(d, enroll_closes_at=day(30, 10))
    assert _err(cs.create_course, d.base, data).field == "enroll_closes_at"
    data = ci(d, enroll_opens_at=day(29), enroll_closes_at=day(28))
    assert _err(cs.create_course, d.base, data).field == "enroll_opens_at"


# ---- description and search text
def test_script_in_description_is_stripped(d):
    c = cs.create_course(d.base, ci(d, description_md='Hi <script>alert("x")</script> <img src=x onerror=alert(1)>'
                                                     ' [a](javascript:alert(1)) **安全**'))
    assert "<script" not in c.description_html and "alert" not in c.description_html
    assert "onerror" not in c.description_html and "javascript:" not in c.description_html
    assert "<strong>安全</strong>" in c.description_html


def test_search_text_has_title_description_and_teachers(d):
    c = cs.create_course(d.base, ci(d, title="人工智能与数字经济", description_md="数字**孪生**",
                                    teacher_ids=[d.teacher.id, d.teacher2.id]))
    assert "人工智能" in c.search_text and "数字孪生" in c.search_text
    assert "王建国" in c.search_text and "李敏" in c.search_text
    assert c.first_session_at == day(30, 9) and c.last_session_at == day(31, 17)


# ---- publishing and the disclosure version
def test_publish_refused_with_the_missing_part(base_a):
    bs.update_scope(base_a, subjects=["public"], staff_levels=["junior"], scope_text="x", terms_text="y",
                    actor_id=None)
    assert bs.disclosure_missing_keys(bs.load_disclosure(base_a.id)) == ["fees", "people", "locations"]
    c = factories.make_course(base_a, status="draft")
    err = _err(cs.publish_course, c)
    assert "Fee items and standards" in err.message or "收费项目和标准" in err.message
    assert c.status == CourseStatus.DRAFT


def test_published_course_keeps_its_disclosure_version(d):
    c = published_course(d)
    v = c.disclosure_version
    snapshot = dict(v.snapshot)
    bs.save_fee_item(d.base, d.fee, name="公需科目培训费", amount_yuan="260", unit="每人", covers="授课",
                     actor_id=None)
    db.session.expire_all()
    c = db.session.get(Course, c.id)
    assert c.disclosure_version_id == v.id and c.price_fen == 20000
    assert c.disclosure_version.snapshot == snapshot
    assert bs.current_disclosure(d.base.id).version == v.version + 1


def test_suspended_base_cannot_publish(d):
    bs.change_base_status(d.base, bs.CertificationStatus.SUSPENDED, "评估不合格", None)
    c = cs.create_course(d.base, ci(d))
    assert _err(cs.publish_course, c).field == "status"


# ---- changes after enrollment
def _enroll(course, learner):
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    db.session.add(Enrollment(course_id=course.id, learner_id=learner.id, state=EnrollmentState.CONFIRMED,
                              price_fen=course.price_fen))
    course.seats_taken += 1
    db.session.flush()


def test_change_without_enrollments_needs_no_reason(d):
    c = published_course(d)
    cs.update_course(c, ci(d, start_day=40))
    assert db.session.scalar(sa.select(sa.func.count(CourseChange.id))) == 0


def test_schedule_change_with_enrollments_needs_reason_and_notifies(d, learner):
    c = published_course(d)
    _enroll(c, learner)
    other = factories.make_learner(real_name="李四")
    _enroll(c, other)
    db.session.commit()
    session_ids = [s.id for s in c.sessions]
    assert _err(cs.update_course, c, ci(d, start_day=40)).field == "change_reason"
    db.session.rollback()
    c = db.session.get(Course, c.id)
    cs.update_course(c, ci(d, start_day=40, room=d.room2, change_reason="教室检修"), actor_id=None)
    change = db.session.scalar(sa.select(CourseChange))
    assert change.fields == ["location", "schedule"] and change.reason == "教室检修"
    notices = db.session.scalars(sa.select(Notice)).all()
    assert {n.user_id for n in notices} == {learner.id, other.id}
    assert all("教室检修" in n.body for n in notices)
    # sessions were updated in place: attendance rows keep pointing at them
    assert [s.id for s in c.sessions] == session_ids
    assert c.first_session_at == day(40, 9)


def test_title_change_with_enrollments_needs_no_reason(d, learner):
    c = published_course(d)
    _enroll(c, learner)
    cs.update_course(c, ci(d, title="新标题"))
    assert c.title == "新标题"


def test_cancel_needs_reason_notifies_and_calls_the_enrollment_hook(d, learner):
    c = published_course(d)
    _enroll(c, learner)
    calls = []
    with handlers_replaced(CourseCancelled, [lambda e: calls.append((e.course_id, e.actor_id))]):
        assert _err(cs.cancel_course, c, " ", None).field == "reason"
        cs.cancel_course(c, "报名人数不足", None)
    assert c.status == CourseStatus.CANCELLED and calls == [(c.id, None)]
    # the enrollment domain sends the one notice (with the refund); the catalog adds none
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == learner.id)) == 0
    assert _err(cs.cancel_course, c, "again", None).field == "reason"


def test_cancel_tells_the_enrolled_learners_through_the_enrollment_domain(d, learner):
    c = published_course(d)
    _enroll(c, learner)
    cs.cancel_course(c, "报名人数不足", None)
    assert db.session.scalar(sa.select(Notice.body).where(Notice.user_id == learner.id)).endswith("报名人数不足")


def test_closed_course_cannot_be_edited(d):
    c = published_course(d)
    cs.close_course(c)
    assert _err(cs.update_course, c, ci(d)).field == "title"
    assert _err(cs.close_course, c).field == "status"


def test_removing_a_session_with_attendance_refused(d, learner):
    from ntbase.attendance.models import Attendance
    from ntbase.enrollment.models import Enrollment

    c = published_course(d, days=2)
    _enroll(c, learner)
    enrollment = db.session.scalar(sa.select(Enrollment))
    db.session.add(Attendance(session_id=c.sessions[1].id, enrollment_id=enrollment.id))
    db.session.flush()
    err = _err(cs.update_course, c, ci(d, days=1, change_reason="缩短"))
    assert err.field == "sessions"


def test_database_refuses_what_must_never_break(d):
    c = published_course(d)
    db.session.commit()
    c.price_fen = -1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    c = db.session.get(Course, c.id)
    c.sessions[0].ends_at = c.sessions[0].starts_at - timedelta(hours=1)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_renamed_teacher_is_found_by_the_new_name(d):
    c = published_course(d)
    bs.save_teacher(d.base, d.teacher, name="王建民", title="教授", organisation="南通大学", subjects="安全",
                    bio="", actor_id=None)
    db.session.flush()
    db.session.refresh(c)
    assert "王建民" in c.search_text and "王建国" not in c.search_text


# ---- review fixes: a published course agrees with the disclosure version it points to
def test_draft_published_after_a_fee_change_is_priced_by_the_version_in_force(d):
    c = cs.create_course(d.base, ci(d))
    assert c.price_fen == 20000
    bs.save_fee_item(d.base, d.fee, name="公需科目培训费", amount_yuan="260", unit="每人", covers="授课",
                     actor_id=None)
    cs.publish_course(c)
    assert c.price_fen == 26000 and [li.amount_fen for li in c.fee_lines] == [26000]
    items = c.disclosure_version.snapshot["fees"]["items"]
    assert {i["id"]: i["amount_fen"] for i in items}[d.fee.id] == 26000


@pytest.mark.parametrize("what", ["fee", "teacher", "room"])
def test_publish_refused_when_something_the_draft_uses_was_withdrawn(d, what):
    data = ci(d, teacher_ids=[d.teacher.id, d.teacher2.id])
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
    c = cs.create_course(d.base, data)
    obj, name = {"fee": (d.fee2, "资料费"), "teacher": (d.teacher2, "李敏"), "room": (d.room, "A101")}[what]
    bs.retire_item(d.base, obj, None)
    err = _err(cs.publish_course, c)
    assert err.field == "status" and name in err.message
    assert c.status == CourseStatus.DRAFT


def test_publish_refused_once_enrollment_has_closed(d):
    c = cs.create_course(d.base, ci(d, start_day=-5, enroll_opens_at=day(-20), enroll_closes_at=day(-6)))
    err = _err(cs.publish_course, c)
    assert err.field == "status" and c.status == CourseStatus.DRAFT


def test_publish_records_a_version_when_the_working_copy_moved_on(d):
    """Something changed the disclosure without a version (a script, the office): publishing
    pins a snapshot of what learners see now, not a stale one."""
    before = bs.current_disclosure(d.base.id)
    d.base.terms_text = "每年4月至10月"
    c = published_course(d)
    assert c.disclosure_version.version == before.version + 1
    assert c.disclosure_version.snapshot["scope"]["terms_text"] == "每年4月至10月"
    c2 = published_course(d, title="第二门", start_day=50)
    assert c2.disclosure_version_id == c.disclosure_version_id  # nothing new: no new version


def test_editing_the_fee_items_of_a_published_course_reprices_from_the_version_in_force(d):
    c = published_course(d)
    old_version = c.disclosure_version_id
    bs.save_fee_item(d.base, d.fee, name="公需科目培训费", amount_yuan="260", unit="每人", covers="授课",
                     actor_id=None)
    cs.update_course(c, ci(d, title="只改标题"))
    assert c.price_fen == 20000 and c.disclosure_version_id == old_version  # same items: same terms
    data = ci(d)
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
    cs.update_course(c, data)
    assert c.price_fen == 26000 + 5000
    assert c.disclosure_version_id == bs.current_disclosure(d.base.id).id


def test_notices_are_written_in_each_learners_language(d, learner):
    """Staff working in English change a course: each learner reads the notice in their own language."""
    from flask_babel import force_locale

    c = published_course(d)
    _enroll(c, learner)
    english = factories.make_learner(real_name="李四")
    english.locale = "en"
    _enroll(c, english)
    with force_locale("en"):
        cs.update_course(c, ci(d, start_day=40, room=d.room2, change_reason="教室检修"), actor_id=None)
        cs.cancel_course(c, "报名人数不足", None)
    zh = db.session.scalars(sa.select(Notice).where(Notice.user_id == learner.id).order_by(Notice.id)).all()
    en = db.session.scalars(sa.select(Notice).where(Notice.user_id == english.id).order_by(Notice.id)).all()
    assert zh[0].title.startswith("课程变更") and "日程、地点" in zh[0].body and "教室检修" in zh[0].body
    assert en[0].title.startswith("Course changed") and "schedule, location" in en[0].body
    assert zh[1].title.startswith("课程已取消") and en[1].title.startswith("Course cancelled")


def test_cutting_hours_after_enrollment_needs_a_reason_too(d, learner):
    """Learners enrolled for the hours (学时) they need: fewer hours is a change they are told about."""
    c = published_course(d, days=2)
    _enroll(c, learner)
    db.session.commit()
    assert _err(cs.update_course, c, ci(d, days=2, hours=Decimal("10"))).field == "change_reason"
    db.session.rollback()
    c = db.session.get(Course, c.id)
    cs.update_course(c, ci(d, days=2, hours=Decimal("10"), change_reason="压缩课时"))
    assert db.session.scalar(sa.select(CourseChange.fields)) == ["hours"]
    body = db.session.scalar(sa.select(Notice.body).where(Notice.user_id == learner.id))
    assert "学时" in body and "压缩课时" in body


def test_messages_say_what_is_wrong(d):
    err = _err(cs.create_course, d.base, ci(d, hours=Decimal("0")))
    assert err.field == "hours" and "大于 0" in err.message and "留空" in err.message
    err = _err(cs.create_course, d.base, ci(d, mode="online", capacity=20000, hours=Decimal("8")))
    assert err.field == "capacity" and "10000" in err.message
