"""Payments: intents, refunds and provider webhooks. Services flush only; the caller commits.

Money rules the database also enforces: amounts are positive integer fen; refunds never
exceed the payment (``refunded_fen <= amount_fen`` check, moved by a guarded UPDATE); an
idempotency key names one intent or refund; a webhook event id is processed once.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish
from ntbase.kernel.json_input import loads_bounded
from ntbase.payments import states
from ntbase.payments.events import PaymentSucceeded
from ntbase.payments.models import (
    PaymentIntent,
    PaymentLine,
    PaymentState,
    Refund,
    RefundEvent,
    RefundState,
    WebhookEvent,
)
from ntbase.payments.provider import get_provider
from ntbase.payments.schemas import TAXPAYER_RE
from ntbase.payments.schemas import WebhookEvent as WebhookEventIn
from ntbase.payments.states import PAID_STATES

log = logging.getLogger(__name__)
P = PaymentState


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def parse_yuan(text: str | None, *, field: str = "amount") -> int:
    """``"12.5"`` → 1250 fen; Decimal arithmetic, at most two decimals, never a float."""
    raw = (text or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    # the upper bound keeps absurd input (1e400) out of quantize and the database
    if value is None or not value.is_finite() or value <= 0 or value >= 10**9:
        raise DomainError(_("Enter an amount in yuan greater than zero, for example 120 or 85.50."), field=field)
    if value != value.quantize(Decimal("0.01")):
        raise DomainError(_("An amount has at most two decimals (fen)."), field=field)
    return int(value * 100)


def sandbox_enabled() -> bool:
    """``PAYMENT_SANDBOX_ENABLED=False`` in production turns the built-in test pay page off."""
    return bool(current_app.config.get("PAYMENT_SANDBOX_ENABLED", True))


# --- intents ------------------------------------------------------------------------

def create_payment(*, enrollment_id: int, learner_id: int, amount_fen: int, idempotency_key: str,
                   expires_at: datetime | None, actor_id: int | None, description: str = "",
                   return_path: str = "/", provider: str = "sandbox", at: datetime | None = None) -> PaymentIntent:
    """A pending intent at the provider; the same key returns the same intent."""
    existing = db.session.scalar(sa.select(PaymentIntent).where(PaymentIntent.idempotency_key == idempotency_key))
    if existing is not None:
        if existing.enrollment_id != enrollment_id or existing.amount_fen != amount_fen:
            raise DomainError(_("This idempotency key was already used for a different payment."),
                              code="idempotency_conflict")
        return existing
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_("A payment must be a positive amount."), field="amount_fen")
    at = at or now()
    out = get_provider(provider).create_intent(amount_fen=amount_fen, currency="CNY",
                                               idempotency_key=idempotency_key, description=description)
    intent = PaymentIntent(enrollment_id=enrollment_id, learner_id=learner_id, amount_fen=amount_fen,
                           currency="CNY", provider=provider, provider_ref=out.provider_ref,
                           idempotency_key=idempotency_key, state=P.PENDING, expires_at=expires_at,
                           description=description[:300], return_path=return_path[:200],
                           created_at=at, updated_at=at)
    db.session.add(intent)
    db.session.flush()
    states.record(intent, None, P.PENDING, actor_id, "created", at)
    return intent


def create_group_payment(*, group_id: int, payer_id: int, lines: list[tuple[int, int]], idempotency_key: str,
                         expires_at: datetime | None, actor_id: int | None, description: str = "",
                         return_path: str = "/", provider: str = "sandbox",
                         at: datetime | None = None) -> PaymentIntent:
    """One pending intent paying for several enrollments at once (an employer paying for a
    group of its staff): ``lines`` are ``(enrollment_id, amount_fen)``, the intent's amount
    is their sum, and each refund of one of those enrollments comes out of its own line.
    ``payer_id`` is the user who pays (the sandbox pay page is theirs). The same key
    returns the same intent."""
    existing = db.session.scalar(sa.select(PaymentIntent).where(PaymentIntent.idempotency_key == idempotency_key))
    total = sum(amount for _eid, amount in lines)
    if existing is not None:
        if existing.group_id != group_id or existing.amount_fen != total:
            raise DomainError(_("This idempotency key was already used for a different payment."),
                              code="idempotency_conflict")
        return existing
    if not lines or any(not isinstance(a, int) or a <= 0 for _eid, a in lines):
        raise DomainError(_("A payment must be a positive amount."), field="amount_fen")
    if len({eid for eid, _a in lines}) != len(lines):
        raise DomainError(_("An enrollment appears twice in this payment."), field="amount_fen")
    at = at or now()
    out = get_provider(provider).create_intent(amount_fen=total, currency="CNY",
                                               idempotency_key=idempotency_key, description=description)
    intent = PaymentIntent(group_id=group_id, learner_id=payer_id, amount_fen=total, currency="CNY",
                           provider=provider, provider_ref=out.provider_ref, idempotency_key=idempotency_key,
                           state=P.PENDING, expires_at=expires_at, description=description[:300],
                           return_path=return_path[:200], created_at=at, updated_at=at)
    db.session.add(intent)
    db.session.flush()
    db.session.add_all(PaymentLine(payment_id=intent.id, enrollment_id=eid, amount_fen=amount)
                       for eid, amount in lines)
    db.session.flush()
    states.record(intent, None, P.PENDING, actor_id, f"created for {len(lines)} enrollments", at)
    return intent


def checkout_url(intent: PaymentIntent) -> str:
    return get_provider(intent.provider).checkout_url(intent.provider_ref)


def get_by_ref(provider_ref: str) -> PaymentIntent | None:
    return db.session.scalar(sa.select(PaymentIntent).where(PaymentIntent.provider_ref == provider_ref))


def expire_payment(intent: PaymentIntent, at: datetime, reason: str = "hold expired") -> None:
    if intent.state == P.PENDING:
        states.transition(intent, P.EXPIRED, None, reason, at)


def cancel_payment(intent: PaymentIntent, actor_id: int | None, reason: str, at: datetime) -> None:
    if intent.state == P.PENDING:
        states.transition(intent, P.CANCELLED, actor_id, reason, at)


def set_invoice(intent: PaymentIntent, title: str, taxpayer_no: str) -> None:
    """发票 details; NTBase stores them for the base, it does not issue fapiao."""
    title = (title or "").strip()
    taxpayer_no = (taxpayer_no or "").strip().upper().replace(" ", "")
    if taxpayer_no and not TAXPAYER_RE.match(taxpayer_no):
        raise DomainError(_("A taxpayer number has 15 to 20 digits or capital letters "
                            "(the 18-character unified social credit code, for example)."),
                          field="invoice_taxpayer_no")
    if taxpayer_no and not title:
        raise DomainError(_("Give the invoice title that goes with this taxpayer number."),
                          field="invoice_title")
    if len(title) > 200:
        raise DomainError(_("The invoice title is too long (at most 200 characters)."), field="invoice_title")
    intent.invoice_title = title
    intent.invoice_taxpayer_no = taxpayer_no


# --- refunds ------------------------------------------------------------------------

def refund_payment(intent: PaymentIntent, amount_fen: int, *, idempotency_key: str, actor_id: int | None,
                   reason: str, at: datetime | None = None, line: PaymentLine | None = None) -> Refund:
    """Give ``amount_fen`` back through the provider; never more than was paid. For a group
    payment the refund names the ``line`` (enrollment) it comes out of, and never exceeds
    what is left of that line either."""
    existing = db.session.scalar(sa.select(Refund).where(Refund.idempotency_key == idempotency_key))
    if existing is not None:
        if existing.payment_id != intent.id or existing.amount_fen != amount_fen:
            raise DomainError(_("This idempotency key was already used for a different refund."),
                              code="idempotency_conflict")
        return existing
    if intent.state not in PAID_STATES:
        raise DomainError(_("Only a payment that went through can be refunded."), code="not_paid")
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise DomainError(_("A refund must be a positive amount."), field="amount_fen")
    remaining = intent.amount_fen - intent.refunded_fen
    too_much = DomainError(_("A refund cannot exceed what was paid: at most %(max)s can still be refunded.",
                             max=yuan(remaining)), field="amount_fen", code="refund_exceeds_payment")
    if amount_fen > remaining:
        raise too_much
    if intent.group_id is not None:
        if line is None or line.payment_id != intent.id:
            raise DomainError(_("A refund of a group payment names the enrollment it is for."), code="no_line")
        line_left = line.amount_fen - line.refunded_fen
        line_too_much = DomainError(_("A refund cannot exceed what was paid: at most %(max)s can still be refunded.",
                                      max=yuan(line_left)), field="amount_fen", code="refund_exceeds_payment")
        if amount_fen > line_left:
            raise line_too_much
        # guarded like the intent below: two refunds of one line cannot together pass it
        moved_line = db.session.execute(
            sa.update(PaymentLine)
            .where(PaymentLine.id == line.id, PaymentLine.refunded_fen + amount_fen <= PaymentLine.amount_fen)
            .values(refunded_fen=PaymentLine.refunded_fen + amount_fen)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved_line != 1:
            raise line_too_much
        db.session.expire(line, ["refunded_fen"])
    at = at or now()
    # guarded increment: two refunds racing cannot together pass the amount paid
    moved = db.session.execute(
        sa.update(PaymentIntent)
        .where(PaymentIntent.id == intent.id,
               PaymentIntent.refunded_fen + amount_fen <= PaymentIntent.amount_fen)
        .values(refunded_fen=PaymentIntent.refunded_fen + amount_fen)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise too_much
    refunded = db.session.scalar(sa.select(PaymentIntent.refunded_fen).where(PaymentIntent.id == intent.id))
    out = get_provider(intent.provider).refund(payment_ref=intent.provider_ref, amount_fen=amount_fen,
                                               idempotency_key=idempotency_key, reason=reason)
    refund = Refund(payment_id=intent.id, line_id=line.id if line is not None else None, amount_fen=amount_fen,
                    idempotency_key=idempotency_key, provider_ref=out.provider_ref, state=RefundState(out.status.value), reason=reason[:300],
                    actor_id=actor_id, succeeded_at=at if out.status.value == "succeeded" else None,
                    created_at=at, updated_at=at)
    db.session.add(refund)
    db.session.flush()
    states.REFUNDS.record(refund, None, refund.state, actor_id, reason or "refund", at)
    target = P.REFUNDED if refunded >= intent.amount_fen else P.PARTIALLY_REFUNDED
    states.transition(intent, target, actor_id, reason or "refund", at, refund_id=refund.id,
                      refunded_fen=refunded)
    log.info("refund id=%s payment=%s amount_fen=%s", refund.id, intent.id, amount_fen)
    return refund


def retry_refund(refund: Refund, actor_id: int | None, at: datetime | None = None) -> Refund:
    """Send a refund the provider reported as failed once more (base staff, after checking why).

    Idempotent: only a ``failed`` refund moves (compare-and-set), so a double click retries
    once; each attempt gets its own provider key derived from the attempt number, so a
    request that dies after the provider call re-sends the same attempt, never a second one.
    The money stays counted in ``refunded_fen`` throughout: it is owed to the learner.
    """
    at = at or now()
    if refund.state != RefundState.FAILED:
        raise DomainError(_("This refund has not failed (it is “%(state)s”): there is nothing to retry.",
                            state=refund.state.title), code="not_failed")
    attempt = 1 + (db.session.scalar(sa.select(sa.func.count(RefundEvent.id)).where(
        RefundEvent.refund_id == refund.id, RefundEvent.from_state == RefundState.FAILED.value,
        RefundEvent.to_state == RefundState.PENDING.value)) or 0)
    states.REFUNDS.transition(refund, RefundState.PENDING, actor_id, f"refund retried (attempt {attempt})", at)
    intent = db.session.get(PaymentIntent, refund.payment_id)
    out = get_provider(intent.provider).refund(payment_ref=intent.provider_ref, amount_fen=refund.amount_fen,
                                               idempotency_key=f"{refund.idempotency_key}:retry{attempt}",
                                               reason=refund.reason)
    refund.provider_ref = out.provider_ref
    outcome = RefundState(out.status.value)
    if outcome != RefundState.PENDING:
        states.REFUNDS.transition(refund, outcome, None, f"provider answered the retry: {outcome.value}", at,
                                  succeeded_at=at if outcome == RefundState.SUCCEEDED else None)
    states.record(intent, intent.state, intent.state, actor_id, f"refund retried (attempt {attempt})", at,
                  refund.id)
    db.session.flush()
    log.info("refund id=%s retried attempt=%s state=%s", refund.id, attempt, refund.state.value)
    return refund


def failed_refunds(enrollment_ids: sa.Select, options=()) -> list[Refund]:
    """Refunds the provider refused (money still owed to a learner, or to an employer that
    paid for a group) for payments of the enrollments ``enrollment_ids`` selects;
    ``options`` are the caller's loader options."""
    return db.session.scalars(
        sa.select(Refund).join(PaymentIntent, Refund.payment_id == PaymentIntent.id)
        .outerjoin(PaymentLine, Refund.line_id == PaymentLine.id)
        .where(Refund.state == RefundState.FAILED,
               sa.or_(PaymentIntent.enrollment_id.in_(enrollment_ids), PaymentLine.enrollment_id.in_(enrollment_ids)))
        .options(*options).order_by(Refund.id)
    ).unique().all()


