"""Many learners at once for the last seats, on PostgreSQL (SQLite serialises writers anyway).

Each thread has its own app context, hence its own session and connection, like separate
gunicorn workers: the atomic conditional UPDATE must still hand out exactly ``capacity`` seats.
"""
import threading

import pytest
import sqlalchemy as sa

from ntbase.catalog.models import Course
from ntbase.enrollment import services
from ntbase.enrollment.models import SEAT_STATES, Enrollment, EnrollmentState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentIntent
from tests.factories import make_course, make_learner

pytestmark = pytest.mark.postgres
N, CAPACITY = 50, 10


def _fire(apps, learner_ids, course_id, action):
    """Run ``action`` for each learner in its own thread, spread over ``apps`` (each app has
    its own engine and connection pool, like separate server processes)."""
    barrier = threading.Barrier(len(learner_ids))
    outcomes, errors = [], []

    def worker(i, uid):
        barrier.wait(timeout=60)  # all start together, before touching the database
        with apps[i % len(apps)].app_context():
            try:
                from ntbase.accounts.models import User

                course = db.session.get(Course, course_id)
                user = db.session.get(User, uid)
                outcomes.append(action(course, user))
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                outcomes.append(("refused", err.code))
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, uid)) for i, uid in enumerate(learner_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return outcomes, errors


@pytest.mark.parametrize("price", [12000, 0])
def test_fifty_learners_ten_seats(app_ctx, make_app, base_a, price):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency test runs on PostgreSQL (NTBASE_TEST_DB=postgres)")
    course = make_course(base_a, price_fen=price, capacity=CAPACITY)
    ids = [make_learner().id for _ in range(N)]
    db.session.commit()
    outcomes, errors = _fire([app_ctx, make_app()], ids, course.id,
                             lambda c, u: services.enroll_learner(c, u).state)
    assert not errors, errors
    assert len(outcomes) == N
    db.session.expire_all()
    seats = db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))
    states = dict(db.session.execute(sa.select(Enrollment.state, sa.func.count()).group_by(Enrollment.state)).all())
    holding = sum(n for s, n in states.items() if s in SEAT_STATES)
    assert seats == CAPACITY == holding
    seated = EnrollmentState.HELD if price else EnrollmentState.CONFIRMED
    assert states == {seated: CAPACITY, EnrollmentState.WAITLISTED: N - CAPACITY}
    # no payment without a seat: intents exist exactly for the held seats
    intents = db.session.scalars(sa.select(PaymentIntent)).all()
    assert len(intents) == (CAPACITY if price else 0)
    seat_ids = set(db.session.scalars(sa.select(Enrollment.id).where(Enrollment.state.in_(SEAT_STATES))))
    assert {i.enrollment_id for i in intents} <= seat_ids
    # FIFO waitlist positions are 1..40 without gaps
    waiting = db.session.scalars(sa.select(Enrollment).where(Enrollment.state == EnrollmentState.WAITLISTED)).all()
    assert sorted(services.waitlist_positions(waiting).values()) == list(range(1, N - CAPACITY + 1))


def test_concurrent_cancellations_and_sweeps_keep_the_count(app_ctx, make_app, base_a):
    """Seat holders cancel while sweeps run: each seat passes on exactly once."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency test runs on PostgreSQL (NTBASE_TEST_DB=postgres)")
    course = make_course(base_a, price_fen=0, capacity=CAPACITY)
    learners = [make_learner() for _ in range(CAPACITY * 2)]
    rows = [services.enroll_learner(course, u) for u in learners]
    db.session.commit()
    leaving = [e.learner_id for e in rows[:CAPACITY // 2]]

    def act(c, u):
        e = services.live_enrollment(c.id, u.id)
        services.cancel_enrollment(e, u.id)
        services.sweep_expired(course_id=c.id)
        return "cancelled"

    outcomes, errors = _fire([app_ctx, make_app()], leaving, course.id, act)
    assert not errors, errors
    db.session.expire_all()
    seats = db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))
    assert seats == services.seat_holders(course.id) == CAPACITY
    offered = db.session.scalars(sa.select(Enrollment).where(Enrollment.state == EnrollmentState.OFFERED)
                                 .order_by(Enrollment.id)).all()
    # the first five on the waitlist got the five seats, in order
    assert [e.id for e in offered] == [e.id for e in rows[CAPACITY:CAPACITY + len(leaving)]]
