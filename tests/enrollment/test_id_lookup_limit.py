"""Base staff looking people up by ID number are rate-limited like the office (#15.5):
each manual-enrollment try tells whether a number is registered. One budget per user,
shared with the office's applicant list (ntbase.kernel.limits.id_number_lookup)."""
from __future__ import annotations

import pytest

from tests.factories import make_course, valid_id_number


def _client(app, user):
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(user.id)
        sess["_fresh"] = True
    return c


@pytest.fixture()
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, ID_LOOKUP_RATE_LIMIT="5 per 10 minutes")


def test_manual_enrollment_by_id_number_is_rate_limited_per_user(limited_app, base_a, staff_a, staff_b):
    from ntbase.kernel.db import db

    course = make_course(base_a)
    db.session.commit()
    c = _client(limited_app, staff_a)
    url = f"/manage/courses/{course.id}/roster/enroll"
    codes = [c.post(url, data={"id_number": valid_id_number(700 + i)}).status_code for i in range(6)]
    assert codes[:5] == [422] * 5 and codes[5] == 429
    page = c.post(url, data={"id_number": valid_id_number(800)}, headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 429
    assert "请求过于频繁" in page.get_data(as_text=True)  # the translated 429
    # the roster itself (a GET) is not counted, and another user has a budget of their own
    assert c.get(f"/manage/courses/{course.id}/roster").status_code == 200
    other = _client(limited_app, staff_b)
    assert other.post(url, data={"id_number": valid_id_number(801)}).status_code in (403, 404)


def test_the_budget_is_shared_with_the_office_applicant_list(limited_app, office):
    c = _client(limited_app, office)
    codes = [c.post("/office/applicants", data={"id_number": valid_id_number(600 + i), "year": "2024",
                                                "committee": "nantong"}).status_code for i in range(6)]
    assert codes[5] == 429 and 429 not in codes[:5]
