"""Office API: hashed, scoped, expiring, revocable tokens; bulk verification; person assessment."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ntbase.kernel.audit import AuditLog
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.office import tokens
from ntbase.office.tokens.models import ApiToken
from tests.office.helpers import add_entry, make_certificate


def _token(owner, scopes=("verify:bulk", "person:read"), days=30):
    token, secret = tokens.create_token(owner, "职称申报系统", list(scopes), days)
    db.session.commit()
    return token, {"Authorization": f"Bearer {secret}"}


def test_token_is_stored_hashed(app_ctx, office):
    token, headers = _token(office)
    secret = headers["Authorization"][7:]
    assert token.token_hash == tokens.hash_token(secret) and secret not in token.token_hash
    assert token.prefix == secret[:12] and len(secret) > 40
    with pytest.raises(DomainError):
        tokens.create_token(office, "x", ["admin:everything"], 30)


def test_learners_cannot_create_tokens(app_ctx, learner):
    with pytest.raises(DomainError):
        tokens.create_token(learner, "x", ["verify:bulk"], 30)


def test_verify_bulk(client, office, learner, base_a):
    cert = make_certificate(learner, base_a)
    _t, headers = _token(office)
    resp = client.post("/api/v1/office/verify-bulk", headers=headers, json={
        "codes": [cert.code, "BAD"], "items": [{"code": cert.code, "name": "别人"}]})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["count"] == 3
    assert [r["result"] for r in body["results"]] == ["valid", "malformed", "name_mismatch"]
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api.verify_bulk"))
    assert row.actor_id == office.id and "3 codes" in row.detail


def test_verify_bulk_limits_size(client, office):
    _t, headers = _token(office)
    resp = client.post("/api/v1/office/verify-bulk", headers=headers, json={"codes": ["X"] * 10_001})
    assert resp.status_code == 422


def test_scope_expiry_and_revocation(client, office):
    token, headers = _token(office, scopes=("verify:bulk",))
    r = client.post("/api/v1/office/person-assessment", headers=headers, json={"id_number": "1" * 18})
    assert r.status_code == 403
    token.expires_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert client.post("/api/v1/office/verify-bulk", headers=headers, json={"codes": []}).status_code == 401
    token2, headers2 = _token(office)
    tokens.revoke_token(token2.id, office)
    db.session.commit()
    r = client.post("/api/v1/office/verify-bulk", headers=headers2, json={"codes": []})
    assert r.status_code == 401 and r.get_json()["error"] == "unauthorized"
    assert client.post("/api/v1/office/verify-bulk", headers={"Authorization": "Bearer nope"},
                       json={"codes": []}).status_code == 401


def test_office_session_without_token_is_401(client, login, office):
    login(office)
    assert client.post("/api/v1/office/verify-bulk", json={"codes": []}).status_code == 401


def test_person_assessment_by_id_in_body_is_audited(client, office, learner):
    add_entry(learner, year=2021, hours="24", category="public")
    add_entry(learner, year=2021, hours="66", category="specialized")
    db.session.commit()
    _t, headers = _token(office)
    resp = client.post("/api/v1/office/person-assessment", headers=headers,
                       json={"id_number": learner.profile.id_number, "year": 2021})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id_number_masked"] == learner.profile.id_number_masked
    assert learner.profile.id_number not in resp.get_data(as_text=True)
    assert body["years"][0]["year"] == 2021 and body["years"][0]["complies"] is True
    row = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "api.person_assessment"))
    assert row.subject_user_id == learner.id and row.actor_label.endswith("API: 职称申报系统")
    assert row.actor_id == office.id and row.object_type == "api_token"


def test_person_assessment_refuses_partial_id_without_logging(client, office, learner):
    _t, headers = _token(office)
    resp = client.post("/api/v1/office/person-assessment", headers=headers,
                       json={"id_number": learner.profile.id_number[:10]})
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action.like("person.%"))) == 0


def test_person_assessment_unknown_is_404_and_logged(client, office):
    from tests.factories import valid_id_number

    _t, headers = _token(office)
    resp = client.post("/api/v1/office/person-assessment", headers=headers, json={"id_number": valid_id_number(555)})
    assert resp.status_code == 404
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "person.lookup_miss"))


def test_openapi_documents_the_office_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/office/verify-bulk", "/api/v1/office/person-assessment"):
        op = doc["paths"][path]["post"]
        assert op["security"] == [{"bearerToken": []}]
        assert "requestBody" in op
    assert not any("id_number" in p for p in doc["paths"])


def test_token_page_shows_the_secret_once(client, login, office):
    login(office)
    resp = client.post("/office/tokens", data={"name": "人社系统", "scopes": ["verify:bulk"], "days": "30"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    html = resp.get_data(as_text=True)
    token = db.session.scalar(sa.select(ApiToken))
    secret = html.split('class="secret mono">')[1].split("<")[0]
    assert tokens.hash_token(secret) == token.token_hash
    assert secret not in client.get("/office/tokens").get_data(as_text=True)
    resp = client.post(f"/office/tokens/{token.id}/revoke")
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None


def test_officer_cannot_revoke_a_colleagues_token(client, login, office):
    from ntbase.kernel.enums import Role
    from tests.factories import make_user

    colleague = make_user(Role.OFFICE)
    token, _h = _token(colleague)
    login(office)
    assert client.post(f"/office/tokens/{token.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_rate_limit(make_app, app_ctx, office):
    app = make_app(RATELIMIT_ENABLED=True)
    c = app.test_client()
    _t, headers = _token(office)
    codes = [c.post("/api/v1/office/person-assessment", headers=headers, json={"id_number": "1"}).status_code
             for _ in range(61)]
    assert codes[-1] == 429 and 429 not in codes[:60]


# ---------------------------------------------------------------- review fixes
def test_every_token_expires(client, login, office):
    with pytest.raises(DomainError) as exc:
        tokens.create_token(office, "x", ["verify:bulk"], None)
    assert exc.value.field == "days"
    login(office)
    resp = client.post("/office/tokens", data={"name": "人社系统", "scopes": ["verify:bulk"], "days": ""})
    assert resp.status_code == 422 and 'id="days-err"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_token_page_labels_and_empty_state(client, login, office):
    login(office)
    html = client.get("/office/tokens").get_data(as_text=True)
    assert "令牌名称" in html and "还没有令牌" in html
    assert '<label for="name">姓名' not in html


def test_made_up_tokens_do_not_escape_the_rate_limit(make_app, app_ctx):
    """Each invented token has its own per-token key: the per-address limit still applies."""
    app = make_app(RATELIMIT_ENABLED=True, OFFICE_API_ADDRESS_LIMIT="20 per minute")
    c = app.test_client()
    codes = [c.post("/api/v1/office/person-assessment", headers={"Authorization": f"Bearer guess-{i}"},
                    json={"id_number": "1"}).status_code for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
