"""A learner enrolls in a paid course, pays in the sandbox, sees it under "my courses",
cancels and sees the refund. Staff see the roster. Screenshots in tests/e2e/screenshots/."""
import sqlalchemy as sa

from ntbase.enrollment.models import Enrollment
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from ntbase.payments.models import PaymentIntent
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_base, make_course, make_learner, make_user


def _login(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_enroll_pay_cancel_refund(live_server, page, phone_page):
    url = live_server.url
    base = make_base(name="南通职业大学", slug="ntvu-e2e")
    course = make_course(base, title="专业技术人员公需科目：数字经济与创新", price_fen=36000, capacity=30,
                         hours="24", sessions=3)
    learner = make_learner(real_name="周文", email="zhouwen@example.cn")
    staff = make_user(Role.BASE_STAFF, base=base, email="staff@example.cn")
    db.session.commit()

    _login(page, url, "zhouwen@example.cn")
    if "catalog.course" in live_server.app.view_functions:
        page.goto(f"{url}/courses/{course.id}")
        page.click("#enroll button[type=submit]")
    else:
        page.goto(f"{url}/courses/{course.id}/enroll")
        shot(page, "enroll-confirm")
        page.click("main form button[type=submit]")
    page.wait_for_url("**/me/enrollments/*/pay")
    assert "¥360.00" in page.content()
    page.fill("#invoice_title", "南通市第三人民医院")
    page.fill("#invoice_taxpayer_no", "12AB")
    page.click("main button[type=submit]")
    assert "15 至 20 位" in page.inner_text("#invoice_taxpayer_no-err")
    shot(page, "checkout-invoice-error")
    page.fill("#invoice_taxpayer_no", "12320600466000000X")
    page.click("main button[type=submit]")

    page.wait_for_url("**/pay/sandbox/*")
    assert "沙箱" in page.content() and "微信支付" in page.content()
    page.check("input[value=alipay]")
    shot(page, "sandbox-pay")
    page.click("button[value=pay]")
    page.wait_for_url("**/me/courses")
    assert "已收到付款，报名成功" in page.content()
    assert page.locator('[data-state="confirmed"]').count() == 1
    assert page.locator('[data-payment="succeeded"]').count() == 1
    shot(page, "my-courses-paid")

    # the same page on a phone: readable, no sideways scrolling
    _login(phone_page, url, "zhouwen@example.cn")
    phone_page.goto(url + "/me/courses")
    shot(phone_page, "my-courses-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

    # the receipt
    page.click("text=收据与记录")
    assert "支付宝" in page.content() and "南通市第三人民医院" in page.content()
    shot(page, "receipt")
    page.go_back()

    # cancel: the confirmation says how much comes back; dismissing it changes nothing
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    page.click("text=取消报名")
    assert messages and "¥360.00" in messages[0]
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(Enrollment.state)).value == "confirmed"
    page.once("dialog", lambda d: d.accept())
    page.click("text=取消报名")
    page.wait_for_selector(".flash-success")
    assert "报名已取消，¥360.00 将原路退回" in page.content()
    assert page.locator('[data-state="cancelled"]').count() == 1
    assert page.locator('[data-payment="refunded"]').count() == 1
    assert "已退款 ¥360.00" in page.content()
    shot(page, "my-courses-refunded")
    with live_server.app.app_context():
        intent = db.session.scalar(sa.select(PaymentIntent))
        assert (intent.state.value, intent.refunded_fen) == ("refunded", 36000)

    # enrolling again after cancelling is possible: the confirmation page offers it
    page.goto(f"{url}/courses/{course.id}/enroll")
    assert "报名并支付 ¥360.00" in page.content()
    shot(page, "enroll-confirm")

    # staff of the base see the roster with the payment status, masked ID only
    page.click("header >> text=退出")
    _login(page, url, "staff@example.cn")
    page.goto(f"{url}/manage/courses/{course.id}/roster")
    html = page.content()
    assert "周文" in html and learner.profile.id_number_masked in html
    assert learner.profile.id_number not in html
    shot(page, "roster")
    _ = staff


def test_staff_partial_refund(live_server, page, client):
    from tests.enrollment.helpers import paid_enrollment

    url = live_server.url
    base = make_base(name="南通工贸技师学院", slug="ntgm-e2e")
    course = make_course(base, title="数控加工技术新工艺", price_fen=38000, capacity=30)
    learner = make_learner(real_name="陈静", email="chenjing@example.cn")
    make_user(Role.BASE_STAFF, base=base, email="staff2@example.cn")
    db.session.commit()
    e = paid_enrollment(client, course, learner)
    _login(page, url, "staff2@example.cn")
    page.goto(f"{url}/manage/courses/{course.id}/roster")
    page.click("text=退款…")
    page.wait_for_url(f"**/manage/enrollments/{e.id}/refund")
    page.fill("#amount", "400")
    page.fill("#reason", "按基地退费规定退还 70%")
    page.once("dialog", lambda d: d.accept())
    page.click("main form button[type=submit]")
    assert "最多还可退 ¥380.00" in page.inner_text("#amount-err")
    page.fill("#amount", "266")
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/manage/courses/{course.id}/roster")
    assert messages and "无法撤销" in messages[0]
    assert "已向陈静退款 ¥266.00" in page.content()
    shot(page, "roster-partial-refund")
    with live_server.app.app_context():
        intent = db.session.scalar(sa.select(PaymentIntent).where(PaymentIntent.enrollment_id == e.id))
        assert (intent.state.value, intent.refunded_fen) == ("partially_refunded", 26600)