def refund_remaining(intent: PaymentIntent, *, key: str, actor_id: int | None, reason: str,
                     at: datetime) -> Refund | None:
    """Give back everything not yet refunded. A group payment is refunded line by line
    (``key`` gets the line's id appended); the last refund is returned."""
    remaining = intent.amount_fen - intent.refunded_fen
    if intent.state not in PAID_STATES or remaining <= 0:
        return None
    if intent.group_id is not None:
        last = None
        for line in lines_of_payment(intent.id):
            last = refund_line(line, key=f"{key}-l{line.id}", actor_id=actor_id, reason=reason, at=at) or last
        return last
    return refund_payment(intent, remaining, idempotency_key=key, actor_id=actor_id, reason=reason, at=at)


def refund_line(line: PaymentLine, amount_fen: int | None = None, *, key: str, actor_id: int | None,
                reason: str, at: datetime) -> Refund | None:
    """Refund ``amount_fen`` (default: all that is left) of one enrollment's line of a group
    payment, back to whoever paid. None when nothing is left or nothing went through."""
    intent = line.payment
    left = line.amount_fen - line.refunded_fen
    amount = left if amount_fen is None else amount_fen
    if intent.state not in PAID_STATES or amount <= 0:
        return None
    return refund_payment(intent, amount, idempotency_key=key, actor_id=actor_id, reason=reason, at=at, line=line)


