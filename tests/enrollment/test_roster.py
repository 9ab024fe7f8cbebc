import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from ntbase.accounts.models import Notice
from ntbase.enrollment import services
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.tabular import escape_cell as safe_cell
from tests.enrollment.helpers import count, intent_of, post_webhook, signed_event
from tests.factories import make_course, make_learner, valid_id_number

S = EnrollmentState


@pytest.fixture()
def course_a(app_ctx, base_a):
    course = make_course(base_a, title="甲基地课程", price_fen=20000, capacity=5)
    db.session.commit()
    return course


def _urls(course, base_id):
    return [("get", f"/manage/courses/{course.id}/roster"),
            ("get", f"/manage/courses/{course.id}/roster.csv"),
            ("get", f"/manage/courses/{course.id}/roster.xlsx"),
            ("post", f"/manage/courses/{course.id}/roster/enroll"),
            ("get", f"/manage/bases/{base_id}/enrollments")]


def test_staff_of_another_base_get_403_everywhere(client, login, course_a, base_a, staff_b, learner):
    idn = learner.profile.id_number
    login(staff_b)
    for method, url in _urls(course_a, base_a.id):
        r = getattr(client, method)(url, data={"id_number": idn} if method == "post" else None)
        assert r.status_code == 403, url
    assert count(Enrollment) == 0


@pytest.mark.parametrize("who", ["learner", "office"])
def test_non_staff_get_403(client, login, course_a, base_a, who, request):
    login(request.getfixturevalue(who))
    for method, url in _urls(course_a, base_a.id):
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_sent_to_login(client, course_a, base_a):
    for method, url in _urls(course_a, base_a.id):
        r = getattr(client, method)(url)
        assert r.status_code == 302 and "/account/login" in r.headers["Location"], url


def test_admin_and_own_staff_reach_everything(client, login, course_a, base_a, staff_a, admin):
    for user in (staff_a, admin):
        login(user)
        for method, url in _urls(course_a, base_a.id):
            if method == "get":
                assert client.get(url).status_code == 200, url


def test_roster_shows_payment_status_and_masks_ids(client, login, course_a, staff_a, learner):
    e = services.enroll_learner(course_a, learner)
    db.session.commit()
    post_webhook(client, *signed_event(intent_of(e).provider_ref, 20000))
    waiting = make_learner(real_name="候补甲")
    db.session.commit()
    course_a.capacity = 1
    db.session.commit()
    services.enroll_learner(course_a, waiting)
    db.session.commit()
    from flask import g

    g.pop("_login_user", None)
    login(staff_a)
    html = client.get(f"/manage/courses/{course_a.id}/roster").get_data(as_text=True)
    assert "张晓明" in html and "候补甲" in html
    assert learner.profile.id_number_masked in html
    assert learner.profile.id_number not in html
    assert 'data-payment="succeeded"' in html and "¥200.00" in html
    assert 'data-state="waitlisted"' in html and "#1" in html


def test_roster_statement_count_is_fixed(client, login, course_a, staff_a, count_queries):
    login(staff_a)

    def statements():
        with count_queries() as q:
            assert client.get(f"/manage/courses/{course_a.id}/roster").status_code == 200
        return q.count

    services.enroll_learner(course_a, make_learner())
    db.session.commit()
    one = statements()
    for _ in range(4):
        services.enroll_learner(course_a, make_learner())
    db.session.commit()
    assert statements() == one


