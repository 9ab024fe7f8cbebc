"""Open Badges 3.0 credentials: schema, an independent signature check through did.json,
the Bitstring Status List, and who may download them.

The site signs with ``cryptography`` and hand-built JOSE; every check here goes through
PyJWT instead (its own base64url, JSON and JWS parsing), with the key taken from the served
``/.well-known/did.json`` — never from the database or ``signing``."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import jsonschema
import jwt
import pytest
import sqlalchemy as sa

from ntbase.certificates import did_web, services, signing, status_list
from ntbase.certificates.status_list import LIST_SIZE, StatusListEntry
from ntbase.kernel.db import db
from tests import factories
from tests.attendance.helpers import completed_certificate, login_as

SCHEMA_PATH = Path(__file__).parent / "schemas" / "ob_v3p0_achievementcredential_schema.json"
SCHEMA_SHA256 = "b7358e895f492e74055dc6bfc7ffc420d0e497f90c4579fb83d9519b86d393ea"


@pytest.fixture(scope="module")
def ob_schema():
    raw = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "schema changed: see schemas/README.md"
    schema = json.loads(raw)
    jsonschema.Draft201909Validator.check_schema(schema)
    return schema


def assert_valid(schema, credential):
    validator = jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(credential), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors)


@pytest.fixture()
def cert(base_a, learner):
    return completed_certificate(base_a, learner, title="建设工程质量安全培训", hours="12")


def download(client, cert_id: int):
    return client.post(f"/certificates/{cert_id}/open-badge")


def unverified_claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def resolve_key(client, kid: str) -> jwt.PyJWK:
    """Dereference a JOSE ``kid`` (a did:web DID URL) through the served DID document."""
    did, _, _fragment = kid.partition("#")
    assert did.startswith("did:web:")
    doc = client.get("/.well-known/did.json").get_json()
    assert doc["id"] == did
    method = next(m for m in doc["verificationMethod"] if m["id"] == kid)
    assert method["controller"] == did and kid in doc["assertionMethod"]
    assert "d" not in method["publicKeyJwk"]
    return jwt.PyJWK(method["publicKeyJwk"], algorithm="EdDSA")


def verify(client, token: str) -> dict:
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    claims = jwt.decode(token, resolve_key(client, header["kid"]), algorithms=["EdDSA"],
                        options={"require": ["iss", "jti", "nbf"]})
    issuer = claims["issuer"]
    assert claims["iss"] == (issuer["id"] if isinstance(issuer, dict) else issuer)
    assert claims["jti"] == claims["id"]
    return claims


def status_bit(client, entry: dict) -> int:
    """Fetch the entry's status list credential, verify it, decode the bitstring, read the bit."""
    assert entry["type"] == "BitstringStatusListEntry" and entry["statusPurpose"] == "revocation"
    url = entry["statusListCredential"]
    r = client.get(url.replace("http://localhost", ""))
    assert r.status_code == 200 and r.mimetype == "application/vc+jwt"
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    listed = verify(client, r.get_data(as_text=True))
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"] and listed["id"] == url
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) >= 16 * 1024
    index = int(entry["statusListIndex"])
    return (bits[index // 8] >> (7 - index % 8)) & 1


# ------------------------------------------------------------ the certificate credential

def test_certificate_credential_validates_against_the_ob3_schema(client, login, cert, learner, ob_schema):
    login_as(login, learner)
    r = download(client, cert.id)
    assert r.status_code == 200 and r.mimetype == "application/vc+jwt"
    assert r.headers["Content-Disposition"] == f'attachment; filename="certificate-{cert.code}.jwt"'
    token = r.get_data(as_text=True)
    credential = unverified_claims(token)
    assert_valid(ob_schema, credential)

    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "did:web:localhost" and credential["issuer"]["name"] == "甲基地"
    assert credential["validFrom"] == cert.issued_at.isoformat() + "+08:00"
    subject = credential["credentialSubject"]
    assert "id" not in subject and subject["type"] == ["AchievementSubject"]
    achievement = subject["achievement"]
    assert achievement["name"] == "建设工程质量安全培训" and "建设工程质量安全培训" in achievement["criteria"]["narrative"]
    assert achievement["achievementType"] == "CertificateOfCompletion" and "public" in achievement["tag"]
    assert subject["result"][0]["value"] == "12.0"
    assert subject["result"][0]["resultDescription"] == achievement["resultDescription"][0]["id"]
    assert credential["credentialSchema"][0]["id"].endswith("ob_v3p0_achievementcredential_schema.json")


def test_holder_is_identified_by_a_salted_hash_never_the_id_number(client, login, cert, learner):
    login_as(login, learner)
    token = download(client, cert.id).get_data(as_text=True)
    id_number = learner.profile.id_number
    decoded = json.dumps(unverified_claims(token), ensure_ascii=False)
    assert id_number not in decoded and id_number not in token and "张晓明" not in decoded
    ident = next(i for i in unverified_claims(token)["credentialSubject"]["identifier"]
                 if i["identityType"] == "nationalIdentityNumber")
    assert ident["hashed"] is True and ident["salt"]
    # a verifier shown the ID card recomputes the hash
    assert ident["identityHash"] == "sha256$" + hashlib.sha256((id_number + ident["salt"]).encode()).hexdigest()


def test_signature_verifies_independently_through_did_json(client, login, cert, learner):
    login_as(login, learner)
    token = download(client, cert.id).get_data(as_text=True)
    claims = verify(client, token)
    assert claims["credentialSubject"]["achievement"]["name"] == "建设工程质量安全培训"
    assert jwt.get_unverified_header(token)["kid"] == f"did:web:localhost#{cert.key_id}"


def test_tampered_credential_fails(client, login, cert, learner):
    login_as(login, learner)
    token = download(client, cert.id).get_data(as_text=True)
    head, payload, sig = token.split(".")
    claims = unverified_claims(token)
    claims["credentialSubject"]["result"][0]["value"] = "90.0"
    forged = signing.b64u(json.dumps(claims, ensure_ascii=False).encode())
    key = resolve_key(client, jwt.get_unverified_header(token)["kid"])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{forged}.{sig}", key, algorithms=["EdDSA"])
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{payload}.{flipped}", key, algorithms=["EdDSA"])


def test_old_credentials_verify_after_key_rotation(client, login, cert, learner):
    login_as(login, learner)
    old = download(client, cert.id).get_data(as_text=True)
    old_kid = jwt.get_unverified_header(old)["kid"]
    signing.rotate_key()
    db.session.commit()
    new = download(client, cert.id).get_data(as_text=True)
    assert jwt.get_unverified_header(new)["kid"] != old_kid
    assert verify(client, old)["id"] == verify(client, new)["id"]
    doc = client.get("/.well-known/did.json").get_json()
    assert len(doc["verificationMethod"]) == db.session.scalar(sa.select(sa.func.count()).select_from(
        signing.SigningKey))


# ------------------------------------------------------------ revocation by status list

def test_revoked_certificate_shows_revoked_by_its_status_list(client, login, cert, base_a, learner, office):
    other = completed_certificate(base_a, learner, title="另一门课")
    login_as(login, learner)
    credential = unverified_claims(download(client, cert.id).get_data(as_text=True))
    other_credential = unverified_claims(download(client, other.id).get_data(as_text=True))
    entry, other_entry = credential["credentialStatus"], other_credential["credentialStatus"]
    assert entry["statusListIndex"] != other_entry["statusListIndex"]
    assert status_bit(client, entry) == 0 and status_bit(client, other_entry) == 0

    services.revoke_certificate(cert, "材料不实", office)
    db.session.commit()
    assert status_bit(client, entry) == 1
    assert status_bit(client, other_entry) == 0
    # and the site hands out no new credential for it
    r = download(client, cert.id)
    assert r.status_code == 302 and r.mimetype != "application/vc+jwt"


def test_reissue_sets_the_old_bit_and_gives_the_new_certificate_its_own(client, login, cert, learner, staff_a):
    login_as(login, learner)
    old_entry = unverified_claims(download(client, cert.id).get_data(as_text=True))["credentialStatus"]
    new = services.reissue_certificate(cert, staff_a)
    db.session.commit()
    new_entry = unverified_claims(download(client, new.id).get_data(as_text=True))["credentialStatus"]
    assert status_bit(client, old_entry) == 1 and status_bit(client, new_entry) == 0


def test_status_index_is_stable_across_downloads(client, login, cert, learner):
    login_as(login, learner)
    first = unverified_claims(download(client, cert.id).get_data(as_text=True))
    second = unverified_claims(download(client, cert.id).get_data(as_text=True))
    assert first["credentialStatus"] == second["credentialStatus"] and first["id"] == second["id"]
    rows = db.session.scalars(sa.select(StatusListEntry).where(StatusListEntry.certificate_id == cert.id)).all()
    assert len(rows) == 1 and str(rows[0].list_index) == first["credentialStatus"]["statusListIndex"]
    assert first["credentialStatus"]["id"] == f"{first['credentialStatus']['statusListCredential']}#{rows[0].list_index}"


def test_a_drawn_slot_already_taken_is_drawn_again(cert, base_a, monkeypatch):
    other = completed_certificate(base_a)
    draws = iter([7, 7, 8])
    monkeypatch.setattr(status_list.secrets, "randbelow", lambda n: next(draws))
    assert status_list.assign_entry(cert).list_index == 7
    assert status_list.assign_entry(other).list_index == 8
    assert status_list.assign_entry(cert).list_index == 7  # its own entry, not a new draw


def test_a_new_list_opens_when_the_newest_is_half_full(cert, base_a, monkeypatch):
    monkeypatch.setattr(status_list, "FILL_LIMIT", 1)
    first = status_list.assign_entry(cert)
    second = status_list.assign_entry(completed_certificate(base_a))
    assert (first.list_id, second.list_id) == (1, 2)
    assert status_list.list_exists(2) and not status_list.list_exists(3)


def test_encoded_list_is_16kib_msb_first():
    encoded = status_list.encode_bits([0, 9, LIST_SIZE - 1])
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(bits) == 16 * 1024 and "=" not in encoded
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01 and sum(bits) == 0x80 + 0x40 + 0x01


def test_status_list_unknown_is_404_and_a_get_never_creates_a_key(client, app_ctx):
    assert client.get("/credentials/status/2").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(signing.SigningKey)) == 0
    assert client.get("/credentials/status/1").status_code == 503
    assert db.session.scalar(sa.select(sa.func.count()).select_from(signing.SigningKey)) == 0


# ------------------------------------------------------------ who may download

def test_only_the_holder_and_who_manages_it_may_download(client, login, cert, learner, staff_a, staff_b, office):
    stranger = factories.make_learner(real_name="李四")
    db.session.commit()
    r = download(client, cert.id)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    for user, status in ((stranger, 404), (staff_b, 404), (learner, 200), (staff_a, 200), (office, 200)):
        login_as(login, user)
        assert download(client, cert.id).status_code == status, user.role
    assert download(client, 999999).status_code == 404


def test_download_needs_the_csrf_token(make_app, login, cert, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    c = app.test_client()
    with app.app_context():
        login(learner, c)
        assert c.post(f"/certificates/{cert.id}/open-badge").status_code == 400


def test_mine_offers_the_download_with_an_explanation(client, login, cert, learner):
    login_as(login, learner)
    html = client.get("/me/certificates").get_data(as_text=True)
    assert f'action="/certificates/{cert.id}/open-badge"' in html and 'method="post"' in html
    assert 'id="open-badge-help"' in html


# ------------------------------------------------------------ did:web

@pytest.mark.parametrize(("url", "did"), [
    ("https://ntbase.nantong.example", "did:web:ntbase.nantong.example"),
    ("http://localhost:5000/", "did:web:localhost%3A5000"),
    ("https://example.cn:8443/ntbase/", "did:web:example.cn%3A8443:ntbase"),
])
def test_did_web_from_base_url(url, did):
    assert did_web.did_for_url(url) == did


def test_public_base_url_names_the_did(client, login, cert, learner, app):
    app.config["PUBLIC_BASE_URL"] = "https://ntbase.nantong.example:8443"
    try:
        login_as(login, learner)
        token = download(client, cert.id).get_data(as_text=True)
        doc = client.get("/.well-known/did.json").get_json()
    finally:
        app.config["PUBLIC_BASE_URL"] = ""
    claims = unverified_claims(token)
    assert claims["issuer"]["id"] == doc["id"] == "did:web:ntbase.nantong.example%3A8443"
    assert claims["credentialStatus"]["statusListCredential"] == "https://ntbase.nantong.example:8443/credentials/status/1"
    assert jwt.get_unverified_header(token)["kid"].startswith("did:web:ntbase.nantong.example%3A8443#")


def test_did_document_lists_every_key_as_jwk(client, cert):
    signing.rotate_key()
    db.session.commit()
    r = client.get("/.well-known/did.json")
    doc = r.get_json()
    assert r.mimetype == "application/did+json" and doc["@context"][0] == "https://www.w3.org/ns/did/v1"
    kids = {m["publicKeyJwk"]["kid"] for m in doc["verificationMethod"]}
    assert cert.key_id in kids and len(kids) == 2
    for m in doc["verificationMethod"]:
        assert m["type"] == "JsonWebKey" and m["publicKeyJwk"]["crv"] == "Ed25519" and "d" not in m["publicKeyJwk"]
    assert client.get("/did.json").get_json() == doc


# ------------------------------------------------------------ the yearly statement

@pytest.fixture()
def statement(learner, cert):
    from ntbase.hours.statements import issue_statement

    st = issue_statement(learner.id, cert.year)
    db.session.commit()
    return st


def test_statement_credential_validates_and_verifies(client, login, learner, statement, ob_schema):
    login_as(login, learner)
    r = client.post(f"/hours/statements/{statement.id}/open-badge")
    assert r.status_code == 200 and r.mimetype == "application/vc+jwt"
    token = r.get_data(as_text=True)
    claims = verify(client, token)
    assert_valid(ob_schema, claims)
    assert "credentialStatus" not in claims  # statements cannot be withdrawn
    achievement = claims["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "ext:YearlyHoursStatement" and str(statement.year) in achievement["name"]
    results = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in claims["credentialSubject"]["result"]}
    assert results == {"counted": str(statement.counted_total), "public": str(statement.public_hours),
                       "verdict": "complies" if statement.complies else "does_not_comply"}
    assert learner.profile.id_number not in json.dumps(claims)


def test_statement_download_access(client, login, learner, statement, staff_a, office):
    stranger = factories.make_learner(real_name="李四")
    db.session.commit()
    for user, status in ((stranger, 404), (staff_a, 404), (office, 200), (learner, 200)):
        login_as(login, user)
        assert client.post(f"/hours/statements/{statement.id}/open-badge").status_code == status, user.role
    html = client.get(f"/hours/statements/{statement.id}").get_data(as_text=True)
    assert f'action="/hours/statements/{statement.id}/open-badge"' in html


def test_the_schema_check_catches_a_broken_credential(client, login, cert, learner, ob_schema):
    login_as(login, learner)
    good = unverified_claims(download(client, cert.id).get_data(as_text=True))
    validator = jsonschema.Draft201909Validator(ob_schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
    for broken in (
        {k: v for k, v in good.items() if k != "validFrom"},
        dict(good, type=["VerifiableCredential"]),
        dict(good, **{"@context": ["https://www.w3.org/2018/credentials/v1"]}),
        dict(good, validFrom="yesterday"),
    ):
        assert not validator.is_valid(broken)
    assert validator.is_valid(good)
