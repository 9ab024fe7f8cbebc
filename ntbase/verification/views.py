"""Public verification of certificate and statement codes: the /verify page (typed, or
arriving from a certificate's QR with its signed payload)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from ntbase.kernel.extensions import limiter
from ntbase.verification import lookup
from ntbase.verification.forms import VerifyForm

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
    form = VerifyForm(request.args)
    result = None
    signature = None
    if request.args.get("p") or request.args.get("s"):
        # arrived from a certificate's QR: check the signature it carries, then the status
        signature = lookup.check_signature(lookup.decode_qr_payload(request.args.get("p", "")),
                                             request.args.get("s"))
        result = signature.status
        if signature.signature == "genuine" and signature.payload:
            form.code.data = signature.payload.get("code")
    else:
        raw = request.args.get("code") or request.args.get("c")
        if raw:
            form.code.data = raw
            result = lookup.verify_code(raw)
            if result.state == "malformed":
                form.code.errors = [lookup.malformed_message(raw)]
    status = 422 if form.code.errors else 200
    return render_template("certificates/verify.html", form=form, result=result, signature=signature), status


