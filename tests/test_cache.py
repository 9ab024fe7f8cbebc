"""Page cache: anonymous GETs are served from cache until a write to a watched table commits."""
import sqlalchemy as sa

from ntbase.catalog.models import Course
from ntbase.kernel.cache import cached_page
from ntbase.kernel.db import db
from tests import factories


def _app_with_counter(make_app, **cfg):
    app = make_app(CACHE_ENABLED=True, **cfg)
    calls = {"n": 0}

    @app.get("/_cached")
    @cached_page("catalog")
    def cached_view():
        calls["n"] += 1
        return f"render {calls['n']}"

    return app, calls


def test_anonymous_get_is_cached_and_invalidated_by_orm_write(make_app, app_ctx, base_a):
    app, calls = _app_with_counter(make_app)
    course = factories.make_course(base_a)
    db.session.commit()
    with app.app_context():
        c = app.test_client()
        assert c.get("/_cached").headers["X-Cache"] == "miss"
        r = c.get("/_cached")
        assert r.headers["X-Cache"] == "hit" and r.get_data(as_text=True) == "render 1"
        course = db.session.get(Course, course.id)
        course.title = "新标题"
        db.session.commit()
        assert c.get("/_cached").get_data(as_text=True) == "render 2"


def test_core_update_of_seat_counter_invalidates(make_app, app_ctx, base_a):
    app, calls = _app_with_counter(make_app)
    course = factories.make_course(base_a)
    db.session.commit()
    with app.app_context():
        c = app.test_client()
        c.get("/_cached")
        db.session.execute(sa.update(Course).where(Course.id == course.id).values(seats_taken=Course.seats_taken + 1))
        db.session.commit()
        assert c.get("/_cached").get_data(as_text=True) == "render 2"


def test_rolled_back_write_does_not_invalidate(make_app, app_ctx, base_a):
    app, calls = _app_with_counter(make_app)
    course = factories.make_course(base_a)
    db.session.commit()
    with app.app_context():
        c = app.test_client()
        c.get("/_cached")
        db.session.get(Course, course.id).title = "不会提交"
        db.session.flush()
        db.session.rollback()
        assert c.get("/_cached").headers["X-Cache"] == "hit"


def test_learners_share_the_cached_body_staff_and_language_switch_do_not(make_app, app_ctx, learner, staff_a):
    """#14.4: a logged-in learner gets the visitors' cached body (its personal parts filled,
    never stored); other roles and a language switch render afresh."""
    app, calls = _app_with_counter(make_app)
    with app.app_context():
        c = app.test_client()
        c.get("/_cached")
        with c.session_transaction() as s:
            s["_user_id"] = str(learner.id)
        r = c.get("/_cached")
        assert r.headers["X-Cache"] == "hit-personal" and "no-store" in r.headers["Cache-Control"]
        assert calls["n"] == 1
        staff = app.test_client()
        with staff.session_transaction() as s:
            s["_user_id"] = str(staff_a.id)
        assert "X-Cache" not in staff.get("/_cached").headers
        assert calls["n"] == 2
        other = app.test_client()
        assert "X-Cache" not in other.get("/_cached?lang=en").headers


def test_each_language_has_its_own_entry(make_app, app_ctx):
    app, calls = _app_with_counter(make_app)
    with app.app_context():
        zh, en = app.test_client(), app.test_client()
        zh.get("/_cached")
        en.get("/lang/en")
        assert en.get("/_cached").get_data(as_text=True) == "render 2"
        assert zh.get("/_cached").headers["X-Cache"] == "hit"


def test_redis_backend_shares_invalidation_across_apps(make_app, app_ctx, base_a):
    import pytest
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except Exception:  # noqa: BLE001
        pytest.skip("redis not reachable")
    a1, calls1 = _app_with_counter(make_app, CACHE_URL="redis://127.0.0.1:6379/15")
    a2, calls2 = _app_with_counter(make_app, CACHE_URL="redis://127.0.0.1:6379/15")
    a1.extensions["ntbase_cache"].backend.clear()
    course = factories.make_course(base_a)
    db.session.commit()
    with a1.app_context():
        a1.test_client().get("/_cached")
    with a2.app_context():
        # the second server reads the page the first one cached
        assert a2.test_client().get("/_cached").headers["X-Cache"] == "hit"
        db.session.get(Course, course.id).title = "改"
        db.session.commit()
    with a1.app_context():
        # a write through the second server invalidated the first one's page
        assert a1.test_client().get("/_cached").headers["X-Cache"] == "miss"
    a1.extensions["ntbase_cache"].backend.clear()