def lines_of(enrollment_id: int) -> list[PaymentLine]:
    """The group-payment lines of one enrollment (with their payment), oldest first."""
    return db.session.scalars(sa.select(PaymentLine).where(PaymentLine.enrollment_id == enrollment_id)
                              .options(joinedload(PaymentLine.payment)).order_by(PaymentLine.id)).all()


def lines_of_payment(payment_id: int) -> list[PaymentLine]:
    return db.session.scalars(sa.select(PaymentLine).where(PaymentLine.payment_id == payment_id)
                              .options(joinedload(PaymentLine.payment)).order_by(PaymentLine.id)).all()


def group_payments(group_id: int) -> list[PaymentIntent]:
    """Every payment attempt for a group, oldest first."""
    return db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.group_id == group_id)
                              .order_by(PaymentIntent.id)).all()


def pending_group_intent(group_id: int) -> PaymentIntent | None:
    return db.session.scalar(sa.select(PaymentIntent).where(
        PaymentIntent.group_id == group_id, PaymentIntent.state == PaymentState.PENDING)
        .order_by(PaymentIntent.id.desc()).limit(1))


# --- webhooks -----------------------------------------------------------------------

@dataclass
class WebhookOutcome:
    status: int  # HTTP status to answer the provider with
    result: str
    intent: PaymentIntent | None = None


