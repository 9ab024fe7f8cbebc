"""The staff list's counts and order are kept in the page cache (``services._staff_index``)
until a membership, a profile, the policies or a member's kept yearly status changes: after
any sequence of the changes people make, every cached list equals one worked out afresh."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ntbase.accounts.services import update_profile
from ntbase.employers import services
from ntbase.employers.models import Membership, MembershipState
from ntbase.hours.policy import ensure_default_policies
from ntbase.hours.services import add_adjustment
from ntbase.kernel.cache import page_cache
from ntbase.kernel.db import db, now
from tests.employers.helpers import add_member, make_employer
from tests.factories import make_learner

YEAR = now().year
PEOPLE = 4
DEPARTMENTS = ("内科", "外科", "")
SERIES = ("health", "engineering")

OPS = st.lists(st.one_of(
    # 90 public hours alone meet the year; 24 + 66 do together
    st.tuples(st.just("hours"), st.integers(0, PEOPLE - 1), st.sampled_from(("public", "specialized")),
              st.sampled_from((24, 66, 90))),
    st.tuples(st.just("department"), st.integers(0, PEOPLE - 1), st.sampled_from(DEPARTMENTS)),
    st.tuples(st.just("series"), st.integers(0, PEOPLE - 1), st.sampled_from(SERIES)),
    st.tuples(st.just("leave"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("join"), st.integers(0, PEOPLE - 1), st.sampled_from(DEPARTMENTS)),
), min_size=1, max_size=10)

FILTERS = [dict(), dict(not_met=True), dict(department="内科"), dict(series="health"),
           dict(not_met=True, series="engineering")]


@pytest.fixture()
def cached(make_app, app_ctx, office):
    ensure_default_policies()
    db.session.commit()
    app = make_app(CACHE_ENABLED=True)
    with app.app_context():
        page_cache().backend.clear()
        employer, admin = make_employer("南通缓存医院", office=office)
        people = [make_learner(profession_series="health") for _ in range(PEOPLE)]
        for person in people[:2]:
            add_member(employer, admin, person, "内科")
        db.session.commit()
        yield employer, admin, people, office


def _apply(op, employer, admin, people, office) -> None:
    kind, i, *args = op
    person = people[i]
    current = db.session.query(Membership).filter_by(employer_id=employer.id, learner_id=person.id,
                                                     state=MembershipState.ACTIVE).one_or_none()
    if kind == "hours":
        category, hours = args
        add_adjustment(person.id, YEAR, str(hours), category, "补录", office.id)
    elif kind == "department" and current is not None:
        services.set_department(employer, current, args[0])
    elif kind == "series":
        update_profile(person, mobile=person.profile.mobile, employer="", profession_series=args[0],
                       title_level=person.profile.title_level.value)
    elif kind == "leave" and current is not None:
        services.end_membership(current, admin, employer=employer)
    elif kind == "join" and current is None:
        add_member(employer, admin, person, args[0])


def _seen(employer, **filters):
    staff = services.staff_list(employer, YEAR, page=1, per_page=2, **filters)
    return (staff.total, staff.not_met, staff.matching, staff.pages, staff.departments, staff.series,
            [(r.membership_id, r.department, r.profession_series, r.verdict.complies) for r in staff.rows])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_cached_staff_lists_equal_a_fresh_computation(cached, ops):
    employer, admin, people, office = cached
    for f in FILTERS:
        _seen(employer, **f)  # cached before the changes
    for op in ops:
        _apply(op, employer, admin, people, office)
        db.session.commit()
        db.session.expire_all()
        served = {i: _seen(employer, **f) for i, f in enumerate(FILTERS)}
        page_cache().enabled = False
        try:
            fresh = {i: _seen(employer, **f) for i, f in enumerate(FILTERS)}
        finally:
            page_cache().enabled = True
        assert served == fresh, op


def test_a_kept_list_costs_one_statement_and_a_members_hours_change_only_their_employers(
        cached, make_app, count_queries):
    employer, admin, people, office = cached
    other, other_admin = make_employer("南通另一单位", office=office)
    outsider = make_learner()
    add_member(other, other_admin, outsider, "车间")
    db.session.commit()
    services.staff_list(employer, YEAR, page=1)
    services.staff_list(other, YEAR, page=1)
    db.session.expire_all()
    assert employer.id and other.id  # loaded again before counting
    with count_queries() as q:
        staff = services.staff_list(employer, YEAR, page=1)
    assert q.count == 1, q.statements  # the page's rows; the counts and the order were kept
    assert staff.total == 2
    add_adjustment(people[0].id, YEAR, "24", "public", "补录", office.id)  # a member of the first employer
    db.session.commit()
    db.session.expire_all()
    assert employer.id and other.id
    with count_queries() as q:
        services.staff_list(other, YEAR, page=1)
    assert q.count == 1, "the other employer's list is still kept"
    with count_queries() as q:
        services.staff_list(employer, YEAR, page=1)
    assert q.count == 3, "this employer's counts are worked out again"
