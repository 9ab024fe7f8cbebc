"""Two heartbeats of one learner arriving together on PostgreSQL (two app instances, like two
servers): the course completes once, with one certificate and one ledger entry."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.certificates.models import Certificate
from ntbase.enrollment import services as enrollments
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db, now
from ntbase.learning import services
from ntbase.learning.models import Lesson
from tests.learning.helpers import beat, online_course, watch_video

pytestmark = pytest.mark.postgres


def test_two_final_heartbeats_complete_the_course_once(app_ctx, make_app, base_a, learner):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrency test runs on PostgreSQL (NTBASE_TEST_DB=postgres)")
    course, (video, document) = online_course(base_a)
    enrollment = enrollments.enroll_learner(course, learner)
    db.session.commit()
    t0 = now()
    _out, t = watch_video(enrollment, video, t0)
    out = services.heartbeat(enrollment, document, beat("start", "tab-1", 0), now=t)
    seq, at = 0, t
    for _ in range(5):  # 50 of the document's 60 seconds
        seq, at = seq + 1, at + timedelta(seconds=10)
        out = services.heartbeat(enrollment, document, beat("beat", "tab-1", seq, 0, out.epoch), now=at)
    db.session.commit()
    eid, lid, epoch, final = enrollment.id, document.id, out.epoch, at + timedelta(seconds=10)
    apps = [app_ctx, make_app()]
    barrier, errors, results = threading.Barrier(2), [], []

    def worker(i):
        with apps[i].app_context():
            try:
                e = db.session.get(Enrollment, eid)
                lesson = db.session.get(Lesson, lid)
                barrier.wait(timeout=30)
                res = services.heartbeat(e, lesson, beat("beat", "tab-1", seq + 1 + i, 0, epoch), now=final)
                db.session.commit()
                results.append(res.just_done)
            except Exception as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not errors, errors
    assert results.count(True) == 1
    db.session.expire_all()
    assert db.session.get(Enrollment, eid).state == EnrollmentState.COMPLETED
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id)).where(Certificate.enrollment_id == eid)) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerEntry.id)).where(
        LedgerEntry.learner_id == learner.id)) == 1
