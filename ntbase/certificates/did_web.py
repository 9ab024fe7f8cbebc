"""The site's ``did:web`` identifier and DID document (W3C DID 1.0, did:web method).

``did:web:<host>`` resolves to ``https://<host>/.well-known/did.json``; a port is written
``%3A`` (``did:web:localhost%3A5000``) and a path prefix becomes ``:``-separated segments
(``https://x.cn/ntbase`` → ``did:web:x.cn:ntbase``, document at ``/ntbase/did.json``).
The host is ``PUBLIC_BASE_URL``'s, else the one the request came to, as for every other
link that leaves the site.

Every Ed25519 key the site has ever had is a ``JsonWebKey`` verification method
``<did>#<kid>`` — active and retired alike — so a credential signed before
``flask ntbase keys rotate`` still verifies. The JOSE header's ``kid`` names that method.
"""
from __future__ import annotations

from urllib.parse import quote, urlsplit

import sqlalchemy as sa

from ntbase.certificates.models import SigningKey
from ntbase.kernel.db import db
from ntbase.kernel.formatting import public_base_url

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
JWK_CONTEXT = "https://w3id.org/security/jwk/v1"


def did_for_url(base_url: str) -> str:
    """``did:web`` of a site served at ``base_url``."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "localhost").encode("idna").decode()
    authority = host + (f"%3A{parts.port}" if parts.port else "")
    segments = [quote(seg, safe="") for seg in parts.path.split("/") if seg]
    return ":".join(["did", "web", authority, *segments])


def site_did() -> str:
    return did_for_url(public_base_url())


def method_id(kid: str, did: str | None = None) -> str:
    """The DID URL of key ``kid``: what a JOSE header's ``kid`` carries."""
    return f"{did or site_did()}#{kid}"


def public_jwk(key: SigningKey) -> dict:
    """RFC 8037 OKP public key. Never a ``d``: the private half stays in the key dir."""
    return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key}


def did_document() -> dict:
    did = site_did()
    keys = db.session.scalars(sa.select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid)).all()
    methods = [{"id": method_id(k.kid, did), "type": "JsonWebKey", "controller": did,
                "publicKeyJwk": dict(public_jwk(k), kid=k.kid)} for k in keys]
    ids = [m["id"] for m in methods]
    return {"@context": [DID_CONTEXT, JWK_CONTEXT], "id": did, "verificationMethod": methods,
            "assertionMethod": ids}
