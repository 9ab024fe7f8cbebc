"""Pages and API lists run a fixed number of SQL statements whatever the number of rows
(courses, teachers, sessions, fee items, rooms, versions, bases). Each page is measured
with a small world, then again after the world has grown."""
import pytest

from ntbase.bases import services as bs
from ntbase.catalog import services as cs
from ntbase.kernel.db import db
from tests import factories
from tests.catalog.helpers import Disclosed, as_user, course_input, disclose, published_course


def _grow(d, n: int, offset: int) -> None:
    """More of everything: teachers, fee items, rooms, versions, courses with several sessions."""
    for i in range(n):
        t = bs.save_teacher(d.base, None, name=f"教师{offset + i}", title="讲师", organisation="南通", subjects="x",
                            bio="", actor_id=None)
        bs.save_fee_item(d.base, None, name=f"收费{offset + i}", amount_yuan="10", unit="每人", covers="x",
                         actor_id=None)
        bs.save_room(d.base, d.location, None, name=f"B{offset + i}", seats=50, actor_id=None)
        data = course_input(d, title=f"课程{offset + i}", days=2, start_day=40 + 3 * (offset + i),
                            teacher_ids=[d.teacher.id, d.teacher2.id, t.id])
        data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 1)]
        c = cs.create_course(d.base, data)
        cs.publish_course(c)
    db.session.commit()


def _reload(ids: dict) -> Disclosed:
    from ntbase.bases.models import FeeItem, Location, Room, Teacher, TrainingBase

    models = {"base": TrainingBase, "fee": FeeItem, "fee2": FeeItem, "teacher": Teacher, "teacher2": Teacher,
              "room": Room, "room2": Room, "location": Location}
    return Disclosed(**{k: db.session.get(models[k], v) for k, v in ids.items()})


def _count(client, count_queries, url: str) -> int:
    # a real request starts with an empty session; the test's objects must not save SQL
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as q:
        r = client.get(url)
        assert r.status_code == 200, url
    return q.count


PUBLIC = ["/courses", "/courses?q=课程&sort=price", "/bases", "/bases/{base}", "/bases/{base}/disclosure/1",
          "/bases/compare", "/courses/{course}", "/api/v1/courses", "/api/v1/courses?q=课程", "/api/v1/bases",
          "/api/v1/bases/{base}", "/api/v1/courses/{course}"]
STAFF = ["/manage/bases/{base}", "/manage/bases/{base}/disclosure", "/manage/courses/{course}",
         "/manage/courses/{course}/edit", "/manage/bases/{base}/courses/new"]


@pytest.mark.parametrize("url", PUBLIC + STAFF)
def test_statement_count_does_not_grow_with_rows(client, login, count_queries, base_a, base_b, staff_a, url):
    d = disclose(base_a)
    disclose(base_b, prefix="乙")
    course = published_course(d, title="第一门课程", start_day=30)
    db.session.commit()
    if url in STAFF:
        as_user(login, staff_a)
    u = url.format(base=base_a.id, course=course.id)
    ids = {k: getattr(d, k).id for k in ("base", "fee", "fee2", "teacher", "teacher2", "room", "room2", "location")}
    course_id = course.id
    small = _count(client, count_queries, u)
    d = _reload(ids)
    course = db.session.get(type(course), course_id)
    _grow(d, 6, 0)
    factories.make_base(name="丙基地", slug="base-c")
    data = course_input(d, title="第一门课程", start_day=30, days=4, teacher_ids=[d.teacher.id, d.teacher2.id])
    data.fee_lines = [cs.FeeLineInput(d.fee.id, 1), cs.FeeLineInput(d.fee2.id, 2)]
    cs.update_course(course, data)
    db.session.commit()
    assert _count(client, count_queries, u) == small
