import subprocess

import pytest
import sqlalchemy as sa

from ntbase.certificates import codes, services, signing
from ntbase.kernel.db import db
from ntbase.verification import lookup
from tests.attendance.helpers import completed_certificate, login_as


@pytest.fixture()
def cert(base_a, learner):
    return completed_certificate(base_a, learner, title="建设工程质量安全培训", hours="12")


# ------------------------------------------------------------ /verify page

def test_verify_page_valid(client, cert):
    r = client.get("/verify", query_string={"code": codes.display(cert.code).lower()})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-state="valid"' in html
    for text in ("张**", "建设工程质量安全培训", "甲基地", "12", cert.start_date.isoformat()):
        assert text in html
    assert "张晓明" not in html


def test_verify_page_unknown_and_malformed(client, app_ctx):
    code = codes.new_code()
    html = client.get("/verify", query_string={"code": code}).get_data(as_text=True)
    assert 'data-state="unknown"' in html
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = client.get("/verify", query_string={"code": bad})
    assert r.status_code == 422 and 'id="code-err"' in r.get_data(as_text=True)
    assert "校验位不符" in r.get_data(as_text=True)  # a one-character typo: the check character (#15.10)
    assert client.get("/verify").status_code == 200


def test_revoked_is_never_shown_valid(client, cert, office):
    services.revoke_certificate(cert, "材料不实", office)
    db.session.commit()
    html = client.get("/verify", query_string={"code": cert.code}).get_data(as_text=True)
    assert 'data-state="revoked"' in html and 'data-state="valid"' not in html
    assert cert.revoked_at.date().isoformat() in html
    body = client.get(f"/api/v1/certificates/{cert.code}").get_json()
    assert body["state"] == "revoked" and body["revoked_at"].startswith(cert.revoked_at.date().isoformat())
    # even arriving with a genuine QR signature, the page says revoked
    url = services.qr_url(cert, "http://localhost")
    html = client.get(url.replace("http://localhost", "")).get_data(as_text=True)
    assert 'id="signature-genuine"' in html and 'data-state="revoked"' in html and 'data-state="valid"' not in html


def test_verify_page_from_qr_genuine_and_forged(client, cert):
    url = services.qr_url(cert, "http://localhost").replace("http://localhost", "")
    html = client.get(url).get_data(as_text=True)
    assert 'id="signature-genuine"' in html and 'data-state="valid"' in html
    forged_payload = cert.payload.replace('"hours":"12.0"', '"hours":"90.0"')
    html = client.get("/verify", query_string={"c": cert.code, "p": signing.b64u(forged_payload.encode()),
                                               "s": cert.signature}).get_data(as_text=True)
    assert 'id="signature-forged"' in html and 'data-state="valid"' not in html


# ------------------------------------------------------------ API

def test_api_same_shape_for_known_and_unknown(client, cert):
    known = client.get(f"/api/v1/certificates/{codes.display(cert.code)}")
    unknown = client.get(f"/api/v1/certificates/{codes.new_code()}")
    assert known.status_code == unknown.status_code == 200
    k, u = known.get_json(), unknown.get_json()
    assert set(k) == set(u)
    assert k["state"] == "valid" and k["course_title"] == "建设工程质量安全培训" and k["hours"] == "12.0"
    assert u["state"] == "unknown" and u["course_title"] is None
    bad = client.get("/api/v1/certificates/ABCDE-ABCDE-ABCDE")
    assert bad.status_code == 422 and bad.get_json()["state"] == "malformed" and bad.get_json()["message"]


def test_api_verify_signature(client, cert):
    ok = client.post("/api/v1/certificates/verify-signature",
                     json={"payload_b64": signing.b64u(cert.payload.encode()), "signature": cert.signature})
    assert ok.status_code == 200 and ok.get_json()["signature"] == "genuine"
    assert ok.get_json()["status"]["state"] == "valid" and ok.get_json()["payload"]["code"] == cert.code
    forged = client.post("/api/v1/certificates/verify-signature",
                         json={"payload": cert.payload.replace("甲基地", "乙基地"), "signature": cert.signature})
    assert forged.get_json()["signature"] == "forged" and forged.get_json()["status"] is None
    missing = client.post("/api/v1/certificates/verify-signature", json={"signature": "x"})
    assert missing.status_code == 422
    assert client.post("/api/v1/certificates/verify-signature", data="nope").status_code == 400


def test_openapi_documents_the_endpoints(client, app_ctx):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/certificates/{code}"]
    assert "post" in paths["/api/v1/certificates/verify-signature"]