def handle_webhook(provider_name: str, body: bytes, headers: Mapping[str, str],
                   now_ts: float | None = None, at: datetime | None = None) -> WebhookOutcome:
    """Verify, de-duplicate, check against our records, then apply one provider event.

    Raises ``WebhookRejected`` (→ 400, nothing recorded) for a forged or stale delivery.
    A genuine event that does not match our records (unknown intent, wrong amount) is
    refused with 422 and recorded. A replayed event id changes nothing.
    """
    provider = get_provider(provider_name)
    event = provider.parse_webhook(body, headers, now_ts)
    at = at or now()
    if db.session.scalar(sa.select(WebhookEvent.id).where(WebhookEvent.event_id == event.event_id)):
        return WebhookOutcome(200, "duplicate: already processed")
    row = WebhookEvent(event_id=event.event_id, provider=provider_name, type=event.type,
                       payload=loads_bounded(body), received_at=at)
    db.session.add(row)
    db.session.flush()  # a concurrent delivery of the same id fails here (unique event_id)
    outcome = _apply(provider_name, event, at)
    row.result = outcome.result[:300]
    row.processed_at = at
    log.info("webhook %s %s → %s", event.event_id, event.type, outcome.result)
    return outcome


def _apply(provider_name: str, event: WebhookEventIn, at: datetime) -> WebhookOutcome:
    intent = db.session.scalar(sa.select(PaymentIntent).where(
        PaymentIntent.provider_ref == event.intent_ref, PaymentIntent.provider == provider_name))
    if intent is None:
        return WebhookOutcome(422, "refused: unknown intent")
    if event.currency != intent.currency:
        return WebhookOutcome(422, "refused: currency mismatch", intent)
    if event.type.startswith("refund."):
        return _apply_refund_event(intent, event, at)
    if event.amount_fen != intent.amount_fen:
        return WebhookOutcome(422, f"refused: amount {event.amount_fen} != {intent.amount_fen}", intent)
    if event.type == "payment.succeeded":
        if intent.state in PAID_STATES or intent.state == P.REFUNDED:
            return WebhookOutcome(200, "ignored: already paid", intent)
        states.transition(intent, P.SUCCEEDED, None, "provider reported success", at,
                          method=event.method, succeeded_at=at)
        # whoever the money was for confirms what it bought or, with no seat left, gives it back
        answers = [a for a in publish(PaymentSucceeded(intent.id, intent.enrollment_id, intent.amount_fen, at,
                                                       group_id=intent.group_id)) if a]
        return WebhookOutcome(200, "ok: " + ("; ".join(answers) or "payment recorded"), intent)
    target = P.FAILED if event.type == "payment.failed" else P.CANCELLED
    if intent.state != P.PENDING:
        return WebhookOutcome(200, f"ignored: payment is {intent.state.value}", intent)
    states.transition(intent, target, None, event.reason or f"provider reported {target.value}", at,
                      failure_reason=(event.reason or "")[:300], method=event.method)
    return WebhookOutcome(200, f"ok: payment {target.value}", intent)


