"""Findings of the review of certificates (issue #5): each test failed before its fix, or
pins what the review checked (verification parity, CSRF, one valid certificate)."""
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ntbase.certificates import codes, services, signing
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError
from tests.attendance.helpers import completed_certificate


@pytest.fixture()
def cert(base_a, learner):
    return completed_certificate(base_a, learner, title="建设工程质量安全培训", hours="12")


# ------------------------------------------------------------ one valid certificate per enrollment

def _copy(cert: Certificate, **kw) -> Certificate:
    cols = {c.key: getattr(cert, c.key) for c in Certificate.__table__.columns if c.key != "id"}
    cols.update(code=codes.new_code(), **kw)
    return Certificate(**cols)


def test_database_refuses_a_second_valid_certificate_for_one_enrollment(cert):
    db.session.add(_copy(cert))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # a revoked one beside the valid one is the normal history of a reissue
    db.session.add(_copy(cert, state=CertificateState.REVOKED, revoked_reason="x"))
    db.session.flush()


def test_issue_racing_another_request_returns_its_certificate(cert, monkeypatch):
    from ntbase.enrollment.models import Enrollment

    enrollment = db.session.get(Enrollment, cert.enrollment_id)
    real = services.valid_certificate_of
    calls = []

    def not_yet(enrollment_id):  # the other request commits between our check and our insert
        calls.append(enrollment_id)
        return None if len(calls) == 1 else real(enrollment_id)

    monkeypatch.setattr(services, "valid_certificate_of", not_yet)
    again = services.issue_certificate(enrollment)
    assert again.id == cert.id and len(calls) == 2
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def _revoke_behind_the_sessions_back(cert):
    """Another request revoked it; this session still holds the object as valid."""
    db.session.execute(sa.update(Certificate).where(Certificate.id == cert.id)
                       .values(state=CertificateState.REVOKED, revoked_reason="其他人撤销")
                       .execution_options(synchronize_session=False))
    assert cert.state == CertificateState.VALID


def test_two_revocations_at_once_change_it_once(cert, office, staff_a):
    _revoke_behind_the_sessions_back(cert)
    with pytest.raises(DomainError):
        services.revoke_certificate(cert, "我的理由", staff_a)
    assert cert.state == CertificateState.REVOKED and cert.revoked_reason == "其他人撤销"


def test_two_reissues_at_once_leave_one_valid_certificate(cert, staff_a):
    _revoke_behind_the_sessions_back(cert)
    with pytest.raises(DomainError):
        services.reissue_certificate(cert, staff_a)
    # nothing was inserted: the other request's reissue is the only new certificate
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))
                             .where(Certificate.state == CertificateState.VALID)) == 0


def test_double_submitted_reissue_via_pages_makes_one_new_certificate(client, login, staff_a, cert):
    login(staff_a)
    assert client.post(f"/manage/certificates/{cert.id}/reissue").status_code == 302
    r = client.post(f"/manage/certificates/{cert.id}/reissue", follow_redirects=True)
    assert r.status_code == 200
    valid = db.session.scalars(sa.select(Certificate).where(
        Certificate.enrollment_id == cert.enrollment_id, Certificate.state == CertificateState.VALID)).all()
    assert len(valid) == 1


# ------------------------------------------------------------ verification

@pytest.mark.parametrize("kid", [{"a": 1}, [1], 7, None, "x" * 200])
def test_forged_payload_with_a_strange_key_id_is_forged_not_an_error(client, cert, kid):
    payload = json.loads(cert.payload)
    payload["kid"] = kid
    body = {"payload": json.dumps(payload), "signature": cert.signature}
    r = client.post("/api/v1/certificates/verify-signature", json=body)
    assert r.status_code == 200 and r.get_json()["signature"] == "forged"
    page = client.get("/verify", query_string={"p": signing.b64u(body["payload"].encode()), "s": cert.signature})
    assert page.status_code == 200 and 'id="signature-forged"' in page.get_data(as_text=True)


def test_a_qr_naming_another_code_shows_what_was_signed(client, cert, base_a):
    other = completed_certificate(base_a, title="另一门课", hours="6")
    url = services.qr_url(cert, "http://x").replace("http://x", "").replace(f"c={cert.code}", f"c={other.code}")
    html = client.get(url).get_data(as_text=True)
    assert "建设工程质量安全培训" in html and "另一门课" not in html


