"""The sandbox provider's pay page and the public webhook endpoint."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.extensions import csrf
from ntbase.kernel.forms import safe_local_path
from ntbase.kernel.uow import keep_writes
from ntbase.payments import sandbox, services  # noqa: F401  (sandbox registers itself)
from ntbase.payments.forms import SandboxPayForm
from ntbase.payments.models import PaymentState
from ntbase.payments.provider import _REGISTRY, WebhookRejected, get_provider

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)

_ACTIONS = {"pay": "payment.succeeded", "fail": "payment.failed", "cancel": "payment.cancelled"}


@bp.route("/pay/sandbox/<provider_ref>", methods=["GET", "POST"])
@login_required
def sandbox_pay(provider_ref: str):
    if not services.sandbox_enabled():
        abort(404)  # PAYMENT_SANDBOX_ENABLED=False: no test money page in production
    intent = services.get_by_ref(provider_ref)
    if intent is None or intent.provider != "sandbox" or intent.learner_id != current_user.id:
        abort(404)  # someone else's payment does not exist for you
    back = safe_local_path(intent.return_path, "/")
    form = SandboxPayForm()
    if request.method == "POST" and intent.succeeded_at is not None:
        flash(_("This payment has already been made."), "info")  # a second click on "Pay"
        return redirect(back)
    payable = intent.state == PaymentState.PENDING and (intent.expires_at is None or intent.expires_at >= now())
    if payable and form.validate_on_submit():
        action = request.form.get("action", "")
        if action not in _ACTIONS:
            abort(400)
        # what a real provider does: build a signed event and deliver it to our webhook —
        # here in-process, so no network call leaves the machine
        body, headers = get_provider("sandbox").build_event(
            _ACTIONS[action], intent.provider_ref, intent.amount_fen,
            method=form.method.data if action == "pay" else None,
            reason={"fail": "sandbox: card declined", "cancel": "sandbox: cancelled by payer"}.get(action, ""))
        try:
            outcome = services.handle_webhook("sandbox", body, headers)
        except (DomainError, WebhookRejected) as err:
            db.session.rollback()
            flash(getattr(err, "message", None) or _("The payment could not be processed. Please try again."),
                  "error")
            return redirect(url_for("payments.sandbox_pay", provider_ref=provider_ref))
        if action == "pay":
            if outcome.intent is not None and outcome.intent.state == PaymentState.REFUNDED:
                flash(_("Your payment arrived after the seat was gone, so it has been refunded in full."),
                      "warning")
            elif intent.group_id is not None:
                flash(_("Payment received. The enrollments it pays for are confirmed."), "success")
            else:
                flash(_("Payment received. Your enrollment is confirmed."), "success")
        elif action == "fail":
            flash(_("The payment failed. Your seat is still held until %(when)s: you can try again.",
                    when=intent.expires_at.strftime("%H:%M") if intent.expires_at else ""),
                  "error")
        else:
            flash(_("Payment cancelled. Your seat is still held until %(when)s.",
                    when=intent.expires_at.strftime("%H:%M") if intent.expires_at else ""),
                  "info")
        return redirect(back)
    return render_template("payments/sandbox_pay.html", intent=intent, form=form, payable=payable, back=back)


@bp.post("/payments/webhook/<provider>")
def webhook(provider: str):
    """Provider callbacks. Authenticated by the HMAC signature, so no CSRF token."""
    if provider not in _REGISTRY or (provider == "sandbox" and not services.sandbox_enabled()):
        abort(404)
    body = request.get_data(cache=False)
    try:
        outcome = services.handle_webhook(provider, body, request.headers)
    except WebhookRejected as exc:
        db.session.rollback()
        log.warning("webhook rejected from %s: %s", request.remote_addr, exc.reason)
        return jsonify(error="rejected", message=exc.reason), 400
    except IntegrityError:
        # the same event id delivered twice at the same moment: the other delivery handles it
        db.session.rollback()
        return jsonify(status="duplicate", result="duplicate: already processed"), 200
    except DomainError as err:
        db.session.rollback()
        return jsonify(error=err.code, message=err.message), 409
    keep_writes()  # a refused event (422) is recorded too: the provider must not resend it for ever
    return jsonify(status="ok" if outcome.status == 200 else "refused", result=outcome.result), outcome.status


csrf.exempt(webhook)
