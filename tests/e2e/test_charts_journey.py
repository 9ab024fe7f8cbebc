"""Charts (Apache ECharts, vendored) on the statistics page, a base's figures and a learner's
hours, at 1280 and 390 px, under a strict Content-Security-Policy for scripts: drawn from
data attributes, no inline script, no CDN."""
from __future__ import annotations

from datetime import timedelta

from ntbase.enrollment import services as enrollments
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from tests.cards import hidden_labels
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_course, make_learner, make_user
from tests.office.helpers import add_entry
from tests.office.test_stats import _data

# scripts as strict as the CSP that is coming (#15.1); styles are another change's business
CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'"


def _login(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _strict_scripts(live_server):
    @live_server.app.after_request
    def csp(response):
        response.headers["Content-Security-Policy"] = CSP
        return response


def _watch(page) -> list[str]:
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "script" in m.text.lower()
            else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def _drawn(page) -> int:
    page.wait_for_selector(".chart-drawn canvas")
    return page.locator(".chart-drawn canvas").count()


def test_charts_render_on_desktop_and_phone(live_server, page, phone_page, base_a, base_b, staff_a):
    _strict_scripts(live_server)
    officer = make_user(Role.OFFICE, email="stats-officer@test.ntbase")
    year, _learners = _data(base_a, base_b, n=6)
    learner = make_learner(real_name="张晓明", email="charts-learner@test.ntbase")
    for y, h in ((year - 2, "30"), (year - 1, "96"), (year, "48")):
        add_entry(learner, year=y, hours=h, category="specialized", title=f"{y} 年专业科目")
        add_entry(learner, year=y, hours="24", category="public", title=f"{y} 年公需科目")
    course = make_course(base_a, capacity=20, start=now() + timedelta(days=20))
    for _ in range(5):
        enrollments.enroll_learner(course, make_learner())
    db.session.commit()
    url = live_server.url
    desk, phone = _watch(page), _watch(phone_page)

    _login(page, url, officer.email)
    _login(phone_page, url, officer.email)
    for pg, suffix in ((page, "1280"), (phone_page, "390")):
        pg.goto(url + f"/office/stats?year={year}")
        assert _drawn(pg) >= 4  # one per base, hours, professions, employers
        assert pg.locator("table#employers").is_visible()  # the numbers stay beside the charts
        shot(pg, f"charts-office-stats-{suffix}")
    assert hidden_labels(phone_page, "table.cards") == []  # the tables' cards name each figure

    for pg, suffix in ((page, "1280"), (phone_page, "390")):
        _login(pg, url, learner.email)
        pg.goto(url + "/me/hours")
        assert _drawn(pg) >= 1 and pg.locator("#hours-by-year-table").is_visible()
        pg.locator("#hours-by-year").scroll_into_view_if_needed()
        shot(pg, f"charts-hours-dashboard-{suffix}")

    for pg, suffix in ((page, "1280"), (phone_page, "390")):
        _login(pg, url, staff_a.email)
        pg.goto(url + f"/manage/bases/{base_a.id}/enrollments")
        assert _drawn(pg) >= 1 and pg.locator("#by-month-table").is_visible()
        shot(pg, f"charts-base-figures-{suffix}")
    assert desk == [] and phone == []
    # the phone's chart fits the screen: no sideways scrolling
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
