"""A base's staff fill the Art. 22 disclosure, create and publish a course; a visitor
finds it by a two-character keyword. Screenshots at desktop and phone width."""
import sqlalchemy as sa

from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db, now
from tests.e2e.conftest import shot
from tests.factories import PASSWORD


def _submit(page):
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_staff_publish_and_visitor_finds_course(live_server, page, phone_page, staff_a, base_a):
    url = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(url + "/account/login")
    page.fill("#login", staff_a.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/manage/bases/{base_a.id}")
    assert "缺少" in page.inner_text("#disclosure-status")
    page.click("text=编辑公示信息")
    page.wait_for_url("**/disclosure")

    # 1. scope and times
    page.click("text=编辑培训范围和时间")
    page.check("#subjects-0")
    page.check("#subjects-1")
    page.check("#staff_levels-0")
    page.check("#staff_levels-1")
    page.fill("#scope_text", "面向全市专业技术人员开展公需科目和专业科目培训。")
    page.fill("#terms_text", "每年3月至11月，周末开班。")
    _submit(page)
    assert "新版本已发布" in page.content()
    # 2. fees (a negative amount is refused next to the field first)
    page.click("text=添加收费项目")
    page.fill("#name", "公需科目培训费")
    page.fill("#amount_yuan", "-200")
    page.fill("#unit", "每人每期")
    page.fill("#covers", "授课、讲义、结业考核")
    _submit(page)
    assert "不能为负数" in page.inner_text("#amount_yuan-err")
    shot(page, "catalog-fee-error")
    page.fill("#amount_yuan", "200")
    _submit(page)
    page.click("text=编辑退费规定")
    page.fill("#refund_policy", "开课前3天申请退课的全额退费。")
    _submit(page)
    # 3. teachers and managers
    page.click("text=添加教师")
    page.fill("#name", "王建国")
    page.fill("#title", "副教授")
    page.fill("#organisation", "南通职业大学")
    page.fill("#subjects", "安全生产")
    _submit(page)
    page.click("text=添加管理人员")
    page.fill("#name", "张慧")
    page.fill("#duty", "教务科科长")
    page.fill("#contact", "0513-81050001")
    _submit(page)
    # 4. locations and rooms
    page.click("text=添加教学场所")
    page.fill("#name", "崇川校区")
    page.fill("#address", "江苏省南通市崇川区青年中路89号")
    page.fill("#facilities", "多媒体教室、无障碍通道、停车场")
    _submit(page)
    page.click("text=添加教室")
    page.fill("#name", "继教楼201")
    page.fill("#seats", "80")
    _submit(page)
    assert "缺少" not in page.inner_text("main")
    shot(page, "catalog-disclosure-desktop")

    # a course, then publish it
    page.goto(url + f"/manage/bases/{base_a.id}")
    page.click("text=新建课程")
    start = now().date().toordinal() + 30
    from datetime import date

    d1, d2 = date.fromordinal(start), date.fromordinal(start + 1)
    page.fill("#title", "专业技术人员安全生产知识培训")
    page.select_option("#category", "public")
    page.check("#teacher_ids-0")
    page.select_option("#room_id", index=1)
    page.fill("#sessions-0-day", d1.isoformat())
    page.fill("#sessions-0-start", "09:00")
    page.fill("#sessions-0-end", "17:00")
    # a fourth row, added in the page (course-form.js), holds the second day
    page.click("#add-session")
    page.fill("#sessions-3-day", d2.isoformat())
    page.fill("#sessions-3-start", "09:00")
    page.fill("#sessions-3-end", "17:00")
    page.fill("[id^=fee_]", "1")
    assert page.inner_text("#price-total") == "¥200.00"
    page.fill("#description_md", "学习安全生产法律法规，掌握**风险辨识**与应急处置。")
    shot(page, "catalog-course-form-desktop")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/manage/courses/*")
    page.click("main button:has-text('发布')")
    page.wait_for_load_state()
    assert "已在目录中发布" in page.content()
    with live_server.app.app_context():
        course = db.session.scalar(sa.select(Course))
        assert course.status == CourseStatus.PUBLISHED and str(course.hours) == "12.0"
        assert course.price_fen == 20000
        course_id = course.id
    page.goto(url + f"/manage/bases/{base_a.id}")
    assert "0 / 30" in page.inner_text("#courses")
    shot(page, "catalog-manage-desktop")
    page.click("text=退出")

    # a visitor finds it by a two-character word
    page.goto(url + "/")
    page.click("header >> text=课程")
    page.fill("#q", "安全")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "找到 1 门课程" in page.inner_text("#result-count")
    shot(page, "catalog-search-desktop")
    page.click("text=专业技术人员安全生产知识培训")
    page.wait_for_url(f"**/courses/{course_id}")
    body = page.inner_text("main")
    for text in ("¥200.00", "王建国", "继教楼201", "开课前3天申请退课的全额退费", "12"):
        assert text in body
    shot(page, "catalog-course-desktop")

    for path, name in (("/courses?q=安全", "catalog-search-phone"), (f"/courses/{course_id}", "catalog-course-phone"),
                       ("/bases/compare", "catalog-compare-phone"), (f"/bases/{base_a.id}", "catalog-base-phone")):
        phone_page.goto(url + path)
        shot(phone_page, name)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    page.goto(url + "/bases/compare")
    shot(page, "catalog-compare-desktop")
    # the same pages in English
    page.goto(url + f"/courses/{course_id}?lang=en")
    assert "Add to my calendar" in page.inner_text("main")
    shot(page, "catalog-course-desktop-en")
    phone_page.goto(url + "/courses?q=安全&lang=en")
    assert phone_page.inner_text("#result-count") == "Courses found: 1"
    shot(phone_page, "catalog-search-phone-en")