def _apply_refund_event(intent: PaymentIntent, event: WebhookEventIn, at: datetime) -> WebhookOutcome:
    refund = db.session.scalar(sa.select(Refund).where(Refund.provider_ref == (event.refund_ref or ""),
                                                       Refund.payment_id == intent.id))
    if refund is None:
        return WebhookOutcome(422, "refused: unknown refund", intent)
    if refund.amount_fen != event.amount_fen:
        return WebhookOutcome(422, "refused: refund amount mismatch", intent)
    if refund.state != RefundState.PENDING:
        return WebhookOutcome(200, f"ignored: refund is {refund.state.value}", intent)
    if event.type == "refund.succeeded":
        states.REFUNDS.transition(refund, RefundState.SUCCEEDED, None, "refund confirmed by provider", at,
                                  succeeded_at=at)
        states.record(intent, intent.state, intent.state, None, "refund confirmed by provider", at, refund.id)
        return WebhookOutcome(200, "ok: refund succeeded", intent)
    # a failed refund needs a person: the money is still owed
    states.REFUNDS.transition(refund, RefundState.FAILED, None, "refund failed at provider: " + event.reason, at)
    states.record(intent, intent.state, intent.state, None, "refund failed at provider: " + event.reason, at,
                  refund.id)
    log.warning("refund %s failed at the provider; staff must follow up", refund.id)
    return WebhookOutcome(200, "recorded: refund failed", intent)


