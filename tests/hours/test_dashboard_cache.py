"""The learner's dashboard is cached per learner (kernel.cache.cached_for_user): rendered again
after any write to what it reads of theirs, never another session's tokens, their studies
filled on every request."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.hours.models import EntryState, LedgerEntry, Policy
from ntbase.hours.policy import ensure_default_policies
from ntbase.kernel.cache import page_cache
from ntbase.kernel.db import db, now
from tests import factories
from tests.hours.factories import make_entry

YEAR = now().year


@pytest.fixture()
def cached(make_app, app_ctx, learner):
    ensure_default_policies()
    db.session.commit()
    app = make_app(CACHE_ENABLED=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        page_cache().backend.clear()
        client = app.test_client()
        with client.session_transaction() as s:
            s["_user_id"] = str(learner.id)
        yield app, client


def _get(client):
    r = client.get("/me/hours")
    assert r.status_code == 200
    return r.headers["X-Cache"], r.get_data(as_text=True)


def test_second_visit_is_a_hit_with_a_fixed_number_of_statements(cached, learner, count_queries):
    _app, c = cached
    make_entry(learner, year=YEAR, category="public", hours="24")
    db.session.commit()
    assert _get(c)[0] == "miss-user"
    with count_queries() as q:
        state, html = _get(c)
    assert state == "hit-user" and "24 / 24" in html
    # the user (with profile and notices), what the dashboard reads of theirs, their studies
    assert q.count == 3, "\n---\n".join(s[:150] for s in q.statements)


def test_every_write_to_what_it_reads_renders_it_again(cached, learner, office):
    _app, c = cached
    _get(c)
    entry = make_entry(learner, year=YEAR, category="public", hours="24", title="新录入的培训")
    db.session.commit()
    state, html = _get(c)
    assert state == "miss-user" and "新录入的培训" in html and "24 / 24" in html
    assert _get(c)[0] == "hit-user"
    # an update through Core (as bulk reviews do) stamps updated_at too
    db.session.execute(sa.update(LedgerEntry).where(LedgerEntry.id == entry.id).values(title="改名的培训"))
    db.session.commit()
    assert "改名的培训" in _get(c)[1]
    # a deletion
    db.session.execute(sa.delete(LedgerEntry).where(LedgerEntry.id == entry.id))
    db.session.commit()
    assert "改名的培训" not in _get(c)[1]
    # a pending entry (not counted, so the kept status does not move) still shows
    make_entry(learner, year=YEAR, hours="10", title="待审核的网课", state=EntryState.PENDING)
    db.session.commit()
    assert "待审核的网课" in _get(c)[1]
    # an appointment period, and its removal
    from ntbase.hours import services

    period = services.record_appointment_period(learner.id, YEAR - 1, YEAR + 1, None)
    db.session.commit()
    assert f"{YEAR - 1}–{YEAR + 1}" in _get(c)[1]
    services.delete_appointment_period(period.id, learner.id)
    db.session.commit()
    assert f"{YEAR - 1}–{YEAR + 1}" not in _get(c)[1]


def test_a_policy_or_catalog_write_renders_it_again(cached, learner, base_a):
    _app, c = cached
    make_entry(learner, year=YEAR, category="public", hours="24")
    db.session.commit()
    assert "24 / 24" in _get(c)[1]
    policy = db.session.scalar(sa.select(Policy).where(Policy.effective_year <= YEAR)
                               .order_by(Policy.effective_year.desc()))
    policy.required_public = 30
    db.session.commit()
    state, html = _get(c)
    assert state == "miss-user" and "24 / 30" in html
    factories.make_course(base_a, title="新开的公需课", category="public", start=now() + timedelta(days=10))
    db.session.commit()
    state, html = _get(c)
    assert state == "miss-user" and "新开的公需课" in html, "the suggestions read the catalog"


def test_the_cached_body_carries_each_sessions_own_csrf_token(cached, learner):
    app, c = cached
    make_entry(learner, year=YEAR, category="public", hours="24")
    db.session.commit()
    from flask import g

    _get(c)  # cached with the first session's token
    g.pop("csrf_token", None)  # flask_wtf keeps it per request; the test holds one app context
    other = app.test_client()  # the same learner on a second device: another session
    with other.session_transaction() as s:
        s["_user_id"] = str(learner.id)
    state, html = _get(other)
    assert state == "hit-user"
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
    assert len(tokens) == 1 and "__ntbase_csrf" not in html
    r = other.post("/me/hours/statements", data={"csrf_token": tokens.pop(), "year": str(YEAR)})
    assert r.status_code == 302, "the token in the cached page is valid for this session"


def test_the_studies_part_is_filled_on_every_request(cached, learner, base_a):
    """Progress moves with every lesson watched, without touching what the version reads:
    the part is filled on every request, the rest of the page stays cached."""
    from ntbase.enrollment import services as enrollments
    from tests.learning.helpers import online_course, watch_video

    course, lessons = online_course(base_a, video_seconds=(2, 2), document_minutes=())
    enrollment = enrollments.enroll_learner(course, learner)
    db.session.commit()
    state, html = _get(cached[1])
    assert state == "miss-user" and "已完成0/2个课时" in html
    watch_video(enrollment, lessons[0], now())
    db.session.commit()
    state, html = _get(cached[1])
    assert state == "hit-user" and "已完成1/2个课时" in html


def test_a_hit_with_studies_opens_no_transaction(cached, learner, base_a, count_queries, count_begins):
    """A cached dashboard reads the user, the version and the studies (one statement each,
    however many online courses) on autocommit connections: no BEGIN, no COMMIT."""
    from ntbase.enrollment import services as enrollments
    from tests.learning.helpers import online_course, watch_video

    for title in ("甲", "乙"):
        course, lessons = online_course(base_a, video_seconds=(2, 2, 2), document_minutes=(), title=title)
        enrollment = enrollments.enroll_learner(course, learner)
        watch_video(enrollment, lessons[0], now())
    db.session.commit()
    db.session.remove()
    assert _get(cached[1])[0] == "miss-user"
    db.session.remove()  # as a server's request ends (the test holds one app context throughout)
    with count_queries() as q, count_begins() as began:
        state, html = _get(cached[1])
    assert state == "hit-user" and html.count("已完成1/3个课时") == 2
    assert q.count == 3, "\n---\n".join(s[:150] for s in q.statements)
    assert began == []
