"""Staff course pages: create, edit (with a reason after enrollments), publish, close, cancel."""
import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.catalog.models import Course, CourseChange, CourseStatus
from ntbase.kernel.db import db
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


def test_edit_form_leaves_default_hours_empty_so_a_new_schedule_recounts_them(client, login, staff_a, base_a):
    """A course on the Art. 17 default follows its schedule; declared (fewer) hours are kept."""
    import re

    from ntbase.catalog import services as cs
    from tests.catalog.helpers import course_input

    d = disclose(base_a)
    default = published_course(d, title="默认学时", days=2)
    fewer = cs.create_course(base_a, course_input(d, title="申报较少学时", start_day=50, hours=10))
    db.session.commit()
    login(staff_a)
    def hours_value(course) -> str:
        html = client.get(f"/manage/courses/{course.id}/edit").get_data(as_text=True)
        tag = re.search(r'<input[^>]*name="hours"[^>]*>', html).group(0)
        return re.search(r'value="([^"]*)"', tag).group(1)

    assert hours_value(default) == ""
    assert hours_value(fewer) == "10.0"


def test_dashboard_lists_drafts_first_marks_ended_courses_and_pages(client, login, staff_a, base_a):
    from datetime import timedelta

    from ntbase.catalog import services as cs
    from tests import factories
    from tests.catalog.helpers import course_input

    d = disclose(base_a)
    ended = published_course(d, title="往期课程", start_day=30)
    for s in ended.sessions:
        s.starts_at -= timedelta(days=90)
        s.ends_at -= timedelta(days=90)
    ended.first_session_at -= timedelta(days=90)
    ended.last_session_at -= timedelta(days=90)
    for i in range(55):
        factories.make_course(base_a, title=f"批量课程{i:02d}", start=day(100 + i))
    cs.create_course(base_a, course_input(d, title="一门草稿", start_day=200))
    db.session.commit()
    login(staff_a)
    html = client.get(f"/manage/bases/{base_a.id}").get_data(as_text=True)
    assert html.count("<tr>") - 1 == 50  # one page
    assert html.index("一门草稿") < html.index("批量课程54")  # drafts first
    assert 'rel="next"' in html and "下一页" in html
    html = client.get(f"/manage/bases/{base_a.id}?page=2").get_data(as_text=True)
    assert "往期课程" in html and "已结束" in html


def test_irreversible_buttons_ask_first(client, login, staff_a, base_a):
    import re

    from ntbase.catalog import services as cs
    from tests.catalog.helpers import course_input

    d = disclose(base_a)
    draft = cs.create_course(base_a, course_input(d, title="草稿", start_day=60))
    pub = published_course(d, title="已发布")
    db.session.commit()
    login(staff_a)

    def submit_buttons(url):
        html = client.get(url).get_data(as_text=True)
        main = html.split("<main", 1)[1]
        return re.findall(r'<button[^>]*type="submit"[^>]*>', main)

    assert all("data-confirm" in b for b in submit_buttons(f"/manage/courses/{draft.id}"))  # publish
    assert all("data-confirm" in b for b in submit_buttons(f"/manage/courses/{pub.id}"))  # close
    assert all("data-confirm" in b for b in submit_buttons(f"/manage/courses/{pub.id}/cancel"))
    buttons = submit_buttons(f"/manage/bases/{base_a.id}/disclosure")  # withdraw, one per item
    assert len(buttons) >= 7 and all("data-confirm" in b for b in buttons)


def test_change_history_is_shown_in_words(client, login, staff_a, base_a, learner):
    from ntbase.catalog import services as cs
    from ntbase.enrollment.models import Enrollment, EnrollmentState
    from tests.catalog.helpers import course_input

    d = disclose(base_a)
    c = published_course(d)
    db.session.add(Enrollment(course_id=c.id, learner_id=learner.id, state=EnrollmentState.CONFIRMED,
                              price_fen=c.price_fen))
    c.seats_taken = 1
    cs.update_course(c, course_input(d, start_day=40, room=d.room2, change_reason="教室检修"))
    db.session.commit()
    login(staff_a)
    html = client.get(f"/manage/courses/{c.id}").get_data(as_text=True)
    assert "地点、日程 · 教室检修" in html


def test_editing_a_course_keeps_a_fee_item_withdrawn_since(client, login, staff_a, base_a):
    """The form still shows the withdrawn item the course is priced with: changing the title
    does not silently drop it (and the price with it)."""
    import re

    from ntbase.bases import services as bs
    from ntbase.catalog import services as cs
    from tests.catalog.helpers import course_input

    d = disclose(base_a)
    data = course_input(d, title="两项收费")
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
    c = cs.create_course(base_a, data)
    cs.publish_course(c)
    bs.retire_item(base_a, d.fee2, None)
    db.session.commit()
    login(staff_a)
    html = client.get(f"/manage/courses/{c.id}/edit").get_data(as_text=True)
    assert "已从公示信息撤下" in html
    form = {k: v for k, v in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    form.update(_form(d, title="两项收费（改名）", **{f"fee_{d.fee2.id}": "1"}))
    form["sessions-0-day"] = c.sessions[0].starts_at.strftime("%Y-%m-%d")
    form["sessions-1-day"] = c.sessions[1].starts_at.strftime("%Y-%m-%d")
    form["sessions-1-start"], form["sessions-1-end"] = "09:00", "17:00"
    form["category"], form["teacher_ids"] = "public", [str(d.teacher.id)]
    r = client.post(f"/manage/courses/{c.id}/edit", data=form)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    db.session.expire_all()
    c = db.session.get(Course, c.id)
    assert c.title == "两项收费（改名）" and c.price_fen == 25000 and len(c.fee_lines) == 2
