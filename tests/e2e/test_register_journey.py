import sqlalchemy as sa

from ntbase.accounts.models import User
from ntbase.kernel.db import db
from tests.e2e.conftest import shot
from tests.factories import valid_id_number


def test_learner_registers_and_logs_in(live_server, page, phone_page):
    url = live_server.url
    page.goto(url + "/")
    assert "南通" in page.title()
    page.click("text=注册")
    # a wrong check digit is refused next to the field, nothing created
    idn = valid_id_number(901)
    wrong = idn[:17] + ("1" if idn[17] != "1" else "2")
    page.fill("#real_name", "周文")
    page.fill("#id_number", wrong)
    page.fill("#mobile", "13700001234")
    page.fill("#email", "zhouwen@example.cn")
    page.fill("#employer", "南通市第三人民医院")
    page.select_option("#profession_series", "health")
    page.fill("#password", "Zhou-wen-2026")
    page.fill("#password2", "Zhou-wen-2026")
    page.click("button[type=submit]")
    assert "校验位" in page.inner_text("#id_number-err")
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    shot(page, "register-error")

    page.fill("#id_number", idn)
    page.fill("#password", "Zhou-wen-2026")
    page.fill("#password2", "Zhou-wen-2026")
    page.click("button[type=submit]")
    page.wait_for_url("**/account/profile")
    assert "账号已创建" in page.content()
    assert idn[:6] + "********" + idn[-4:] in page.content()
    shot(page, "profile")

    page.click("text=退出")
    page.click("header >> text=登录")
    page.fill("#login", "zhouwen@example.cn")
    page.fill("#password", "Zhou-wen-2026")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
    assert "欢迎" in page.content()
    shot(page, "home-logged-in")

    phone_page.goto(url + "/account/register")
    shot(phone_page, "register-phone")
    # the form fits the phone: no horizontal scrolling
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
