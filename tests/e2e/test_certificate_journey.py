"""A base marks attendance and completion; the learner downloads the certificate;
a visitor verifies its code on /verify."""
import subprocess

import sqlalchemy as sa

from ntbase.certificates.models import Certificate
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from tests.attendance.helpers import enroll, past_course
from tests.e2e.conftest import SHOTS, shot
from tests.factories import PASSWORD, make_base, make_learner, make_user


def _log_in(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_attendance_completion_certificate_and_verification(live_server, page, phone_page, browser, tmp_path):
    url = live_server.url
    base = make_base(name="南通职业大学", slug="ntvu-e2e")
    make_user(Role.BASE_STAFF, base=base, email="staff@e2e.ntbase")
    learner = make_learner(real_name="张晓明", email="zxm@e2e.ntbase")
    course = past_course(base, title="专业技术人员公需科目：法治建设专题", hours="12", sessions=2,
                         attendance_required_pct=100)
    enroll(course, learner)
    absent = enroll(course, make_learner(real_name="李红"))
    db.session.commit()
    s1, s2 = course.sessions

    # base staff: "all present" for session 1, tick only 张晓明 for session 2
    page.on("dialog", lambda d: d.accept())
    _log_in(page, url, "staff@e2e.ntbase")
    page.goto(f"{url}/manage/courses/{course.id}/attendance")
    page.click(f"a[href$='/sessions/{s1.id}/roster']")
    page.click("#all-present")
    assert "全部 2 名学员" in page.inner_text(".flashes")
    page.goto(f"{url}/manage/courses/{course.id}/sessions/{s2.id}/roster")
    page.check("xpath=//tr[td/label[text()='张晓明']]//input[@type='checkbox']")
    page.click("#save-roster")
    assert "出勤 1 人" in page.inner_text(".flashes")

    page.goto(f"{url}/manage/courses/{course.id}/sessions/{s2.id}/venue")
    assert page.locator(".venue-qr svg").count() == 1
    shot(page, "venue-qr")
    page.goto(f"{url}/manage/courses/{course.id}/attendance")
    page.click("#complete-all")
    page.wait_for_load_state()
    assert "1 名学员已结业" in page.inner_text(".flashes")
    row = page.inner_text(f"#e{absent.id}")
    assert "暂不可结业" in row and "1/2" in row  # the other learner is told why
    shot(page, "attendance-completed")
    with live_server.app.app_context():
        cert = db.session.scalar(sa.select(Certificate))
        code, cert_id = cert.display_code, cert.id

    # the learner, on a phone: my certificates → download the PDF
    _log_in(phone_page, url, "zxm@e2e.ntbase")
    phone_page.goto(url + "/me/certificates")
    assert code in phone_page.inner_text("#my-certificates")
    shot(phone_page, "my-certificates-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    with phone_page.expect_download() as dl:
        phone_page.click(f"a[href='/certificates/{cert_id}.pdf']")
    pdf = tmp_path / "certificate.pdf"
    dl.value.save_as(pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "张晓明" in text and "专业技术人员公需科目：法治建设专题" in text and code in text
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(SHOTS / "certificate-pdf")],
                   check=True)
    share = phone_page.input_value(f"#share-{cert_id}")
    assert share.endswith(f"/verify?code={code}")

    # the printable page
    page.goto(f"{url}/certificates/{cert_id}")  # staff of the issuing base may view it
    assert "张晓明" in page.inner_text("#certificate")
    shot(page, "certificate-page")

    # a visitor (not logged in) verifies the code, typed carelessly
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    visitor = ctx.new_page()
    visitor.goto(url + "/verify")
    visitor.fill("#code", code.lower().replace("-", " "))
    visitor.click("#verify-form button[type=submit]")
    visitor.wait_for_selector("#verify-result")
    result = visitor.inner_text("#verify-result")
    assert "证书有效" in result and "张**" in result and "张晓明" not in result
    assert "南通职业大学" in result and "12" in result
    shot(visitor, "verify-valid")
    # one wrong character: the check character does not match (#15.10), nothing looked up
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    visitor.fill("#code", wrong)
    visitor.click("#verify-form button[type=submit]")
    assert "校验位不符" in visitor.inner_text("#code-err")
    shot(visitor, "verify-check-the-code")
    ctx.close()
