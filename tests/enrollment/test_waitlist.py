from datetime import timedelta

import sqlalchemy as sa

from ntbase.accounts.models import Notice
from ntbase.catalog.models import Course
from ntbase.enrollment import services
from ntbase.enrollment.models import EnrollmentState
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.payments.models import PaymentState
from tests.enrollment.helpers import intent_of
from tests.factories import make_course, make_learner

S, P = EnrollmentState, PaymentState


def seats(course):
    return db.session.scalar(sa.select(Course.seats_taken).where(Course.id == course.id))


def notices_of(user):
    return db.session.scalars(sa.select(Notice.title).where(Notice.user_id == user.id).order_by(Notice.id)).all()


def test_expired_hold_passes_seat_to_first_waiting(app_ctx, base_a):
    course = make_course(base_a, price_fen=8000, capacity=1)
    a, b, c = make_learner(), make_learner(), make_learner()
    t0 = now()
    ea = services.enroll_learner(course, a, now=t0)
    eb = services.enroll_learner(course, b, now=t0 + timedelta(seconds=1))
    ec = services.enroll_learner(course, c, now=t0 + timedelta(seconds=2))
    assert (ea.state, eb.state, ec.state) == (S.HELD, S.WAITLISTED, S.WAITLISTED)
    # not yet: nothing to sweep
    assert services.sweep_expired(t0 + timedelta(minutes=14)).expired_holds == 0
    res = services.sweep_expired(t0 + timedelta(minutes=16))
    assert (res.expired_holds, res.offers_made) == (1, 1)
    assert ea.state == S.EXPIRED and intent_of(ea).state == P.EXPIRED
    assert eb.state == S.OFFERED and ec.state == S.WAITLISTED
    assert eb.offer_expires_at == t0 + timedelta(minutes=16) + timedelta(minutes=app_ctx.config["OFFER_MINUTES"])
    assert seats(course) == 1 == services.seat_holders(course.id)
    assert any("空余名额" in t for t in notices_of(b))
    # b lets the offer lapse: it goes on to c
    services.sweep_expired(eb.offer_expires_at + timedelta(seconds=1))
    assert eb.state == S.EXPIRED and ec.state == S.OFFERED and seats(course) == 1
    # c accepts: held while paying, with a fresh intent
    at = eb.offer_expires_at + timedelta(minutes=1)
    services.accept_offer(ec, c.id, now=at)
    assert ec.state == S.HELD and ec.hold_expires_at == at + timedelta(minutes=15)
    assert intent_of(ec).state == P.PENDING and intent_of(ec).amount_fen == 8000
    assert seats(course) == 1


def test_offer_deadline_never_after_course_start(app_ctx, base_a):
    start = now() + timedelta(hours=3)
    course = make_course(base_a, price_fen=0, capacity=1, start=start, enroll_closes_at=start)
    a, b = make_learner(), make_learner()
    ea = services.enroll_learner(course, a)
    eb = services.enroll_learner(course, b)
    services.cancel_enrollment(ea, a.id)
    assert eb.state == S.OFFERED and eb.offer_expires_at == start


def test_accepting_free_offer_confirms(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b = make_learner(), make_learner()
    ea, eb = services.enroll_learner(course, a), services.enroll_learner(course, b)
    services.cancel_enrollment(ea, a.id)
    services.accept_offer(eb, b.id)
    assert eb.state == S.CONFIRMED and seats(course) == 1


def test_expired_offer_cannot_be_accepted(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b = make_learner(), make_learner()
    ea, eb = services.enroll_learner(course, a), services.enroll_learner(course, b)
    services.cancel_enrollment(ea, a.id)
    try:
        services.accept_offer(eb, b.id, now=eb.offer_expires_at + timedelta(seconds=1))
    except DomainError as err:
        assert err.code == "offer_gone"
    else:
        raise AssertionError("an expired offer was accepted")


def test_declining_offer_passes_it_on(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b, c = make_learner(), make_learner(), make_learner()
    ea, eb, ec = (services.enroll_learner(course, x) for x in (a, b, c))
    services.cancel_enrollment(ea, a.id)
    services.cancel_enrollment(eb, b.id)  # declines the offer
    assert eb.state == S.CANCELLED and ec.state == S.OFFERED and seats(course) == 1


def test_leaving_waitlist_frees_no_seat(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b = make_learner(), make_learner()
    services.enroll_learner(course, a)
    eb = services.enroll_learner(course, b)
    services.cancel_enrollment(eb, b.id)
    assert eb.state == S.CANCELLED and seats(course) == 1


def test_newcomer_does_not_jump_the_queue(app_ctx, base_a):
    """Capacity was raised while people wait: the waiting get the seats first."""
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b, c = make_learner(), make_learner(), make_learner()
    services.enroll_learner(course, a)
    eb = services.enroll_learner(course, b)
    course.capacity = 2
    db.session.flush()
    ec = services.enroll_learner(course, c)
    assert eb.state == S.OFFERED and ec.state == S.WAITLISTED and seats(course) == 2


def test_no_offer_once_the_course_started(app_ctx, base_a):
    course = make_course(base_a, price_fen=0, capacity=1)
    a, b = make_learner(), make_learner()
    ea, eb = services.enroll_learner(course, a), services.enroll_learner(course, b)
    services.release_seat(course, course.first_session_at + timedelta(minutes=1))
    assert eb.state == S.WAITLISTED and seats(course) == 0
    assert ea.state == S.CONFIRMED  # (the seat was freed by hand in this test)


def test_sweep_cli(app_ctx, base_a, learner):
    course = make_course(base_a, price_fen=100, capacity=2)
    e = services.enroll_learner(course, learner, now=now() - timedelta(minutes=30))
    db.session.commit()
    result = app_ctx.test_cli_runner().invoke(args=["ntbase", "sweep-holds"])
    assert result.exit_code == 0, result.output
    assert "expired holds: 1" in result.output
    db.session.expire_all()
    assert e.state == S.EXPIRED and seats(course) == 0


def test_swept_hold_shows_expired_on_my_courses(client, login, base_a, learner):
    """The worker's sweep expires the hold (a GET page never writes); the page shows it."""
    course = make_course(base_a, price_fen=100, capacity=2)
    e = services.enroll_learner(course, learner, now=now() - timedelta(minutes=30))
    db.session.commit()
    services.sweep_expired()
    db.session.commit()
    login(learner)
    html = client.get("/me/courses").get_data(as_text=True)
    assert 'data-state="expired"' in html
    db.session.expire_all()
    assert e.state == S.EXPIRED and seats(course) == 0


def test_lazy_sweep_on_enroll_frees_the_seat(app_ctx, base_a):
    course = make_course(base_a, price_fen=100, capacity=1)
    a, b = make_learner(), make_learner()
    services.enroll_learner(course, a, now=now() - timedelta(minutes=30))
    eb = services.enroll_learner(course, b)
    assert eb.state == S.HELD and seats(course) == 1
