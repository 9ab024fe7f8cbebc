import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ntbase.certificates import codes, services, signing
from ntbase.certificates.models import Certificate, CertificateState
from ntbase.hours.models import LedgerEntry
from ntbase.kernel.db import db
from ntbase.kernel.errors import DomainError, PermissionDenied
from ntbase.verification import lookup
from tests.attendance.helpers import completed_certificate, enroll, past_course


@pytest.fixture()
def cert(base_a, learner):
    return completed_certificate(base_a, learner, title="建设工程质量安全培训", hours="12")


# ------------------------------------------------------------ issuing and signing

def test_issued_certificate_is_signed_over_its_canonical_payload(cert, learner):
    assert codes.is_well_formed(cert.code)
    payload = json.loads(cert.payload)
    assert payload == {
        "v": 1, "type": "certificate", "code": cert.code, "name": "张**", "course": "建设工程质量安全培训",
        "base": "甲基地", "category": "public", "hours": "12.0", "start": cert.start_date.isoformat(),
        "end": cert.end_date.isoformat(), "issued": cert.issued_at.isoformat(), "kid": cert.key_id,
    }
    assert cert.payload == signing.canonical_json(payload)
    assert signing.verify(cert.payload, cert.signature)
    assert cert.holder_name == "张晓明" and cert.holder_id_masked == learner.profile.id_number_masked
    assert cert.holder_id_hash == learner.profile.id_number_hash
    assert cert.year == cert.end_date.year and cert.hours == Decimal("12.0")


def test_code_collision_draws_a_new_code(base_a, learner, monkeypatch):
    first = completed_certificate(base_a, learner)
    fresh = codes.new_code()
    draws = iter([first.code, fresh])
    monkeypatch.setattr(codes, "new_code", lambda: next(draws))
    second = completed_certificate(base_a)
    assert second.code == fresh
    assert json.loads(second.payload)["code"] == fresh and signing.verify(second.payload, second.signature)


def test_code_is_unique_in_the_database(cert, base_a):
    from sqlalchemy.exc import IntegrityError

    other = completed_certificate(base_a)
    other.code = cert.code
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_issue_is_idempotent_per_enrollment(cert):
    from ntbase.enrollment.models import Enrollment

    enr = db.session.get(Enrollment, cert.enrollment_id)
    assert services.issue_certificate(enr).id == cert.id


def test_no_certificate_for_an_unfinished_enrollment(base_a):
    enr = enroll(past_course(base_a))
    with pytest.raises(DomainError):
        services.issue_certificate(enr)


# ------------------------------------------------------------ revoke, reissue, correct

def test_revoke_by_own_base_and_office_only(cert, staff_a, staff_b, office):
    with pytest.raises(PermissionDenied):
        services.revoke_certificate(cert, "错误", staff_b)
    with pytest.raises(DomainError) as exc:
        services.revoke_certificate(cert, "  ", staff_a)
    assert exc.value.field == "reason"
    services.revoke_certificate(cert, "学员未实际参训", office)
    assert cert.state == CertificateState.REVOKED and cert.revoked_at and cert.revoked_by_id == office.id
    with pytest.raises(DomainError):
        services.revoke_certificate(cert, "again", staff_a)
    with pytest.raises(DomainError):
        services.correct_holder_name(cert, "张小明", staff_a)
    assert db.session.get(Certificate, cert.id) is not None  # never deleted


def test_reissue_revokes_the_old_and_links_the_new(cert, staff_a):
    old_code = cert.code
    new = services.reissue_certificate(cert, staff_a)
    db.session.commit()
    assert new.code != old_code and new.replaces_id == cert.id and new.state == CertificateState.VALID
    assert cert.state == CertificateState.REVOKED and cert.revoked_reason == "reissued"
    assert signing.verify(new.payload, new.signature)
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.enrollment_id == cert.enrollment_id))
    assert entry.certificate_id == new.id
    assert lookup.verify_code(old_code).state == "revoked"
    assert lookup.verify_code(new.code).state == "valid"


def test_name_correction_keeps_the_code_and_signs_again(cert, staff_a):
    code, old_payload, old_sig = cert.code, cert.payload, cert.signature
    services.correct_holder_name(cert, "欧阳晓明", staff_a)
    db.session.commit()
    assert cert.code == code and cert.holder_name == "欧阳晓明"
    assert json.loads(cert.payload)["name"] == "欧***"
    assert cert.payload != old_payload and signing.verify(cert.payload, cert.signature)
    assert not signing.verify(cert.payload, old_sig)


def test_rotated_key_still_verifies_old_certificates(cert, base_a):
    old_kid = cert.key_id
    signing.rotate_key()
    db.session.commit()
    newer = completed_certificate(base_a)
    assert newer.key_id != old_kid
    assert lookup.check_signature(cert.payload, cert.signature).signature == "genuine"
    assert lookup.check_signature(newer.payload, newer.signature).signature == "genuine"