def test_exports_escape_formulas(client, login, course_a, staff_a):
    evil = make_learner(real_name="=HYPERLINK(\"http://x\")", employer="+SUM(A1:A9)")
    e = services.enroll_learner(course_a, evil)
    intent_of(e).invoice_title = "@cmd"
    db.session.commit()
    login(staff_a)
    r = client.get(f"/manage/courses/{course_a.id}/roster.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0][0] == "姓名" and len(rows) == 2
    row = rows[1]
    assert row[0] == "'=HYPERLINK(\"http://x\")" and row[3] == "'+SUM(A1:A9)" and row[11] == "'@cmd"
    assert evil.profile.id_number not in r.data.decode("utf-8-sig")
    r = client.get(f"/manage/courses/{course_a.id}/roster.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    cells = [c.value for c in ws[2]]
    assert cells[0] == "'=HYPERLINK(\"http://x\")" and cells[3] == "'+SUM(A1:A9)"
    assert all(c.data_type != "f" for c in ws[2])
    assert client.get(f"/manage/courses/{course_a.id}/roster.pdf").status_code == 404


def test_safe_cell():
    assert [safe_cell(v) for v in ("=1+1", "-2", "@x", "\tx", "正常", 5, "")] == \
        ["'=1+1", "'-2", "'@x", "'\tx", "正常", 5, ""]


def test_manual_enroll_by_id_number_paid_course_reserves_an_offer(client, login, course_a, staff_a, learner):
    login(staff_a)
    r = client.post(f"/manage/courses/{course_a.id}/roster/enroll", data={"id_number": learner.profile.id_number})
    assert r.status_code == 302
    e = db.session.scalars(sa.select(Enrollment)).one()
    assert e.state == S.OFFERED and e.source == "manual" and e.enrolled_by_id == staff_a.id
    assert e.offer_expires_at is not None
    assert "培训基地已为您报名" in db.session.scalar(sa.select(Notice.title).where(Notice.user_id == learner.id))
    # the flash shows the masked number only
    html = client.get(f"/manage/courses/{course_a.id}/roster").get_data(as_text=True)
    assert learner.profile.id_number_masked in html and learner.profile.id_number not in html


def test_manual_enroll_free_course_confirms(client, login, base_a, staff_a, learner):
    course = make_course(base_a, price_fen=0)
    db.session.commit()
    login(staff_a)
    client.post(f"/manage/courses/{course.id}/roster/enroll", data={"id_number": learner.profile.id_number})
    assert db.session.scalars(sa.select(Enrollment)).one().state == S.CONFIRMED


@pytest.mark.parametrize("id_number, message", [
    (valid_id_number(777), "没有使用该身份证号的学员账号"),
    ("12345", "18"),
])
def test_manual_enroll_errors_next_to_field_without_echoing_id(client, login, course_a, staff_a, learner,
                                                               id_number, message):
    login(staff_a)
    r = client.post(f"/manage/courses/{course_a.id}/roster/enroll", data={"id_number": id_number})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert re_search(r'id="id_number-err"[^>]*>[^<]*' + message, html)
    assert id_number not in html
    assert count(Enrollment) == 0


def test_manual_enroll_twice(client, login, course_a, staff_a, learner):
    login(staff_a)
    url = f"/manage/courses/{course_a.id}/roster/enroll"
    client.post(url, data={"id_number": learner.profile.id_number})
    r = client.post(url, data={"id_number": learner.profile.id_number})
    assert r.status_code == 422 and "该学员已报名此课程" in r.get_data(as_text=True)
    assert count(Enrollment) == 1


def test_figures_page(client, login, base_a, base_b, staff_a, learner):
    c1 = make_course(base_a, title="统计课程一", price_fen=10000, capacity=3)
    make_course(base_b, title="乙基地的课程")
    e = services.enroll_learner(c1, learner)
    db.session.commit()
    post_webhook(client, *signed_event(intent_of(e).provider_ref, 10000))
    services.enroll_learner(c1, make_learner())
    db.session.commit()
    rows = services.base_figures(base_a.id)
    assert len(rows) == 1
    f = rows[0]
    assert (f.n("confirmed"), f.n("held"), f.paid_fen, f.refunded_fen) == (1, 1, 10000, 0)
    from flask import g

    g.pop("_login_user", None)
    login(staff_a)
    html = client.get(f"/manage/bases/{base_a.id}/enrollments").get_data(as_text=True)
    assert "统计课程一" in html and "乙基地的课程" not in html and "¥100.00" in html and "2 / 3" in html


def re_search(pattern, text):
    import re

    return re.search(pattern, text)
