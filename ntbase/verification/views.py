"""Public verification of certificate and statement codes: the /verify page (typed, or
arriving from a certificate's QR with its signed payload)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ntbase.kernel.extensions import limiter
from ntbase.verification import lookup

bp = Blueprint("verification", __name__)


def verify_rate_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT") or "60 per minute"


def _is_plain_visit() -> bool:
    """Opening the empty form costs nothing; every look-up counts."""
    return not any(request.args.get(k) for k in ("code", "c", "p", "s"))


# One budget per client shared by the page and the API, so alternating does not help.
verify_limit = limiter.shared_limit(verify_rate_limit, scope="verify", exempt_when=_is_plain_visit)
verify_limit_api = limiter.shared_limit(verify_rate_limit, scope="verify")


@bp.get("/verify")
@verify_limit
def verify():
    code = request.args.get("code") or request.args.get("c") or ""
    error = None
    result = None
    signature = None
    if request.args.get("p") or request.args.get("s"):
        # arrived from a certificate's QR: check the signature it carries, then the status
        signature = lookup.check_signature(lookup.decode_qr_payload(request.args.get("p", "")),
                                             request.args.get("s"))
        result = signature.status
        if signature.signature == "genuine" and signature.payload:
            code = signature.payload.get("code") or code
    elif code:
        result = lookup.verify_code(code)
        if result.state == "malformed":
            error = lookup.malformed_message(code)
    return render_template("certificates/verify.html", code=code, error=error, result=result,
                           signature=signature), 422 if error else 200
