"""Staff of base B cannot create, edit, publish, cancel or see drafts of base A by any URL."""
import pytest
import sqlalchemy as sa

from ntbase.catalog import services as cs
from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db
from tests.catalog.helpers import as_user, course_input, disclose

COURSE_URLS = [
    ("get", "/manage/courses/{id}"),
    ("get", "/manage/courses/{id}/edit"),
    ("post", "/manage/courses/{id}/edit"),
    ("post", "/manage/courses/{id}/publish"),
    ("post", "/manage/courses/{id}/close"),
    ("get", "/manage/courses/{id}/cancel"),
    ("post", "/manage/courses/{id}/cancel"),
]
BASE_URLS = [
    ("get", "/manage/bases/{base}/courses/new"),
    ("post", "/manage/bases/{base}/courses/new"),
    ("get", "/manage/bases/{base}/courses/import"),
    ("post", "/manage/bases/{base}/courses/import"),
    ("post", "/manage/bases/{base}/courses/import/confirm"),
    ("get", "/manage/bases/{base}/courses/import/template.csv"),
    ("get", "/manage/bases/{base}/courses/import/template.xlsx"),
]


@pytest.fixture()
def draft(base_a):
    d = disclose(base_a)
    c = cs.create_course(base_a, course_input(d, title="甲基地草稿"))
    db.session.commit()
    return c


@pytest.mark.parametrize("method,url", COURSE_URLS + BASE_URLS)
def test_staff_of_another_base_get_403(client, login, draft, staff_b, method, url, base_a):
    as_user(login, staff_b)
    r = getattr(client, method)(url.format(id=draft.id, base=base_a.id), data={"reason": "x", "title": "改"})
    assert r.status_code == 403
    db.session.expire_all()
    c = db.session.get(Course, draft.id)
    assert c.status == CourseStatus.DRAFT and c.title == "甲基地草稿"


@pytest.mark.parametrize("who", ["learner", "office"])
@pytest.mark.parametrize("method,url", COURSE_URLS[:2] + BASE_URLS[:1])
def test_non_staff_get_403(client, login, draft, method, url, who, request, base_a):
    as_user(login, request.getfixturevalue(who))
    assert getattr(client, method)(url.format(id=draft.id, base=base_a.id)).status_code == 403


@pytest.mark.parametrize("method,url", COURSE_URLS[:2] + BASE_URLS[:1])
def test_anonymous_sent_to_login(client, draft, method, url, base_a):
    r = getattr(client, method)(url.format(id=draft.id, base=base_a.id))
    assert r.status_code == 302 and "/account/login" in r.headers["Location"]


def test_own_staff_and_admin_reach_every_page(client, login, draft, staff_a, admin, base_a):
    for user in (staff_a, admin):
        as_user(login, user)
        for method, url in COURSE_URLS + BASE_URLS:
            if method == "get":
                assert client.get(url.format(id=draft.id, base=base_a.id)).status_code == 200, url


def test_drafts_of_a_invisible_to_b_on_pages_and_api(client, login, draft, staff_b):
    as_user(login, staff_b)
    assert client.get(f"/courses/{draft.id}").status_code == 404
    assert client.get(f"/courses/{draft.id}.ics").status_code == 404
    assert "甲基地草稿" not in client.get("/courses?q=草稿").get_data(as_text=True)
    r = client.get(f"/api/v1/courses/{draft.id}")
    assert r.status_code == 404 and r.json["message"]
    assert client.get("/api/v1/courses?q=草稿").json["total"] == 0
    assert "甲基地草稿" not in client.get(f"/manage/bases/{staff_b.base_id}").get_data(as_text=True)


def test_staff_b_cannot_use_base_a_items_in_own_course(client, login, draft, base_a, base_b, staff_b):
    """Teachers, rooms and fee items of base A, typed into base B's form, are refused."""
    from tests.catalog.helpers import day

    as_user(login, staff_b)
    a_course = db.session.get(Course, draft.id)
    teacher = a_course.teachers[0]
    start = day(30)
    r = client.post(f"/manage/bases/{base_b.id}/courses/new", data={
        "title": "偷用", "category": "public", "mode": "in_person", "teacher_ids": [str(teacher.id)],
        "room_id": str(a_course.room_id), "sessions-0-day": start.strftime("%Y-%m-%d"),
        "sessions-0-start": "09:00", "sessions-0-end": "17:00", "capacity": "10", "refund_cutoff_hours": "24"})
    assert r.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Course.id)).where(Course.base_id == base_b.id)) == 0