@pytest.fixture()
def limited(make_app, app_ctx):
    from ntbase.kernel.extensions import limiter

    was = limiter.enabled
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    yield app
    # the limiter is one global object: leave it as the other tests expect it
    limiter.reset()
    limiter.enabled = was


def test_burst_of_lookups_gets_429_with_retry_time(limited):
    c = limited.test_client()
    env = {"REMOTE_ADDR": "10.77.0.1"}
    statuses = [c.get(f"/api/v1/certificates/{codes.new_code()}", environ_base=env).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    r = c.get(f"/api/v1/certificates/{codes.new_code()}", environ_base=env)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.get_json()["message"]
    # the page shares the budget with the API
    page = c.get("/verify", query_string={"code": codes.new_code()}, environ_base=env)
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "请求过于频繁" in page.get_data(as_text=True)
    # opening the empty form is not a look-up
    assert c.get("/verify", environ_base=env).status_code == 200
    # another client has its own budget
    assert c.get(f"/api/v1/certificates/{codes.new_code()}",
                 environ_base={"REMOTE_ADDR": "10.77.0.2"}).status_code == 200


# ------------------------------------------------------------ documents

def test_pdf_has_chinese_name_and_course(client, login, cert, learner, tmp_path):
    login(learner)
    r = client.get(f"/certificates/{cert.id}.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    path = tmp_path / "c.pdf"
    path.write_bytes(r.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "张晓明" in text and "建设工程质量安全培训" in text and "培训合格证明" in text
    assert codes.display(cert.code) in text and learner.profile.id_number_masked in text
    assert learner.profile.id_number not in text
    en = client.get(f"/certificates/{cert.id}.pdf?lang=en")
    path.write_bytes(en.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Certificate of Training Completion" in text and "张晓明" in text


def test_printable_page(client, login, cert, learner):
    login(learner)
    html = client.get(f"/certificates/{cert.id}").get_data(as_text=True)
    assert "张晓明" in html and "<svg" in html and codes.display(cert.code) in html
    from flask_babel import refresh

    refresh()  # tests share one app context: forget the locale cached by the last request
    html = client.get(f"/certificates/{cert.id}?lang=en").get_data(as_text=True)
    assert "Certificate of Training Completion" in html and "Training dates" in html


def test_my_certificates_with_share_link(client, login, cert, learner, base_a, count_queries):
    login(learner)
    html = client.get("/me/certificates").get_data(as_text=True)
    assert codes.display(cert.code) in html and f"/verify?code={codes.display(cert.code)}" in html
    assert f"/certificates/{cert.id}.pdf" in html
    db.session.expire_all()
    with count_queries() as q1:
        client.get("/me/certificates")
    for _ in range(3):
        completed_certificate(base_a, learner)
    db.session.expire_all()
    with count_queries() as q4:
        html = client.get("/me/certificates").get_data(as_text=True)
    assert html.count("Download PDF") + html.count("下载 PDF") >= 4 or html.count(".pdf") >= 4
    assert q4.count == q1.count


def test_base_list_and_search(client, login, staff_a, cert, base_a, count_queries):
    login(staff_a)
    url = f"/manage/bases/{base_a.id}/certificates"
    assert codes.display(cert.code) in client.get(url).get_data(as_text=True)
    assert codes.display(cert.code) in client.get(url, query_string={"q": cert.code.lower()}).get_data(as_text=True)
    assert codes.display(cert.code) not in client.get(url, query_string={"q": "不存在"}).get_data(as_text=True)
    db.session.expire_all()
    with count_queries() as q1:
        client.get(url)
    for _ in range(3):
        completed_certificate(base_a)
    db.session.expire_all()
    with count_queries() as q4:
        client.get(url)
    assert q4.count == q1.count


def test_manage_revoke_correct_reissue_via_pages(client, login, staff_a, cert):
    login(staff_a)
    base = f"/manage/certificates/{cert.id}"
    assert client.get(base).status_code == 200
    r = client.post(base + "/name", data={"holder_name": "张小明"})
    assert r.status_code == 302
    db.session.expire_all()
    assert cert.holder_name == "张小明" and signing.verify(cert.payload, cert.signature)
    r = client.post(base + "/revoke", data={"reason": ""})
    assert r.status_code == 422 and 'id="reason-err"' in r.get_data(as_text=True)
    r = client.post(base + "/reissue")
    assert r.status_code == 302
    db.session.expire_all()
    from ntbase.certificates.models import Certificate

    new = db.session.scalar(sa.select(Certificate).where(Certificate.replaces_id == cert.id))
    assert new is not None and cert.state.value == "revoked"
    r = client.post(f"/manage/certificates/{new.id}/revoke", data={"reason": "重复发放"})
    assert r.status_code == 302
    db.session.expire_all()
    assert new.state.value == "revoked" and new.revoked_reason == "重复发放"


# ------------------------------------------------------------ access

def _urls(cert, base_id):
    return [("get", f"/certificates/{cert.id}"), ("get", f"/certificates/{cert.id}.pdf"),
            ("get", f"/manage/certificates/{cert.id}"), ("post", f"/manage/certificates/{cert.id}/revoke"),
            ("post", f"/manage/certificates/{cert.id}/name"), ("post", f"/manage/certificates/{cert.id}/reissue"),
            ("get", f"/manage/bases/{base_id}/certificates")]


def test_staff_of_another_base_get_403_everywhere(client, login, staff_b, cert, base_a):
    login(staff_b)
    for method, url in _urls(cert, base_a.id):
        r = getattr(client, method)(url, data={"reason": "x", "holder_name": "李四"})
        assert r.status_code == 403, url
    db.session.expire_all()
    assert cert.state.value == "valid" and cert.holder_name == "张晓明"


def test_other_learner_gets_403(client, login, cert, base_a):
    from tests.factories import make_learner

    other = make_learner()
    db.session.commit()
    login(other)
    for method, url in _urls(cert, base_a.id):
        assert getattr(client, method)(url, data={"reason": "x"}).status_code == 403, url


def test_holder_reads_but_cannot_manage(client, login, cert, learner):
    login(learner)
    assert client.get(f"/certificates/{cert.id}").status_code == 200
    assert client.get(f"/manage/certificates/{cert.id}").status_code == 403
    assert client.post(f"/manage/certificates/{cert.id}/revoke", data={"reason": "x"}).status_code == 403


def test_office_manages_any_base(client, login, office, cert, base_a):
    login(office)
    assert client.get(f"/manage/certificates/{cert.id}").status_code == 200
    assert client.get(f"/manage/bases/{base_a.id}/certificates").status_code == 200
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 200


def test_me_certificates_is_for_learners(client, login, staff_a, app_ctx):
    assert client.get("/me/certificates").status_code == 302
    login_as(login, staff_a)
    assert client.get("/me/certificates").status_code == 403


# ------------------------------------------------------------ well-known documents

def test_well_known_keys_and_revocations(client, cert, office):
    services.revoke_certificate(cert, "错误", office)
    db.session.commit()
    keys = client.get("/.well-known/ntbase-keys.json")
    assert keys.status_code == 200 and keys.is_json
    assert cert.key_id in {k["kid"] for k in keys.get_json()["keys"]}
    rev = client.get("/.well-known/ntbase-revocations.json").get_json()
    assert [r["code"] for r in rev["list"]["revoked"]] == [cert.code]
    assert signing.verify(signing.canonical_json(rev["list"]), rev["signature"], rev["kid"])
    missing = client.get("/.well-known/nothing-here.json")
    assert missing.status_code == 404 and missing.is_json


# ------------------------------------------------------------ CLI and demo

def test_cli_keys_create_and_rotate(app_ctx):
    runner = app_ctx.test_cli_runner()
    r = runner.invoke(args=["ntbase", "keys", "create"])
    assert r.exit_code == 0 and "created" in r.output
    r = runner.invoke(args=["ntbase", "keys", "create"])
    assert "already" in r.output
    first = signing.active_key(create=False).kid
    r = runner.invoke(args=["ntbase", "keys", "rotate"])
    assert r.exit_code == 0 and first in r.output
    db.session.expire_all()
    assert signing.active_key(create=False).kid != first
    r = runner.invoke(args=["ntbase", "keys", "list"])
    assert first in r.output and "retired" in r.output


def test_demo_skips_without_data_and_builds_a_certificate_once(app_ctx, base_a):
    from ntbase.attendance import demo
    from ntbase.certificates.models import Certificate
    from tests.attendance.helpers import past_course
    from tests.factories import make_learner

    demo.load()  # no demo learner: nothing
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    make_learner(real_name="张晓明", email="learner@demo.ntbase")
    demo.load()  # no course: nothing
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 0
    past_course(base_a, status="published")
    demo.load()
    demo.load()
    certs = db.session.scalars(sa.select(Certificate)).all()
    assert len(certs) == 1 and certs[0].holder_name == "张晓明"
    assert lookup.verify_code(certs[0].code).state == "valid"