def test_a_hit_is_one_round_trip_to_redis(make_app, app_ctx, base_a, learner):
    """The namespace versions and the entry are read together (MGET): a visitor's cached
    page and a learner's cached dashboard each cost one Redis command."""
    import pytest
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/14").ping()
    except Exception:  # noqa: BLE001
        pytest.skip("redis not reachable")
    from ntbase.hours.policy import ensure_default_policies

    ensure_default_policies()
    db.session.commit()
    app, calls = _app_with_counter(make_app, CACHE_URL="redis://127.0.0.1:6379/14")
    backend = app.extensions["ntbase_cache"].backend
    backend.clear()
    commands: list[str] = []
    execute = backend.r.execute_command

    def counted(*args, **kw):
        commands.append(args[0])
        return execute(*args, **kw)

    backend.r.execute_command = counted
    with app.app_context():
        c = app.test_client()
        assert c.get("/_cached").headers["X-Cache"] == "miss"
        commands.clear()
        assert c.get("/_cached").headers["X-Cache"] == "hit" and calls["n"] == 1
        assert commands == ["MGET"]
        with c.session_transaction() as s:
            s["_user_id"] = str(learner.id)
        assert c.get("/me/hours").headers["X-Cache"] == "miss-user"
        commands.clear()
        assert c.get("/me/hours").headers["X-Cache"] == "hit-user"
        assert commands == ["MGET"]
    backend.clear()


def test_policy_rules_are_memoised_until_a_policy_write(make_app, app_ctx, count_queries):
    from ntbase.hours.models import Policy
    from ntbase.hours.policy import ensure_default_policies, load_rules

    app = make_app(CACHE_ENABLED=True)
    with app.app_context():
        ensure_default_policies()
        db.session.commit()
        load_rules()
        with count_queries() as q:
            rules, _ = load_rules()
        assert q.count == 0
        row = db.session.scalar(sa.select(Policy).where(Policy.effective_year == 2021))
        row.required_total = 100
        db.session.commit()
        rules, _ = load_rules()
        assert any(r.required_total == 100 for r in rules)


def test_catalog_and_course_pages_are_cached_for_visitors_and_fresh_after_a_change(make_app, app_ctx, base_a):
    app = make_app(CACHE_ENABLED=True)
    course = factories.make_course(base_a, title="安全生产专题培训")
    db.session.commit()
    with app.app_context():
        c = app.test_client()
        for url in ("/courses", f"/courses/{course.id}", "/bases", "/bases/compare"):
            first = c.get(url)
            assert first.status_code == 200 and first.headers.get("X-Cache") == "miss", url
            assert "Set-Cookie" not in first.headers, url  # visitors get no session
            assert c.get(url).headers.get("X-Cache") == "hit", url
        db.session.get(Course, course.id).title = "安全生产专题培训（第二期）"
        db.session.commit()
        page = c.get(f"/courses/{course.id}")
        assert page.headers["X-Cache"] == "miss" and "第二期" in page.get_data(as_text=True)
        assert "第二期" in c.get("/courses").get_data(as_text=True)


def test_visitors_see_a_login_link_not_an_enroll_form(client, base_a):
    course = factories.make_course(base_a)
    db.session.commit()
    html = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "登录后报名" in html and "csrf_token" not in html


def test_dashboard_suggestions_are_shared_until_a_catalog_write(make_app, app_ctx, base_a, count_queries):
    from decimal import Decimal

    from ntbase.hours.services import suggest_courses

    class Gap:  # what suggest_courses reads of an assessment
        complies = False
        shortfall_public = Decimal("24")
        shortfall_non_public = Decimal("66")

    app = make_app(CACHE_ENABLED=True)
    course = factories.make_course(base_a, category="public", price_fen=20000)
    db.session.commit()
    with app.app_context():
        assert [c.id for c in suggest_courses(Gap())] == [course.id]
        with count_queries() as q:
            assert [c.id for c in suggest_courses(Gap())] == [course.id]
        assert q.count == 1  # the rows by id; the search itself was remembered
        cheaper = factories.make_course(base_a, category="public", price_fen=0, title="免费公需课")
        db.session.commit()
        assert [c.id for c in suggest_courses(Gap())][0] == cheaper.id


