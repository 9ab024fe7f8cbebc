"""Browser journey: a learner records a conference with evidence, the office accepts it,
the learner's dashboard changes; and the public calculator answers through the JSON API."""
from datetime import timedelta

from ntbase.hours.policy import ensure_default_policies
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from tests import factories
from tests.e2e.conftest import shot
from tests.hours.factories import TINY_PDF, make_entry


def log_in(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda u: "/account/login" not in u)


def log_out(page):
    page.click("header >> text=退出")


def test_conference_recorded_accepted_and_counted(live_server, page, phone_page, tmp_path):
    url = live_server.url
    year = now().year
    ensure_default_policies()
    learner = factories.make_learner(real_name="张晓明", email="zhang@example.cn")
    factories.make_user(Role.OFFICE, email="office@example.cn", display_name="市职称办")
    make_entry(learner, year=year, category="public", hours="24", title="公需科目网络培训")
    make_entry(learner, year=year, hours="46", title="专业科目培训")
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    # the learner sees what is missing
    log_in(page, url, "zhang@example.cn")
    page.goto(url + "/me/hours")
    assert "70 / 90" in page.inner_text("#progress-total")
    assert "还差 14 学时非公需学时" in page.inner_text("#gaps")
    shot(page, "hours-dashboard-before")

    # records a two-day national conference with a PDF as evidence
    page.click("text=登记外单位学习活动")
    end = now().date() - timedelta(days=1)
    evidence = tmp_path / "会议通知.pdf"
    evidence.write_bytes(TINY_PDF)
    page.select_option("#kind", "conference")
    page.fill("#title", "全国急诊医学学术年会")
    page.fill("#organizer", "中华医学会")
    page.fill("#start_date", (end - timedelta(days=1)).isoformat())
    page.fill("#end_date", end.isoformat())
    page.select_option("#level", "national")
    page.fill("#days", "2")
    page.set_input_files("#evidence", str(evidence))
    shot(page, "hours-entry-form")
    page.click("main button[type=submit]")
    page.wait_for_url("**/me/hours")
    assert "审核通过后计入学时" in page.content()
    assert "全国急诊医学学术年会" in page.content() and "待审核" in page.content()
    assert "70 / 90" in page.inner_text("#progress-total")  # pending: not counted
    shot(page, "hours-dashboard-pending")
    log_out(page)

    # the office accepts it
    log_in(page, url, "office@example.cn")
    page.goto(url + "/office/hours/pending")
    card = page.locator("article", has_text="全国急诊医学学术年会")
    assert "20" in card.inner_text()
    card.locator("textarea").fill("会议通知与参会证明齐全")
    shot(page, "hours-office-pending")
    card.locator("button[value=accept]").click()
    page.wait_for_url("**/office/hours/pending")
    assert "暂无待审核记录" in page.content()
    log_out(page)

    # the learner's dashboard now shows the year complete
    log_in(page, url, "zhang@example.cn")
    page.goto(url + "/me/hours")
    assert "90 / 90" in page.inner_text("#progress-total")
    assert "本年度学时已达标" in page.inner_text("#gaps")
    assert "会议通知与参会证明齐全" in page.content()
    shot(page, "hours-dashboard-after")

    # and it fits a phone
    log_in(phone_page, url, "zhang@example.cn")
    phone_page.goto(url + "/me/hours")
    shot(phone_page, "hours-dashboard-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_public_calculator_uses_the_api(live_server, page, phone_page):
    ensure_default_policies()
    db.session.commit()
    page.goto(live_server.url + "/hours/calculator")
    page.fill("#year", "2021")
    page.select_option("#activities-0-kind", "course")
    page.fill("#activities-0-hours", "40")
    page.select_option("#activities-0-category", "public")
    assert page.is_hidden("#activities-0-days")  # days are for day-based activities only
    page.select_option("#activities-1-kind", "training_class")
    page.fill("#activities-1-days", "5.5")
    page.select_option("#exemptions-0-kind", "public_round_certificate")
    page.fill("#exemptions-0-round", "5")
    with page.expect_response("**/api/v1/hours/assess*") as resp:
        page.click("#calculator button[type=submit]")
    assert resp.value.status == 200
    page.wait_for_selector("#calc-result #reasons")
    result = page.inner_text("#calc-result")
    assert "未达标" in result and "63" in result and "第5轮公需课合格证明" in result
    assert page.url.endswith("/hours/calculator")  # answered in place, no reload
    shot(page, "hours-calculator")

    # an invalid value is shown next to its field
    page.fill("#activities-1-days", "1.25")
    page.click("#calculator button[type=submit]")
    page.wait_for_selector(".js-error")
    assert "天数按半天计" in page.inner_text("#activities-1-days >> xpath=..")
    shot(page, "hours-calculator-error")

    phone_page.goto(live_server.url + "/hours/calculator")
    shot(phone_page, "hours-calculator-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
