"""An employer registers, the office confirms it, it invites a learner who accepts, enrolls
three staff in a paid course with one payment and the unit's invoice (sandbox pay page),
sees one of them still short of public hours, records a self-study entry and submits a
plan; the learner sees the employer on their audit page. Screenshots at 1280 and 390 px
in tests/e2e/screenshots/ (employer-*)."""
import sqlalchemy as sa

from ntbase.employers import services
from ntbase.employers.models import Employer, Membership, MembershipState, ReviewState, TrainingPlan
from ntbase.enrollment.models import Enrollment, EnrollmentState
from ntbase.hours.models import EntryState, LedgerEntry
from ntbase.hours.services import add_adjustment
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Role
from ntbase.payments.models import PaymentIntent, PaymentState
from tests.cards import hidden_labels
from tests.e2e.conftest import shot
from tests.employers.helpers import PDF, valid_uscc
from tests.factories import PASSWORD, make_base, make_course, make_learner, make_user

UNIT = "南通通海智能装备有限公司"


def _login(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_employer_journey(live_server, browser, page, phone_page):
    url = live_server.url
    year = now().year
    base = make_base(name="南通职业大学", slug="ntvu-emp")
    course = make_course(base, title="专业技术人员公需科目：数字经济与创新", category="public", price_fen=36000,
                         capacity=30, hours="24", sessions=3)
    office = make_user(Role.OFFICE, email="office@example.cn", display_name="市职称办")
    zhang = make_learner(real_name="张晓明", email="zhang@example.cn", employer="")
    wang = make_learner(real_name="王丽", email="wang@example.cn")
    liu = make_learner(real_name="刘强", email="liu@example.cn")
    add_adjustment(wang.id, year, "24", "public", "公需科目培训", office.id)
    add_adjustment(wang.id, year, "66", "specialized", "专业科目培训", office.id)
    add_adjustment(liu.id, year, "90", "specialized", "专业科目培训", office.id)  # no public hours at all
    db.session.commit()
    uscc = valid_uscc(880)

    # 1. the employer registers; it waits for the office
    page.goto(url + "/employers/register")
    page.fill("#name", UNIT)
    page.fill("#uscc", uscc[:-1] + ("0" if uscc[-1] != "0" else "1"))  # a wrong check character first
    page.select_option("#kind", "enterprise")
    page.select_option("#district", "tongzhou")
    page.fill("#contact_name", "钱经理")
    page.fill("#contact_phone", "0513-86012345")
    page.fill("#admin_name", "钱芳")
    page.fill("#admin_email", "hr@tonghai.example.cn")
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#register-employer button[type=submit]")
    assert "校验码" in page.inner_text("#uscc-err")
    shot(page, "employer-register-error")
    page.fill("#uscc", uscc)
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)
    page.click("#register-employer button[type=submit]")
    page.wait_for_url("**/employer")
    assert page.locator("#employer-pending").count() == 1
    shot(page, "employer-pending")

    # 2. the office confirms it
    office_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    office_page = office_ctx.new_page()
    _login(office_page, url, "office@example.cn")
    office_page.goto(url + "/office/employers?state=pending")
    office_page.click(f"text={UNIT}")
    assert uscc in office_page.inner_text("#uscc")
    office_page.fill("#reason", "营业执照与统一社会信用代码已核验")
    office_page.click("#decision button[formaction*=confirm]")
    office_page.wait_for_selector(".flash-success")
    shot(office_page, "employer-office-confirmed")
    office_ctx.close()

    # 3. it invites its staff by full ID number (never put in a URL)
    page.goto(url + "/employer/staff")
    for person, dept in ((zhang, "研发部"), (wang, "质量部"), (liu, "生产部")):
        page.fill("#id_number", person.profile.id_number)
        page.fill("#department", dept)
        page.click("#invite-form button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert person.profile.id_number not in page.url
    shot(page, "employer-invited")

    # 4. the learner accepts on a phone
    _login(phone_page, url, "zhang@example.cn")
    phone_page.goto(url + "/me/employers")
    assert UNIT in phone_page.inner_text(".invitation")
    shot(phone_page, "employer-learner-invitation-phone")
    phone_page.click(".invitation button:has-text('接受邀请')")
    phone_page.wait_for_selector("#current-employer .employer-card")
    assert UNIT in phone_page.inner_text("#current-employer")
    assert _fits(phone_page)
    with live_server.app.app_context():  # the two others accept on their own devices
        for person in (wang, liu):
            m = db.session.scalar(sa.select(Membership).where(Membership.learner_id == person.id))
            services.accept_membership(m, db.session.get(type(person), person.id))
        db.session.commit()

    # 5. it sees who is still short: 刘强 lacks all 24 public hours
    page.goto(url + f"/employer/staff?year={year}&not_met=1")
    row = page.locator(f'tr[data-learner="{liu.id}"]')
    assert "24" in row.locator(".short-public").inner_text()
    assert page.locator(f'tr[data-learner="{wang.id}"]').count() == 0  # she complies
    shot(page, "employer-staff-not-met")
    phone_admin = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True, device_scale_factor=2)
    admin_phone = phone_admin.new_page()
    _login(admin_phone, url, "hr@tonghai.example.cn")
    admin_phone.goto(url + f"/employer/staff?year={year}")
    shot(admin_phone, "employer-staff-phone")
    assert _fits(admin_phone)
    assert hidden_labels(admin_phone, "#staff-table") == []  # each value with its column's name

    # 6. group enrollment: three seats together, one payment with the unit's invoice
    page.goto(url + "/employer/groups/new")
    page.click(f'a[data-course="{course.id}"]')
    for person in (zhang, wang, liu):
        page.check(f'input[name=learner_ids][value="{person.id}"]')
    shot(page, "employer-group-choose")
    page.click("#group-form button[type=submit]")
    page.wait_for_selector("#group-held")
    assert page.input_value("#invoice_title") == UNIT and page.input_value("#invoice_taxpayer_no") == uscc
    assert "¥1,080.00" in page.inner_text("#pay")
    shot(page, "employer-group-held")
    page.click("#pay-form button[type=submit]")
    page.wait_for_url("**/pay/sandbox/*")
    assert "¥1,080.00" in page.content()
    page.check("input[value=alipay]")
    shot(page, "employer-sandbox-pay")
    page.click("button[value=pay]")
    page.wait_for_url("**/employer/groups/*")
    assert page.locator('#group-members [data-state="confirmed"]').count() == 3
    assert uscc in page.inner_text("#group-payments")
    shot(page, "employer-group-paid")
    with live_server.app.app_context():
        intent = db.session.scalar(sa.select(PaymentIntent))
        assert (intent.state, intent.amount_fen, intent.invoice_title, intent.invoice_taxpayer_no) == (
            PaymentState.SUCCEEDED, 108000, UNIT, uscc)
        assert db.session.scalar(sa.select(sa.func.count(Enrollment.id)).where(
            Enrollment.state == EnrollmentState.CONFIRMED)) == 3

    # 7. a self-study entry for 刘强 (pending for the office)
    m = page.context.request  # noqa: F841 - the page itself navigates below
    page.goto(url + f"/employer/staff?year={year}")
    page.click(f'tr[data-learner="{liu.id}"] a')
    assert page.locator("#assessment").count() == 1
    shot(page, "employer-person")
    page.click("text=登记自学")
    page.fill("#title", "智能制造标准自学")
    today = now().date()
    page.fill("#start_date", today.replace(day=1).isoformat())
    page.fill("#end_date", today.isoformat())
    page.fill("#hours", "12")
    page.fill("#plan", "按年度计划自学《智能制造系统》第 1–4 章")
    page.fill("#organisation", "技术部统一组织，每周讨论一次")
    page.fill("#examination", "部门笔试 86 分，合格")
    page.set_input_files("#evidence", files=[{"name": "考核记录.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#self-study-form button[type=submit]")
    page.wait_for_url("**/employer/self-study")
    assert "智能制造标准自学" in page.inner_text("#self-study")
    with live_server.app.app_context():
        entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.kind == "self_study"))
        assert (entry.learner_id, entry.state, entry.source) == (liu.id, EntryState.PENDING, "employer")

    # 8. the yearly plan, submitted to the HR bureau
    page.goto(url + f"/employer/plans/{year}")
    page.fill("#topic", "公需科目：数字经济与创新")
    page.select_option("#category", "public")
    page.fill("#target_staff", "全体专业技术人员")
    page.fill("#planned_hours", "24")
    page.fill("#budget", "10800")
    page.click("#plan-item-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    page.check("#confirm")
    page.click("#plan-submit-form button[type=submit]")
    page.wait_for_selector("#plan-versions")
    shot(page, "employer-plan-submitted")
    with live_server.app.app_context():
        employer = db.session.scalar(sa.select(Employer))
        assert employer.state.value == "active"
        plan = db.session.scalar(sa.select(TrainingPlan))
        assert plan.state == ReviewState.SUBMITTED and len(plan.versions) == 1
        assert {m.state for m in db.session.scalars(sa.select(Membership))} == {MembershipState.ACTIVE}

    # 9. the learner sees the paid seat and, on the audit page, the employer that looked
    phone_page.goto(url + "/me/courses")
    assert UNIT in phone_page.inner_text(".paid-by")
    shot(phone_page, "employer-learner-courses-phone")
    assert _fits(phone_page)
    _login(phone_page, url, "liu@example.cn")
    phone_page.goto(url + "/me/audit")
    audit_text = phone_page.inner_text("#my-audit")
    assert UNIT in audit_text and "单位查看了您的年度学时" in audit_text
    shot(phone_page, "employer-learner-audit-phone")
    assert _fits(phone_page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url + "/employer")
    shot(page, "employer-dashboard")
    phone_admin.close()
