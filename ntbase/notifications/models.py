"""What leaves the site: each message to one address over one channel, with its attempts;
the learner's channel choices; the sandbox SMS provider's inbox."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from ntbase.kernel.db import db, enum_column, now
from ntbase.kernel.enums import LabeledEnum


class Channel(LabeledEnum):
    EMAIL = "email"
    SMS = "sms"

    @classmethod
    def _titles(cls):
        return {"email": _l("E-mail"), "sms": _l("SMS")}


class DeliveryState(LabeledEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # every attempt failed: given up

    @classmethod
    def _titles(cls):
        return {"pending": _l("Waiting to be sent"), "sent": _l("Sent"), "failed": _l("Failed")}


class NotificationPreference(db.Model):
    """Channels a user chose besides the in-app notice (always on). No row: the defaults."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)
    sms: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class Delivery(db.Model):
    """One message to one address over one channel (the outbox). Written in the unit of work
    that caused it, sent by the worker once that committed; retried with back-off."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.Index("ix_delivery_due", "state", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(60))  # the message template, e.g. certificate_issued
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, name="delivery_channel"))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    html: Mapped[str] = mapped_column(sa.Text, default="")
    state: Mapped[DeliveryState] = mapped_column(enum_column(DeliveryState, name="delivery_state"),
                                                 default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    next_attempt_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]


class SandboxSms(db.Model):
    """A text the sandbox SMS provider "sent": staff read them on /office/sms."""

    __tablename__ = "sandbox_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("delivery.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
