from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ntbase.kernel.db import TimestampMixin, db, enum_column, now
from ntbase.kernel.enums import LabeledEnum
from ntbase.kernel.history import StateHistoryMixin


class PaymentState(LabeledEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"  # fully refunded
    PARTIALLY_REFUNDED = "partially_refunded"

    @classmethod
    def _titles(cls):
        return {"pending": _l("Awaiting payment"), "succeeded": _l("Paid"),
                "failed": _l("Payment failed"), "cancelled": _l("Payment cancelled"),
                "expired": _l("Payment expired"), "refunded": _l("Refunded"),
                "partially_refunded": _l("Partially refunded")}


class RefundState(LabeledEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @classmethod
    def _titles(cls):
        return {"pending": _l("Refund pending"), "succeeded": _l("Refunded"),
                "failed": _l("Refund failed")}


class PaymentIntent(TimestampMixin, db.Model):
    __tablename__ = "payment_intent"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"),
        # a payment is for one enrollment, or for a group of them (an employer paying for its
        # staff: one line per enrollment), never both and never neither
        sa.CheckConstraint("(enrollment_id IS NULL) <> (group_id IS NULL)", name="one_purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    # a group payment (``lines`` say how much of it is for which enrollment)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrollment_group.id"), index=True)
    # who pays: the learner, or for a group payment the employer administrator who started it
    learner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    amount_fen: Mapped[int]
    refunded_fen: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="CNY")
    provider: Mapped[str] = mapped_column(sa.String(32), default="sandbox")
    provider_ref: Mapped[str] = mapped_column(sa.String(64), unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    state: Mapped[PaymentState] = mapped_column(
        enum_column(PaymentState, name="payment_state"), default=PaymentState.PENDING, index=True
    )
    method: Mapped[str | None] = mapped_column(sa.String(20))  # wechat / alipay / card
    failure_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # what the money is for, as the payer reads it, and where they return after paying
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    return_path: Mapped[str] = mapped_column(sa.String(200), default="/")
    invoice_title: Mapped[str] = mapped_column(sa.String(200), default="")
    invoice_taxpayer_no: Mapped[str] = mapped_column(sa.String(20), default="")
    succeeded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]

    enrollment = relationship("Enrollment")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")
    lines: Mapped[list[PaymentLine]] = relationship(back_populates="payment", order_by="PaymentLine.id")

    @property
    def is_group(self) -> bool:
        return self.group_id is not None


class PaymentLine(db.Model):
    """The part of a group payment that is for one enrollment. Refunds of that enrollment
    come out of its line: never more than the line (database check), and the lines of a
    payment add up to its amount (``create_group_payment``)."""

    __tablename__ = "payment_line"
    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_amount"),
        sa.UniqueConstraint("payment_id", "enrollment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_intent.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrollment.id"), index=True)
    amount_fen: Mapped[int]
    refunded_fen: Mapped[int] = mapped_column(default=0)

    payment: Mapped[PaymentIntent] = relationship(back_populates="lines")

    @property
    def paid_fen(self) -> int:
        """Paid for this enrollment and not refunded (0 until the payment went through)."""
        if self.payment.state.value not in ("succeeded", "partially_refunded"):
            return 0
        return self.amount_fen - self.refunded_fen


class Refund(TimestampMixin, db.Model):
    __tablename__ = "refund"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_intent.id"), index=True)
    # for a group payment: the line (enrollment) the money came out of
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_line.id"), index=True)
    amount_fen: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    provider_ref: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[RefundState] = mapped_column(
        enum_column(RefundState, name="refund_state"), default=RefundState.PENDING
    )
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    succeeded_at: Mapped[datetime | None]

    payment: Mapped[PaymentIntent] = relationship(back_populates="refunds")
    line: Mapped[PaymentLine | None] = relationship()
    events: Mapped[list[RefundEvent]] = relationship(order_by="RefundEvent.id", viewonly=True)


class PaymentEvent(StateHistoryMixin, db.Model):
    """History of a payment's state (``refund_id``: the refund that moved it)."""

    __tablename__ = "payment_event"

    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payment_intent.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refund.id"))


class RefundEvent(StateHistoryMixin, db.Model):
    """History of a refund's state: sent, confirmed or refused by the provider, retried."""

    __tablename__ = "refund_event"

    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refund.id"), index=True)


class WebhookEvent(db.Model):
    """Each provider event id is processed once; replays change nothing."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(80), unique=True)
    provider: Mapped[str] = mapped_column(sa.String(32), default="sandbox")
    type: Mapped[str] = mapped_column(sa.String(50))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    received_at: Mapped[datetime] = mapped_column(default=now)
    processed_at: Mapped[datetime | None]
    result: Mapped[str] = mapped_column(sa.String(300), default="")
