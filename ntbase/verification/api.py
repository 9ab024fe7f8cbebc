"""Public certificate verification over JSON: by code, and by a QR's payload + signature."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from pydantic import BaseModel, Field
from werkzeug.routing import BaseConverter

from ntbase.kernel.api import bp, document, json_error, parse_body
from ntbase.verification import lookup
from ntbase.verification.views import verify_limit_api


class CodeConverter(BaseConverter):
    """``<code:code>``: one path segment of at most 64 characters that is not the sibling
    route ``verify-signature`` (a GET there is a 405, not the check of a code of that name)."""

    regex = r"(?!verify-signature$)[^/]{1,64}"


class VerifyOut(BaseModel):
    """The same shape for every code: fields that do not apply are null."""

    code: str | None = Field(description="Canonical code (no separators); null when malformed")
    state: str = Field(description="valid | revoked | unknown | malformed")
    kind: str | None = Field(None, description="certificate | statement")
    display_code: str | None = None
    holder_name_masked: str | None = None
    course_title: str | None = None
    base_name: str | None = None
    category: str | None = Field(None, description="public | specialized | elective")
    hours: str | None = Field(None, description="Decimal with one place, as text")
    start_date: str | None = None
    end_date: str | None = None
    issued_at: str | None = None
    revoked_at: str | None = None
    year: int | None = Field(None, description="Statements: the year stated")
    counted_total: str | None = None
    public_hours: str | None = None
    complies: bool | None = None
    problem: str | None = Field(None, description="Malformed only: empty | length | characters | check "
                                                  "(check: a character was probably mistyped)")
    message: str = ""


class SignatureIn(BaseModel):
    payload: str | None = Field(None, description="The signed canonical JSON text")
    payload_b64: str | None = Field(None, description="The same, base64url (the QR's p parameter)")
    signature: str = Field(min_length=1, max_length=200, description="base64url Ed25519 signature (the QR's s parameter)")


class SignatureOut(BaseModel):
    signature: str = Field(description="genuine | forged")
    payload: dict | None = None
    status: VerifyOut | None = Field(None, description="Current state of the code on this server")
    message: str = ""


def _message(result: lookup.VerifyResult, raw: str = "") -> str:
    if result.state == "malformed":
        return lookup.malformed_message(raw)
    return {
        "valid": _("This certificate is valid."),
        "revoked": _("This certificate has been revoked."),
        "unknown": _("No certificate or statement has this code."),
    }[result.state]


def _out(result: lookup.VerifyResult, raw: str = "") -> dict:
    return dict(result.as_dict(), message=_message(result, raw))


@bp.get("/certificates/<code:code>")
@verify_limit_api
@document("Verify a certificate or yearly statement by its code", path="/certificates/<code:code>",
          response=VerifyOut, tags=["certificates"],
          path_params={"code": {"type": "string", "minLength": 1, "maxLength": 64,
                                "description": "15 characters (Crockford base32, the last a check character); "
                                               "case, spaces and dashes do not matter"}},
          errors={404: "Longer than 64 characters: not a code",
                  422: ("Not a code: wrong length, characters or check character (state: malformed)", VerifyOut),
                  429: "Too many look-ups"})
def certificate_by_code(code: str):
    result = lookup.verify_code(code)
    resp = jsonify(_out(result, code))
    # an unknown code answers 200 with the same shape as a found one: nothing to tell apart
    resp.status_code = 422 if result.state == "malformed" else 200
    return resp


@bp.post("/certificates/verify-signature")
@verify_limit_api
@document("Check a certificate QR's payload and signature (offline-verifiable data)",
          path="/certificates/verify-signature", method="post", body=SignatureIn, response=SignatureOut,
          tags=["certificates"], errors={422: "Missing fields", 429: "Too many look-ups"})
def verify_signature():
    body, error = parse_body(SignatureIn)
    if error is not None:
        return error
    text = body.payload if body.payload is not None else lookup.decode_qr_payload(body.payload_b64 or "")
    if not text:
        return json_error(422, _("Give the payload (or payload_b64) and the signature."), "validation_error",
                          [{"field": "payload", "message": _("This field is required.")}])
    check = lookup.check_signature(text, body.signature)
    out = {"signature": check.signature, "payload": check.payload,
           "status": _out(check.status) if check.status else None,
           "message": (_("The signature is genuine.") if check.signature == "genuine"
                       else _("The signature does not match: this certificate data is forged or altered."))}
    return jsonify(out)
