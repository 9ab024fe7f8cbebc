"""What a new user meets (#15.11, #15.12), at 1280 px and on a 390 px phone: home cards
that follow the role, the office landing on its console, a catalog whose filters fold
away once applied, and wide tables (rosters, statistics, compare) shown as cards."""
from datetime import timedelta

from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from tests.attendance.helpers import enroll, past_course
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_base, make_course, make_learner, make_user
from tests.office.helpers import add_entry, completed_enrollment


def _login(page, url, email, next_=None):
    page.goto(url + "/account/login" + (f"?next={next_}" if next_ else ""))
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _logout(page):
    if page.viewport_size["width"] < 760:  # the menu folds on a phone
        page.check("#nav-toggle", force=True)
    page.click("header >> text=退出")
    page.wait_for_load_state()


def _card_ids(page) -> list[str]:
    return page.eval_on_selector_all("#home-tasks .task-card", "els => els.map(e => e.id)")


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _cells_are_readable(page, selector: str):
    """On a phone every cell of a card table is a labelled line, wide enough for words
    (no column squeezed to one character per line)."""
    widths = page.eval_on_selector_all(
        selector + " tbody td", "els => els.map(e => [getComputedStyle(e).display, e.getBoundingClientRect().width])")
    widths = [(d, w) for d, w in widths if d != "none"]  # empty cells are left out of a card
    assert widths, selector
    for display, width in widths:
        assert display in ("block", "flow-root", "inline-block"), display
        assert width >= 100, (selector, width)
    assert page.eval_on_selector(selector + " thead", "e => e.getBoundingClientRect().height") <= 1


def _data():
    base = make_base(name="南通职业大学", slug="ntvu-nc")
    other = make_base(name="南通工贸技师学院", slug="ntgm-nc")
    staff = make_user(Role.BASE_STAFF, base=base, email="staff@nc.ntbase")
    office = make_user(Role.OFFICE, email="office@nc.ntbase", display_name="市职称办")
    learner = make_learner(real_name="周文", email="zhouwen@nc.ntbase")
    for i in range(8):
        make_course(base if i % 2 else other, title=f"公需科目第{i + 1}讲：数字经济与安全", category="public",
                    price_fen=20000 + 1000 * i)
        make_course(base, title=f"专业科目第{i + 1}讲：建筑信息模型", category="specialized", price_fen=30000)
    course = past_course(base, title="专业技术人员安全生产知识培训（2026 年第一期）")
    for name, employer in (("张晓明", "南通市第一人民医院"), ("李红", "南通市建筑设计研究院有限公司"),
                           ("欧阳小明", "南通市崇川区教育体育局")):
        e = enroll(course, real_name=name, employer=employer)
        add_entry(e.learner, year=now().year, hours="24", category="public")
        add_entry(e.learner, year=now().year, hours="70", category="specialized")
    completed_enrollment(learner, make_course(other, start=now() - timedelta(days=5)))
    db.session.commit()
    return base, staff, office, learner, course


def test_home_cards_and_landing_follow_the_role(live_server, page, phone_page):
    url = live_server.url
    base, staff, office, learner, _course = _data()

    page.goto(url + "/")
    assert _card_ids(page) == ["card-courses", "card-staff-login", "card-verify"]
    shot(page, "newcomer-home-anonymous")
    phone_page.goto(url + "/")
    shot(phone_page, "newcomer-home-anonymous-phone")
    _no_sideways_scroll(phone_page)

    _login(page, url, learner.email)
    assert page.url == url + "/"
    assert _card_ids(page) == ["card-courses", "card-my-courses", "card-my-hours", "card-verify"]
    assert "管理我的基地" not in page.inner_text("main")
    shot(page, "newcomer-home-learner")
    _logout(page)

    _login(page, url, staff.email)
    page.goto(url + "/")
    assert _card_ids(page)[0] == "card-base"
    assert "管理南通职业大学" in page.inner_text("#card-base")
    page.click("#card-base")
    page.wait_for_url(f"**/manage/bases/{base.id}")
    _logout(page)

    # the office lands on its console, and from the home page the first card leads there
    _login(page, url, office.email)
    page.wait_for_url("**/office")
    shot(page, "newcomer-office-landing")
    page.goto(url + "/")
    assert _card_ids(page) == ["card-office", "card-courses", "card-verify"]
    shot(page, "newcomer-home-office")
    _logout(page)
    # next= still wins
    _login(page, url, office.email, next_="/office/stats")
    page.wait_for_url("**/office/stats")

    _login(phone_page, url, office.email)
    phone_page.wait_for_url("**/office")
    phone_page.goto(url + "/")
    assert _card_ids(phone_page)[0] == "card-office"
    shot(phone_page, "newcomer-home-office-phone")
    _no_sideways_scroll(phone_page)