def test_a_learner_gets_the_shared_course_page_with_their_own_parts(make_app, app_ctx, base_a, learner, count_queries):
    """The course page rendered once for visitors; a learner gets it with their name, a
    working CSRF token and their own enrollment filled in, from the same cached body."""
    import re

    from ntbase.enrollment import services as enrollments

    course = factories.make_course(base_a, price_fen=0)
    other = factories.make_learner(real_name="李另一")
    db.session.commit()
    app = make_app(CACHE_ENABLED=True, WTF_CSRF_ENABLED=True)
    with app.app_context():
        visitor = app.test_client()
        page = visitor.get(f"/courses/{course.id}")
        assert page.headers["X-Cache"] == "miss" and "张晓明" not in page.get_data(as_text=True)
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = str(learner.id)
        r = c.get(f"/courses/{course.id}")
        html = r.get_data(as_text=True)
        assert r.headers["X-Cache"] == "hit-personal"
        assert "张晓明" in html and "登录后报名" not in html
        token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        assert c.post(f"/courses/{course.id}/enroll", data={"csrf_token": token}).status_code == 302
        html = c.get(f"/courses/{course.id}").get_data(as_text=True)
        assert 'id="my-enrollment"' in html
        # another learner: their own parts, not the first one's
        o = app.test_client()
        with o.session_transaction() as s:
            s["_user_id"] = str(other.id)
        html = o.get(f"/courses/{course.id}").get_data(as_text=True)
        assert "李另一" in html and "张晓明" not in html and 'id="my-enrollment"' not in html
    assert enrollments.live_enrollment(course.id, learner.id) is not None


def test_logged_in_cached_pages_cost_one_statement_for_the_user_and_one_for_the_enroll_box(
        make_app, app_ctx, base_a, learner, count_queries, count_begins):
    """A learner on a cached page: the user (with profile and unread notices) in one
    statement; the course page's enroll box (the course and their enrollment) in one more.
    The account menu's badge still counts the unread notices."""
    from ntbase.accounts.services import notify

    course = factories.make_course(base_a, price_fen=0)
    notify(learner.id, "课程变更", "时间调整")
    db.session.commit()
    app = make_app(CACHE_ENABLED=True)
    with app.app_context():
        app.test_client().get("/courses")  # the visitors' bodies, cached
        app.test_client().get(f"/courses/{course.id}")
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = str(learner.id)
        with count_queries() as q:
            html = c.get("/courses").get_data(as_text=True)
        assert q.count == 1, q.statements
        assert '<span class="badge">1</span>' in html and "张晓明" in html
        with count_queries() as q, count_begins() as began:
            r = c.get(f"/courses/{course.id}")
        assert r.headers["X-Cache"] == "hit-personal" and q.count == 2, q.statements
        assert began == [], "both read on autocommit connections: no BEGIN, no COMMIT"
        assert f'<form method="post" action="/courses/{course.id}/enroll"' in r.get_data(as_text=True)


def test_an_entry_that_no_longer_unpickles_is_a_miss(make_app, app_ctx):
    """After a release renames a cached class, what the previous one stored in Redis is
    worked out again instead of failing the page."""
    import pytest
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/14").ping()
    except Exception:  # noqa: BLE001
        pytest.skip("redis not reachable")
    app, calls = _app_with_counter(make_app, CACHE_URL="redis://127.0.0.1:6379/14")
    backend = app.extensions["ntbase_cache"].backend
    backend.r.set("ntbase:test:stale", b"\x80\x04\x95not a pickle")
    assert backend.get("ntbase:test:stale") is None
    assert backend.versions_and(["ntbase:v:none"], "ntbase:test:stale") == ((0,), None)
    backend.r.delete("ntbase:test:stale")
