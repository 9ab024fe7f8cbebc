"""Staff course pages: create, edit (with a reason after enrollments), publish, close, cancel."""
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.catalog.models import Course, CourseChange, CourseStatus
from ntbase.db import db
from tests.catalog.helpers import day, disclose, published_course


def _form(d, **over):
    start = day(30)
    data = {
        "title": "人工智能与数字经济", "category": "specialized", "mode": "in_person",
        "teacher_ids": [str(d.teacher.id), str(d.teacher2.id)], "room_id": str(d.room.id),
        "sessions-0-day": start.strftime("%Y-%m-%d"), "sessions-0-start": "09:00", "sessions-0-end": "17:00",
        "sessions-0-room_id": "",
        "sessions-1-day": (start.date().replace(day=start.day)).strftime("%Y-%m-%d"),
        "sessions-1-start": "", "sessions-1-end": "", "sessions-1-room_id": "",
        "sessions-2-day": "", "sessions-2-start": "", "sessions-2-end": "", "sessions-2-room_id": "",
        "hours": "", "capacity": "40", "enroll_opens_at": "", "enroll_closes_at": "",
        "refund_policy": "", "refund_cutoff_hours": "24", "description_md": "数字经济**概论**",
        f"fee_{d.fee.id}": "1", f"fee_{d.fee2.id}": "0", "change_reason": "",
    }
    data["sessions-1-day"] = ""
    data.update(over)
    return data


def test_staff_create_publish_and_see_dashboard(client, login, staff_a, base_a):
    d = disclose(base_a)
    db.session.commit()
    login(staff_a)
    assert client.get(f"/manage/bases/{base_a.id}/courses/new").status_code == 200
    r = client.post(f"/manage/bases/{base_a.id}/courses/new", data=_form(d))
    assert r.status_code == 302, r.get_data(as_text=True)
    c = db.session.scalar(sa.select(Course))
    assert c.status == CourseStatus.DRAFT and c.price_fen == 20000 and str(c.hours) == "6.0"
    assert {t.name for t in c.teachers} == {"王建国", "李敏"}
    # draft invisible in the catalog, visible to its staff
    assert client.get(f"/courses/{c.id}").status_code == 200
    r = client.post(f"/manage/courses/{c.id}/publish")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, c.id).status == CourseStatus.PUBLISHED
    html = client.get(f"/manage/bases/{base_a.id}").get_data(as_text=True)
    assert "人工智能与数字经济" in html and "0 / 40" in html


def test_form_errors_next_to_fields(client, login, staff_a, base_a):
    d = disclose(base_a)
    db.session.commit()
    login(staff_a)
    r = client.post(f"/manage/bases/{base_a.id}/courses/new", data=_form(d, hours="13"))
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="hours-err"' in html and "6" in html
    r = client.post(f"/manage/bases/{base_a.id}/courses/new",
                    data=_form(d, **{"sessions-0-end": "08:00"}))
    assert r.status_code == 422 and 'id="sessions-err"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Course.id))) == 0


def test_publish_refused_while_disclosure_incomplete(client, login, staff_a, base_a):
    from ntbase.bases import services as bs

    d = disclose(base_a)
    c = published_course(d)
    draft = Course(**{k: getattr(c, k) for k in ("base_id", "title", "category", "mode", "price_fen", "hours",
                                                  "capacity", "enroll_opens_at", "enroll_closes_at")})
    db.session.add(draft)
    bs.retire_item(base_a, d.teacher, None)
    bs.retire_item(base_a, d.teacher2, None)
    db.session.commit()
    login(staff_a)
    client.post(f"/manage/courses/{draft.id}/publish")
    html = client.get(f"/manage/courses/{draft.id}").get_data(as_text=True)
    assert "师资和管理人员" in html
    db.session.expire_all()
    assert db.session.get(Course, draft.id).status == CourseStatus.DRAFT


def test_edit_after_enrollment_needs_reason_and_notifies(client, login, staff_a, base_a, learner):
    from ntbase.enrollment.models import Enrollment, EnrollmentState

    d = disclose(base_a)
    c = published_course(d, title="建筑工程质量安全管理")
    db.session.add(Enrollment(course_id=c.id, learner_id=learner.id, state=EnrollmentState.CONFIRMED,
                              price_fen=c.price_fen))
    c.seats_taken = 1
    db.session.commit()
    login(staff_a)
    page = client.get(f"/manage/courses/{c.id}/edit").get_data(as_text=True)
    assert "建筑工程质量安全管理" in page
    form = _form(d, title="建筑工程质量安全管理", **{f"fee_{d.fee2.id}": "1"})
    form["sessions-0-day"] = c.first_session_at.strftime("%Y-%m-%d")
    form["sessions-1-day"] = c.sessions[1].starts_at.strftime("%Y-%m-%d")
    form["sessions-1-start"], form["sessions-1-end"] = "09:00", "17:00"
    r = client.post(f"/manage/courses/{c.id}/edit", data=form)
    assert r.status_code == 422 and 'id="change_reason-err"' in r.get_data(as_text=True)
    form["change_reason"] = "增加教材"
    r = client.post(f"/manage/courses/{c.id}/edit", data=form)
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, c.id).price_fen == 25000
    change = db.session.scalar(sa.select(CourseChange))
    assert change.fields == ["price"] and change.reason == "增加教材"
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == learner.id))
    assert "增加教材" in notice.body and notice.link == f"/courses/{c.id}"


def test_close_and_cancel(client, login, staff_a, base_a):
    d = disclose(base_a)
    c = published_course(d)
    db.session.commit()
    login(staff_a)
    assert client.get(f"/manage/courses/{c.id}/cancel").status_code == 200
    r = client.post(f"/manage/courses/{c.id}/cancel", data={"reason": ""})
    assert r.status_code == 422
    client.post(f"/manage/courses/{c.id}/close")
    db.session.expire_all()
    assert db.session.get(Course, c.id).status == CourseStatus.CLOSED
    r = client.post(f"/manage/courses/{c.id}/cancel", data={"reason": "报名人数不足"})
    assert r.status_code == 302
    db.session.expire_all()
    c = db.session.get(Course, c.id)
    assert c.status == CourseStatus.CANCELLED and c.cancelled_reason == "报名人数不足"
    assert "报名人数不足" in client.get(f"/courses/{c.id}").get_data(as_text=True)
