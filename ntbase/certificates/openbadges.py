"""Certificates and yearly statements as Open Badges 3.0 credentials.

Shape: an ``OpenBadgeCredential`` in the W3C VC Data Model 2.0 (``validFrom``, VC v2 and
OB 3.0.3 contexts), issuer the site's ``did:web`` (``did_web``) named after the training
base, an ``AchievementSubject`` identified by a salted SHA-256 of the holder's ID number
(``IdentityObject``, ``hashed: true``: the number itself never leaves the site), and for
certificates a ``BitstringStatusListEntry`` (``status_list``).

Proof: a VC-JWT (JOSE compact JWS, ``alg: EdDSA``) signed with the site's Ed25519 key.
Why JOSE rather than a Data Integrity ``eddsa-jcs-2022`` proof: Open Badges 3.0 §8.2 defines
the JWT format precisely (payload = the credential, ``iss``/``jti``/``nbf`` claims) and every
verifier and wallet has a JOSE library for it, while ``eddsa-jcs-2022`` needs JCS
canonicalisation on the verifier's side and is not one of the suites 1EdTech tests; the
JWS is also exactly "sign these bytes", which the existing ``signing`` module already does.
``typ`` is ``vc+jwt`` as VC-JOSE-COSE asks (OB 3.0 §8.2 defers to it for VCDM 2.0); there is
no ``sub`` claim because the subject has no ``id`` — it is identified by ``identifier``
(OB 3.0: "either id or at least one identifier"), so no stable person id is published.

Texts are in Chinese (``force_locale("zh_CN")``), like the default PDF: the credential is
the same official record whatever language its holder browses in.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask_babel import force_locale
from flask_babel import gettext as _

from ntbase.certificates import codes, signing, status_list
from ntbase.certificates.did_web import method_id, site_did
from ntbase.certificates.models import Certificate
from ntbase.kernel.enums import Category
from ntbase.kernel.errors import DomainError
from ntbase.kernel.formatting import public_base_url

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
MEDIA_TYPE = "application/vc+jwt"
CST = timezone(timedelta(hours=8))  # stored datetimes are naive China Standard Time
# credential ids are urn:uuid names of the code, the same whatever host the site moves to
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:ntbase:credentials")


def iso_cst(value: datetime) -> str:
    return value.replace(microsecond=0, tzinfo=CST).isoformat()


def _epoch(value: datetime) -> int:
    return int(value.replace(tzinfo=CST).timestamp())


def _hours(value) -> str:
    return f"{Decimal(value).quantize(Decimal('0.1')):f}"


def site_base_url() -> str:
    return public_base_url().rstrip("/")


def identity(id_number: str, salt: str) -> dict:
    """OB 3.0 IdentityHash: ``sha256$`` + hex SHA-256 of the identifier followed by the salt."""
    digest = hashlib.sha256((id_number.strip().upper() + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "identityType": "nationalIdentityNumber", "hashed": True,
            "identityHash": f"sha256${digest}", "salt": salt}


def holder_identifiers(learner, masked_name: str, salt: str) -> list[dict]:
    profile = learner.profile if learner is not None else None
    if profile is None:
        raise DomainError(_("The learner has no identity profile."))
    return [identity(profile.id_number, salt),
            {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": masked_name}]


def envelope(kind: str, code: str, issuer: dict, issued_at: datetime, name: str, description: str,
              subject: dict) -> dict:
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{kind}:{code}')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "description": description,
        "issuer": issuer,
        "validFrom": iso_cst(issued_at),
        "awardedDate": iso_cst(issued_at),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": SCHEMA_TYPE}],
    }


# ---------------------------------------------------------------- certificates

def certificate_credential(cert: Certificate) -> dict:
    """The unsigned OpenBadgeCredential of ``cert`` (gives it a status entry if it has none)."""
    base_url = site_base_url()
    entry = status_list.assign_entry(cert)
    base_page = f"{base_url}/bases/{cert.base_id}"
    achievement_id = (f"{base_url}/courses/{cert.course_id}" if cert.course_id
                      else f"urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'course:{cert.base_id}:{cert.course_title}')}")
    with force_locale("zh_CN"):
        try:
            category = str(Category(cert.category).title)
        except ValueError:
            category = cert.category
        hours = _hours(cert.hours)
        name = _("Certificate of Training Completion: %(course)s", course=cert.course_title)
        criteria = _("Attend the course “%(course)s” run by %(base)s and meet its completion requirements; "
                     "the course counts %(hours)s hours of %(category)s study.",
                     course=cert.course_title, base=cert.base_name, hours=hours, category=category)
        description = _("Training certificate %(code)s issued by %(base)s: %(hours)s hours of %(category)s "
                        "study, %(start)s to %(end)s.", code=codes.display(cert.code), base=cert.base_name,
                        hours=hours, category=category, start=cert.start_date.isoformat(),
                        end=cert.end_date.isoformat())
        hours_name = _("Hours credited")
    hours_rd = f"{achievement_id}#hours"
    subject = {
        "type": ["AchievementSubject"],
        "identifier": holder_identifiers(cert.learner, cert.holder_name_masked, cert.code),
        "activityStartDate": iso_cst(datetime.combine(cert.start_date, datetime.min.time())),
        "activityEndDate": iso_cst(datetime.combine(cert.end_date, datetime.min.time())),
        "achievement": {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "CertificateOfCompletion",
            "name": cert.course_title,
            "description": criteria,
            "criteria": {"narrative": criteria},
            "creator": {"id": base_page, "type": ["Profile"], "name": cert.base_name, "url": base_page},
            "inLanguage": "zh-CN",
            "tag": [category, cert.category],
            "resultDescription": [{"id": hours_rd, "type": ["ResultDescription"], "name": hours_name,
                                   "resultType": "ext:CreditedHours", "valueMin": "0"}],
        },
        "result": [{"type": ["Result"], "resultDescription": hours_rd, "value": hours}],
    }
    issuer = {"id": site_did(), "type": ["Profile"], "name": cert.base_name, "url": base_page}
    credential = envelope("certificate", cert.code, issuer, cert.issued_at, name, description, subject)
    credential["credentialStatus"] = status_list.status_entry_json(entry)
    return credential


def certificate_jwt(cert: Certificate) -> str:
    """The signed credential a holder downloads. A revoked certificate gets none."""
    if not cert.is_valid:
        raise DomainError(_("A revoked certificate cannot be downloaded as an Open Badge."))
    return encode_jwt(certificate_credential(cert))


# ---------------------------------------------------------------- VC-JWT

def encode_jwt(credential: dict) -> str:
    """Compact JWS of ``credential``: the payload is the credential itself (VC-JOSE-COSE),
    with the registered claims OB 3.0 §8.2 requires (``iss``, ``jti``, ``nbf``)."""
    key = signing.active_key()
    issuer = credential["issuer"]
    header = {"alg": "EdDSA", "kid": method_id(key.kid), "typ": "vc+jwt"}
    claims = dict(credential, iss=issuer["id"] if isinstance(issuer, dict) else issuer,
                  jti=credential["id"], nbf=_epoch(datetime.fromisoformat(credential["validFrom"])
                                                    .astimezone(CST).replace(tzinfo=None)))
    signing_input = ".".join(signing.b64u(json.dumps(part, ensure_ascii=False, separators=(",", ":"))
                                          .encode("utf-8")) for part in (header, claims))
    signature = signing.sign_bytes(signing_input.encode("ascii"), key.kid)
    return f"{signing_input}.{signing.b64u(signature)}"