def payments_of(enrollment_id: int) -> list[PaymentIntent]:
    return db.session.scalars(sa.select(PaymentIntent).where(PaymentIntent.enrollment_id == enrollment_id)
                              .order_by(PaymentIntent.id)).all()


def get_intent(payment_id: int) -> PaymentIntent | None:
    return db.session.get(PaymentIntent, payment_id)


def attempts_for(enrollment_id: int) -> int:
    """How many payment intents were created for ``enrollment_id`` (for idempotency keys)."""
    return db.session.scalar(sa.select(sa.func.count(PaymentIntent.id))
                             .where(PaymentIntent.enrollment_id == enrollment_id)) or 0


def pending_intent(enrollment_id: int) -> PaymentIntent | None:
    return db.session.scalar(sa.select(PaymentIntent).where(
        PaymentIntent.enrollment_id == enrollment_id, PaymentIntent.state == PaymentState.PENDING)
        .order_by(PaymentIntent.id.desc()).limit(1))


def refunds_with_key_prefix(prefix: str) -> list[Refund]:
    return db.session.scalars(sa.select(Refund).where(Refund.idempotency_key.startswith(prefix, autoescape=True))).all()


def paid_sums():
    """A subquery of money received and refunded per enrollment: ``(enrollment_id, paid_fen,
    refunded_fen)``, for figures that group it further. A group payment counts for each
    enrollment with its line."""
    went_through = [PaymentState.SUCCEEDED, PaymentState.PARTIALLY_REFUNDED, PaymentState.REFUNDED]
    single = (sa.select(PaymentIntent.enrollment_id.label("enrollment_id"),
                        PaymentIntent.amount_fen.label("amount_fen"), PaymentIntent.refunded_fen.label("refunded_fen"))
              .where(PaymentIntent.enrollment_id.is_not(None), PaymentIntent.state.in_(went_through)))
    grouped = (sa.select(PaymentLine.enrollment_id, PaymentLine.amount_fen, PaymentLine.refunded_fen)
               .join(PaymentIntent, PaymentIntent.id == PaymentLine.payment_id)
               .where(PaymentIntent.state.in_(went_through)))
    money = sa.union_all(single, grouped).subquery()
    return (sa.select(money.c.enrollment_id.label("enrollment_id"),
                      sa.func.sum(money.c.amount_fen).label("paid_fen"),
                      sa.func.sum(money.c.refunded_fen).label("refunded_fen"))
            .group_by(money.c.enrollment_id).subquery())

