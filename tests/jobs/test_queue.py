"""Jobs through the real queue: a SQLite-backed Huey and a consumer with its scheduler."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.jobs import jobs_of, make_huey, specs
from ntbase.kernel.uow import unit_of_work
from tests.factories import make_course, make_learner
from tests.jobs.helpers import running_worker, wait_for


@pytest.fixture()
def queued_app(make_app, tmp_path):
    return make_app(JOBS_URL=f"sqlite:///{tmp_path}/jobs.sqlite3", HOLD_MINUTES=15)


def _state(app, enrollment_id):
    with app.app_context():
        value = db.session.scalar(sa.select(Enrollment.state).where(Enrollment.id == enrollment_id))
        db.session.remove()
        return value


def test_an_unpaid_hold_expires_on_time_with_no_page_visit(app_ctx, base_a, queued_app):
    """The hold runs out two seconds after it is taken; nobody opens a page, the worker frees
    the seat (the job was scheduled for that moment when the hold was taken)."""
    course = make_course(base_a, price_fen=5000, capacity=1)
    learner = make_learner()
    db.session.commit()
    with queued_app.app_context():
        with unit_of_work():
            taken = now() - timedelta(minutes=15) + timedelta(seconds=2)
            e = enrollments.enroll_learner(db.session.get(type(course), course.id),
                                           db.session.get(type(learner), learner.id), now=taken)
            eid = e.id
        assert _state(queued_app, eid) == EnrollmentState.HELD
        huey = jobs_of(queued_app).huey
        assert huey.pending_count() + huey.scheduled_count() == 1  # handed over after the commit
        with running_worker(queued_app):
            state = wait_for(lambda: _state(queued_app, eid) == EnrollmentState.EXPIRED, timeout=45)
        assert state, "the worker did not expire the hold within 45 s"
    db.session.expire_all()
    assert db.session.get(type(course), course.id).seats_taken == 0


def test_a_rolled_back_write_hands_nothing_to_the_queue(app_ctx, base_a, queued_app):
    course = make_course(base_a, price_fen=5000)
    learner = make_learner()
    db.session.commit()
    with queued_app.app_context():
        huey = jobs_of(queued_app).huey
        with pytest.raises(RuntimeError), unit_of_work():
            enrollments.enroll_learner(db.session.get(type(course), course.id),
                                       db.session.get(type(learner), learner.id))
            raise RuntimeError("something later in the request failed")
        assert huey.pending_count() + huey.scheduled_count() == 0


def test_the_sweep_is_periodic_every_minute(app):
    from datetime import datetime

    huey = jobs_of(app).huey
    names = {t.name for t in huey.read_periodic(datetime(2026, 5, 4, 10, 31))}
    assert "enrollment.sweep_expired" in names
    assert "office.purge_bulk" not in names  # hourly, at minute 17
    assert "office.purge_bulk" in {t.name for t in huey.read_periodic(datetime(2026, 5, 4, 10, 17))}


def test_every_job_is_registered_and_urls_are_understood(app, tmp_path):
    assert {"enrollment.sweep_expired", "enrollment.expire_lapsed", "office.bulk_step",
            "office.purge_bulk"} <= set(specs())
    assert set(jobs_of(app).tasks) == set(specs())
    assert make_huey(f"sqlite:///{tmp_path}/q.sqlite3").__class__.__name__ == "SqliteHuey"
    assert make_huey("redis://127.0.0.1:6379/3").__class__.__name__ == "RedisHuey"
    assert make_huey("immediate").immediate
    with pytest.raises(ValueError):
        make_huey("amqp://nope")


def test_a_job_body_runs_in_its_own_unit_of_work(app_ctx, base_a, make_app):
    """Immediate mode (only for tests that need it): the job runs where it is handed over,
    after the commit, in its own transaction."""
    immediate = make_app(JOBS_URL="immediate")
    course = make_course(base_a, price_fen=5000, capacity=1)
    learner = make_learner()
    db.session.commit()
    with immediate.app_context():
        with unit_of_work():
            e = enrollments.enroll_learner(db.session.get(type(course), course.id),
                                           db.session.get(type(learner), learner.id),
                                           now=now() - timedelta(minutes=20))
            eid = e.id
        # the expiry job ran at once (its moment had passed) and committed on its own
        assert _state(immediate, eid) == EnrollmentState.EXPIRED
