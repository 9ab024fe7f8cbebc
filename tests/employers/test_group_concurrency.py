"""Groups and single learners race for the last seats on PostgreSQL, from two app instances
(each its own engine and pool, like two servers): never oversold, every group all or none."""
import threading

import pytest
import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.catalog.models import Course
from ntbase.employers import groups
from ntbase.employers.models import Employer
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentIntent
from tests.employers.helpers import add_member, make_employer
from tests.factories import make_course, make_learner

pytestmark = pytest.mark.postgres
CAPACITY, GROUPS, SIZE, SINGLES = 10, 8, 3, 6


def _run(apps, jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes, errors = [], []

    def worker(i, job):
        barrier.wait(timeout=60)
        with apps[i % len(apps)].app_context():
            try:
                outcomes.append(job())
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                outcomes.append(("refused", err.code))
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes, errors


@pytest.mark.parametrize("price", [15000, 0])
def test_groups_and_singles_never_oversell_and_groups_are_all_or_none(app_ctx, make_app, office, base_a, price):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency test runs on PostgreSQL (NTBASE_TEST_DB=postgres)")
    employer, admin = make_employer("南通并发单位", office=office)
    staff = [make_learner() for _ in range(GROUPS * SIZE)]
    for u in staff:
        add_member(employer, admin, u)
    singles = [make_learner().id for _ in range(SINGLES)]
    course = make_course(base_a, price_fen=price, capacity=CAPACITY)
    db.session.commit()
    employer_id, admin_id, course_id = employer.id, admin.id, course.id
    teams = [[u.id for u in staff[i * SIZE:(i + 1) * SIZE]] for i in range(GROUPS)]

    def group_job(ids):
        def job():
            return ("group", groups.enroll_group(db.session.get(Employer, employer_id), db.session.get(User, admin_id),
                                                 course_id, ids).group_id)
        return job

    def single_job(uid):
        def job():
            return ("single", enrollments.enroll_learner(db.session.get(Course, course_id),
                                                         db.session.get(User, uid)).state)
        return job

    jobs = [group_job(t) for t in teams] + [single_job(uid) for uid in singles]
    outcomes, errors = _run([app_ctx, make_app()], jobs)
    assert not errors, errors
    assert len(outcomes) == len(jobs)
    db.session.expire_all()
    seats = db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course_id))
    holders = db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
        Enrollment.course_id == course_id, Enrollment.state.in_(SEAT_STATES)))
    assert seats == holders <= CAPACITY  # never oversold, and the counter matches the rows
    # every group holds all its seats or none; every refused group left nothing behind
    per_group = db.session.execute(sa.select(Enrollment.group_id, sa.func.count()).where(
        Enrollment.group_id.is_not(None)).group_by(Enrollment.group_id)).all()
    assert all(n == SIZE for _gid, n in per_group)
    won = [o for o in outcomes if o[0] == "group"]
    assert len(won) == len(per_group) >= 1
    refused = [o for o in outcomes if o[0] == "refused"]
    assert all(code in ("full",) for _r, code in refused), refused
    seated = EnrollmentState.HELD if price else EnrollmentState.CONFIRMED
    group_states = set(db.session.scalars(sa.select(Enrollment.state).where(Enrollment.group_id.is_not(None))))
    assert group_states <= {seated}
    if price:  # no payment without a seat: group payments are only created when paying, none yet
        assert db.session.scalar(sa.select(sa.func.count(PaymentIntent.id)).where(
            PaymentIntent.group_id.is_not(None))) == 0