# ------------------------------------------------------------ verification

def test_wrong_check_character_answers_without_any_query(app_ctx, count_queries):
    good = codes.new_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with count_queries() as q:
        result = lookup.verify_code(bad)
    assert result.state == "malformed" and q.count == 0
    with count_queries() as q:
        lookup.verify_codes_bulk([bad, "hello", ""])
    assert q.count == 0


def test_verify_found_unknown_and_forgiving_input(cert, count_queries):
    typed = " " + codes.display(cert.code).lower().replace("0", "o").replace("1", "l") + " "
    with count_queries() as q_found:
        res = lookup.verify_code(typed)
    assert res.state == "valid" and res.kind == "certificate"
    assert (res.holder_name_masked, res.course_title, res.base_name, res.hours) == ("张**", "建设工程质量安全培训", "甲基地", "12.0")
    assert "张晓明" not in json.dumps(res.as_dict(), ensure_ascii=False)
    with count_queries() as q_unknown:
        unknown = lookup.verify_code(codes.new_code())
    assert unknown.state == "unknown"
    # constant work: the same statements for a found and an unknown code
    assert q_found.count == q_unknown.count == 1
    assert set(unknown.as_dict()) == set(res.as_dict())


def _statement(learner, year=2025):
    from ntbase.hours.models import Statement

    code = codes.new_code()
    text, sig, kid = signing.sign({"type": "statement", "code": code, "year": year})
    st = Statement(code=code, learner_id=learner.id, year=year, holder_name_masked="张**",
                   holder_id_masked=learner.profile.id_number_masked, holder_id_hash=learner.profile.id_number_hash,
                   counted_total=Decimal("90.0"), public_hours=Decimal("24.0"), complies=True, key_id=kid,
                   payload=text, signature=sig)
    db.session.add(st)
    db.session.commit()
    return st


def test_statement_codes_are_found_too(learner):
    st = _statement(learner)
    res = lookup.verify_code(codes.display(st.code))
    assert (res.kind, res.state, res.year, res.counted_total, res.public_hours, res.complies) == \
        ("statement", "valid", 2025, "90.0", "24.0", True)


def test_bulk_verification_is_chunked(cert, learner, base_a, office, count_queries):
    st = _statement(learner)
    revoked = completed_certificate(base_a)
    services.revoke_certificate(revoked, "作废", office)
    db.session.commit()
    unknown = [codes.new_code() for _ in range(2497)]
    typed_cert = codes.display(cert.code).lower()
    batch = [typed_cert, st.code, revoked.code, "bad-code"] + unknown
    with count_queries() as q:
        out = lookup.verify_codes_bulk(batch)
    assert q.count == 3  # 2,500 well-formed codes: 3 chunks, each one UNION ALL of certificates and statements
    assert out[typed_cert].state == "valid" and out[typed_cert].kind == "certificate"
    assert out[st.code].kind == "statement"
    assert out[revoked.code].state == "revoked" and out[revoked.code].revoked_at
    assert out["bad-code"].state == "malformed"
    assert all(out[c].state == "unknown" for c in unknown[:50])
    assert len(out) == len(batch)


def test_qr_payload_and_signature(cert):
    url = services.qr_url(cert, "https://ntbase.example")
    from urllib.parse import parse_qs, urlsplit

    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["c"] == cert.code
    text = lookup.decode_qr_payload(q["p"])
    assert text == cert.payload
    ok = lookup.check_signature(text, q["s"])
    assert ok.signature == "genuine" and ok.status.state == "valid"
    tampered = text.replace('"hours":"12.0"', '"hours":"72.0"')
    assert lookup.check_signature(tampered, q["s"]).signature == "forged"
    bad_sig = q["s"][:10] + ("A" if q["s"][10] != "A" else "B") + q["s"][11:]
    assert lookup.check_signature(text, bad_sig).signature == "forged"
    assert lookup.check_signature(lookup.decode_qr_payload("!!!"), q["s"]).signature == "forged"
    assert lookup.check_signature(None, None).signature == "forged"


def test_signed_revocation_list(cert, office):
    services.revoke_certificate(cert, "错误", office)
    db.session.commit()
    doc = services.revocation_list()
    assert doc["list"]["revoked"] == [{"code": cert.code, "revoked": cert.revoked_at.isoformat()}]
    assert doc["list"]["kid"] == doc["kid"]
    assert signing.verify(signing.canonical_json(doc["list"]), doc["signature"], doc["kid"])
    forged = dict(doc["list"], revoked=[])
    assert not signing.verify(signing.canonical_json(forged), doc["signature"], doc["kid"])
