"""Staff upload their base's seal in the browser; the learner sees it on the printable
certificate and downloads the certificate as an Open Badge (a VC-JWT)."""
import jwt

from ntbase.kernel.db import db
from ntbase.kernel.enums import Role
from tests.attendance.helpers import completed_certificate
from tests.bases.test_seal import seal_png
from tests.e2e.conftest import shot
from tests.factories import PASSWORD, make_base, make_learner, make_user


def _log_in(page, url, email):
    page.goto(url + "/account/login")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_seal_upload_printable_page_and_open_badge_download(live_server, page, phone_page, tmp_path):
    url = live_server.url
    base = make_base(name="南通职业大学", slug="ntvu-ob")
    make_user(Role.BASE_STAFF, base=base, email="staff@ob.ntbase")
    learner = make_learner(real_name="张晓明", email="zxm@ob.ntbase")
    db.session.commit()
    cert = completed_certificate(base, learner, title="专业技术人员公需科目：法治建设专题", hours="12")
    png = tmp_path / "seal.png"
    png.write_bytes(seal_png())

    _log_in(page, url, "staff@ob.ntbase")
    page.goto(f"{url}/manage/bases/{base.id}")
    page.click("#seal a.button")
    page.set_input_files("input[type=file]", str(png))
    page.click("main form[enctype] button[type=submit]")
    page.wait_for_load_state()
    assert "公章已保存" in page.inner_text(".flashes")
    assert page.locator("#seal-current img").evaluate("img => img.naturalWidth") == 300
    shot(page, "seal-upload")

    _log_in(phone_page, url, "zxm@ob.ntbase")
    phone_page.goto(f"{url}/me/certificates")
    assert "开放徽章" in phone_page.inner_text("#open-badge-help")
    shot(phone_page, "my-certificates-open-badge-390")
    with phone_page.expect_download() as info:
        phone_page.click(f"form[action='/certificates/{cert.id}/open-badge'] button")
    token = open(info.value.path()).read()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["issuer"]["name"] == "南通职业大学"

    phone_page.goto(f"{url}/certificates/{cert.id}")
    stamp = phone_page.locator(".issuer .seal-stamp")
    assert stamp.evaluate("img => img.complete && img.naturalWidth") == 300
    issuer = phone_page.locator(".issuer strong").bounding_box()
    box = stamp.bounding_box()
    # the stamp overlaps the issuer's name, as a seal on paper does
    assert box["y"] < issuer["y"] + issuer["height"] and box["y"] + box["height"] > issuer["y"]
    assert box["x"] < issuer["x"] + issuer["width"]
    shot(phone_page, "certificate-with-seal-390")
