"""Office staff upload a bulk file (valid, revoked, unknown, malformed codes, a formula cell),
watch it being checked, and download the same file with the results."""
import csv
import io

from ntbase.certificates import codes
from ntbase.certificates.models import CertificateState
from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_learner, make_user
from tests.office.helpers import make_certificate


def _login(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_office_bulk_verification_journey(live_server, page, phone_page, base_a, tmp_path):
    officer = make_user(Role.OFFICE, email="officer@test.ntbase", display_name="市职称办 王科长")
    learner = make_learner(real_name="张晓明")
    valid = make_certificate(learner, base_a)
    revoked = make_certificate(learner, base_a, state=CertificateState.REVOKED)
    db.session.commit()
    unknown = codes.new_code()
    buf = io.StringIO()
    csv.writer(buf).writerows([
        ["序号", "姓名", "证书编号", "备注"],
        ["1", "张晓明", codes.display(valid.code), ""],
        ["2", "张晓明", revoked.code, ""],
        ["3", "李四", unknown, ""],
        ["4", "王五", "12345-ABCDE", "=HYPERLINK(\"http://example.invalid\",\"点我\")"],
    ])
    upload = tmp_path / "职称申报核验.csv"
    upload.write_text(buf.getvalue(), encoding="utf-8-sig")

    url = live_server.url
    _login(page, url, officer.email)
    page.goto(url + "/office")
    assert "职称办" in page.content() or "工作台" in page.content()
    shot(page, "office-console")

    page.click(".office-nav >> text=批量核验")
    page.set_input_files("#file", str(upload))
    shot(page, "office-bulk-upload")
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-summary")
    assert page.inner_text('[data-result="valid"]') == "1"
    assert page.inner_text('[data-result="revoked"]') == "1"
    assert page.inner_text('[data-result="unknown"]') == "1"
    assert page.inner_text('[data-result="malformed"]') == "1"
    assert "12345-ABCDE" in page.content()  # the malformed row is listed with its row number
    shot(page, "office-bulk-result")
    job_url = page.url

    with page.expect_download() as info:
        page.click("#download")
    path = info.value.path()
    rows = list(csv.reader(io.StringIO(open(path, encoding="utf-8-sig").read())))
    header = rows[0]
    result = header.index("结果")
    assert [r[result] for r in rows[1:]] == ["有效", "已撤销", "编号不存在", "编号格式错误"]
    assert rows[4][3].startswith("'=HYPERLINK")  # never a live formula in Excel
    holder = header.index("持证人（脱敏）")
    assert rows[1][holder].startswith("张*") and learner.profile.id_number not in open(path, encoding="utf-8-sig").read()

    # a refused file reads as a refusal (red, announced), not as a full progress bar
    bad = tmp_path / "no-codes.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    page.click("text=核验其他文件")
    page.set_input_files("#file", str(bad))
    page.click("#bulk-form button[type=submit]")
    page.wait_for_selector("#bulk-status.form-errors")
    assert "证书编号" in page.inner_text("#bulk-status")
    assert page.get_attribute("#bulk-status", "role") == "alert" and not page.is_visible("#bulk-bar")
    shot(page, "office-bulk-refused")

    _login(phone_page, url, officer.email)
    phone_page.goto(job_url)
    phone_page.wait_for_selector("#bulk-summary")
    shot(phone_page, "office-bulk-result-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_office_console_tour_and_the_learner_sees_the_view(live_server, page, phone_page, base_a):
    from ntbase.office import applicants, complaints
    from tests.office.helpers import add_entry, make_statement

    officer = make_user(Role.OFFICE, email="officer2@test.ntbase", display_name="市人社局 李科员")
    learner = make_learner(real_name="周文", email="zhouwen@test.ntbase")
    make_certificate(learner, base_a, year=2021)
    add_entry(learner, year=2021, hours="12", category="public")
    add_entry(learner, year=2021, hours="66", category="specialized")
    make_statement(learner, year=2021, total="78", public="12", complies=False)
    applicants.register_applicant(learner.profile.id_number, 2021, "nantong", "", officer)
    complaints.file_complaint(learner, complaints.ComplaintInput(
        target="base", base_id=base_a.id, subject="退费未到账", details="课程取消后承诺七日内退费，至今未到账。"))
    db.session.commit()
    url = live_server.url
    _login(page, url, officer.email)

    page.goto(url + "/office/person")
    page.fill("#id_number", learner.profile.id_number[:10])
    page.click("main button[type=submit]")
    assert "完整" in page.inner_text("#id_number-err")
    page.fill("#id_number", learner.profile.id_number)
    page.click("main button[type=submit]")
    page.wait_for_url("**/office/person/*")
    assert learner.profile.id_number not in page.url and learner.profile.id_number_masked in page.content()
    shot(page, "office-person")

    page.goto(url + "/office/applicants?year=2021")
    assert "暂缓发放" in page.content()
    shot(page, "office-applicants")
    page.goto(url + "/office/stats?year=2021")
    page.wait_for_selector(".chart-drawn canvas")
    assert page.locator(".chart-drawn canvas").count() >= 2
    shot(page, "office-stats")
    page.goto(url + "/office/complaints")
    page.click("text=退费未到账")
    shot(page, "office-complaint")
    page.goto(url + f"/office/bases/{base_a.id}")
    shot(page, "office-base")

    _login(phone_page, url, learner.email)
    phone_page.goto(url + "/me/audit")
    assert "市人社局 李科员" in phone_page.content()
    shot(phone_page, "learner-my-audit-phone")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