def test_wrong_check_character_costs_no_query_over_http(client, count_queries, app_ctx):
    code = codes.new_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    with count_queries() as q:
        assert client.get(f"/api/v1/certificates/{bad}").status_code == 422
        assert client.get("/verify", query_string={"code": bad}).status_code == 422
    assert q.count == 0


def test_unknown_and_known_codes_cost_the_same_statements(client, count_queries, cert):
    known_code, unknown_code = cert.code, codes.new_code()
    with count_queries() as known:
        client.get(f"/api/v1/certificates/{known_code}")
    with count_queries() as unknown:
        client.get(f"/api/v1/certificates/{unknown_code}")
    assert known.count == unknown.count == 1  # one UNION ALL of certificates and statements


def test_revoked_certificate_qr_api_says_revoked(client, cert, office):
    services.revoke_certificate(cert, "材料不实", office)
    db.session.commit()
    r = client.post("/api/v1/certificates/verify-signature",
                    json={"payload_b64": signing.b64u(cert.payload.encode()), "signature": cert.signature})
    body = r.get_json()
    assert body["signature"] == "genuine" and body["status"]["state"] == "revoked"
    assert body["status"]["revoked_at"]


def test_rate_limit_answer_is_in_chinese_with_retry_after(make_app, app_ctx):
    app = make_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="1 per minute")
    c = app.test_client()
    env = {"REMOTE_ADDR": "10.88.0.9"}
    c.get(f"/api/v1/certificates/{codes.new_code()}", environ_base=env)
    r = c.get(f"/api/v1/certificates/{codes.new_code()}", environ_base=env)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "请求过于频繁" in r.get_json()["message"]
    s = c.post("/api/v1/certificates/verify-signature", json={"payload": "{}", "signature": "x"}, environ_base=env)
    assert s.status_code == 429  # the signature check shares the budget


# ------------------------------------------------------------ CSRF

def test_forged_manage_posts_without_csrf_token_change_nothing(make_app, cert, staff_a):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = str(staff_a.id), True
        for action, data in (("revoke", {"reason": "x"}), ("name", {"holder_name": "李四"}), ("reissue", {})):
            assert c.post(f"/manage/certificates/{cert.id}/{action}", data=data).status_code == 400, action
    db.session.expire_all()
    assert cert.state == CertificateState.VALID and cert.holder_name == "张晓明"
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1


def test_english_pdf_reads_as_an_english_sentence(client, login, cert, learner, tmp_path):
    import subprocess

    login(learner)
    path = tmp_path / "en.pdf"
    path.write_bytes(client.get(f"/certificates/{cert.id}.pdf?lang=en").data)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "12 hours of public subject study" in text


def test_a_visitors_look_up_opens_no_transaction_and_sees_a_revocation_at_once(make_app, cert, office):
    """The API look-up of a visitor runs on an autocommit connection (no BEGIN/COMMIT round
    trips around its one query), still uncached: a revocation shows on the next request."""
    from sqlalchemy.orm import Session

    db.session.commit()
    code = cert.code
    app = make_app()
    begins = []

    def began(session, _tx, _conn):
        begins.append(session)

    sa.event.listen(Session, "after_begin", began)
    try:
        with app.app_context():
            c = app.test_client()
            assert c.get(f"/api/v1/certificates/{code}").get_json()["state"] == "valid"
            assert begins == [], "the request's session never began a transaction"
        services.revoke_certificate(db.session.get(Certificate, cert.id), "材料不实", office)
        db.session.commit()
        with app.app_context():
            assert app.test_client().get(f"/api/v1/certificates/{code}").get_json()["state"] == "revoked"
    finally:
        sa.event.remove(Session, "after_begin", began)


def test_a_logged_in_look_up_opens_no_transaction_either(make_app, cert, learner, count_begins, count_queries):
    """The session user is attached to the request's session without a transaction on a
    connection, so the look-up after it still reads on an autocommit connection: two
    statements (the user, the code), no BEGIN."""
    db.session.commit()
    code, uid = cert.code, learner.id
    app = make_app()
    with app.app_context():
        c = app.test_client()
        with c.session_transaction() as s:
            s["_user_id"] = str(uid)
        db.session.remove()
        with count_begins() as began, count_queries() as q:
            r = c.get(f"/api/v1/certificates/{code}")
        assert r.get_json()["state"] == "valid"
        assert began == [] and q.count == 2, q.statements