def test_catalog_filters_fold_away_on_a_phone(live_server, page, phone_page):
    url = live_server.url
    _data()
    phone_page.goto(url + "/courses")
    everything = phone_page.inner_text("#result-count")
    phone_page.click("summary:has-text('更多筛选条件')")
    phone_page.select_option("#category", "public")
    phone_page.check("#seats_left")
    shot(phone_page, "newcomer-catalog-filters-open-phone")
    phone_page.click("details.more-filters button[type=submit]")
    phone_page.wait_for_url("**/courses?*category=public*")
    # the panel is folded, says what is in use, and the first result is on the first screen
    assert phone_page.get_attribute("details.more-filters", "open") is None
    assert "已使用 2 个筛选条件" in phone_page.inner_text("details.more-filters summary")
    assert "科目类别：公需科目" in phone_page.inner_text("#active-filters")
    top = phone_page.eval_on_selector(".course-item", "e => e.getBoundingClientRect().top")
    assert top < 844 * 0.75, top
    assert "找到 8 门课程" in phone_page.inner_text("#result-count")
    shot(phone_page, "newcomer-catalog-filtered-phone")
    _no_sideways_scroll(phone_page)
    # clearing them keeps the keyword-free list
    phone_page.click("#active-filters >> text=清除筛选条件")
    phone_page.wait_for_url(url + "/courses")
    assert phone_page.inner_text("#result-count") == everything

    page.goto(url + "/courses?category=public&seats_left=y")
    assert page.get_attribute("details.more-filters", "open") is None
    shot(page, "newcomer-catalog-filtered-desktop")


def test_wide_tables_are_cards_on_a_phone(live_server, page, phone_page):
    url = live_server.url
    base, staff, office, _learner, course = _data()
    session = course.sessions[0]
    pages = [
        (f"/manage/courses/{course.id}/roster", "table.roster", "enrollment-list"),
        (f"/manage/courses/{course.id}/sessions/{session.id}/roster", "#roster-form table", "attendance-roll"),
    ]
    _login(phone_page, url, staff.email)
    _login(page, url, staff.email)
    for path, selector, name in pages:
        phone_page.goto(url + path)
        _cells_are_readable(phone_page, selector)
        _no_sideways_scroll(phone_page)
        shot(phone_page, f"newcomer-{name}-phone")
        page.goto(url + path)
        shot(page, f"newcomer-{name}-desktop")
    # the roll's check boxes still work from the card
    phone_page.check("#roster-form tbody input[type=checkbox] >> nth=0")
    phone_page.click("#save-roster")
    phone_page.wait_for_load_state()
    assert phone_page.locator("#roster-form tbody input:checked").count() == 1
    _logout(phone_page)

    _login(phone_page, url, office.email)
    _login(page, url, office.email)
    phone_page.goto(url + "/office/stats")
    for table in ("#enrollments", "#hours", "#professions", "#employers"):
        _cells_are_readable(phone_page, table)
    _no_sideways_scroll(phone_page)
    assert "学时" in phone_page.inner_text(".chart-pair")
    shot(phone_page, "newcomer-stats-phone")
    page.goto(url + "/office/stats")
    # on a desktop they stay tables
    assert page.eval_on_selector("#employers tbody td", "e => getComputedStyle(e).display") == "table-cell"
    shot(page, "newcomer-stats-desktop")

    for pg, name in ((phone_page, "phone"), (page, "desktop")):
        pg.goto(url + "/bases/compare")
        shot(pg, f"newcomer-compare-{name}")
    _cells_are_readable(phone_page, "table.compare")
    _no_sideways_scroll(phone_page)
    labels = phone_page.eval_on_selector_all("table.compare tbody tr:first-child td",
                                             "els => els.map(e => getComputedStyle(e, '::before').content)")
    assert any("南通职业大学" in x for x in labels), labels
