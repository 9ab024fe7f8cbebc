"""The demo reaches a certificate (#15.6): an in-person course that has ended, with both
demo learners enrolled, present at every session and ready for the base's staff to
complete — the whole journey (complete → certificate → verify) works from `make run`."""
from __future__ import annotations

import re

import sqlalchemy as sa

from ntbase.kernel.db import db


def _counts() -> dict[str, int]:
    return {t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables}


def test_the_demo_holds_an_ended_course_ready_to_complete_and_runs_twice_alike(app_ctx):
    from ntbase.attendance import demo, services
    from ntbase.demo import load_demo
    from ntbase.enrollment.models import EnrollmentState

    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first
    course = demo.ready_course()
    assert course is not None and course.base.slug == "ntvu" and course.mode.value == "in_person"
    progress = services.course_progress(course)
    assert sorted(p.enrollment.learner.email for p in progress) == ["learner2@demo.ntbase", "learner@demo.ntbase"]
    assert all(p.enrollment.state == EnrollmentState.CONFIRMED for p in progress)
    assert all(p.attended == p.sessions == len(course.sessions) for p in progress)
    assert all(p.eligible and not p.completed for p in progress)
    assert all(p.enrollment.payments and p.enrollment.payments[0].state.value == "succeeded" for p in progress)


def test_staff_complete_the_demo_learner_and_the_certificate_verifies(app_ctx, client, login):
    from ntbase.accounts.models import User
    from ntbase.attendance import demo
    from ntbase.demo import load_demo
    from ntbase.enrollment.models import Enrollment

    load_demo()
    db.session.commit()
    course = demo.ready_course()
    staff = db.session.scalar(sa.select(User).where(User.email == "staff.ntvu@demo.ntbase"))
    learner = db.session.scalar(sa.select(User).where(User.email == "learner@demo.ntbase"))
    login(staff)
    page = client.get(f"/manage/courses/{course.id}/attendance").get_data(as_text=True)
    assert "张晓明" in page and "李红" in page and "确认结业" in page
    enrollment = db.session.scalar(sa.select(Enrollment).where(Enrollment.course_id == course.id,
                                                                Enrollment.learner_id == learner.id))
    r = client.post(f"/manage/courses/{course.id}/enrollments/{enrollment.id}/complete", follow_redirects=True)
    html = r.get_data(as_text=True)
    code = re.search(r"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]{5}", html.split("张晓明", 1)[1]).group(0)
    verify = client.get(f"/verify?code={code}").get_data(as_text=True)
    assert 'data-state="valid"' in verify and "乡村振兴战略与实践" in verify
    login(learner)
    assert code in client.get("/me/certificates").get_data(as_text=True)
