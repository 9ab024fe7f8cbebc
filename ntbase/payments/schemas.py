"""Pydantic v2 models of the payment stub: what a provider returns and what it sends back.

Amounts are integer fen in CNY; a float never appears. The same models describe the
JSON API and the webhook body, so a real provider plugs in by producing them.
"""
from __future__ import annotations

import enum
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from ntbase.kernel.api import LocalDateTime


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


Method = Literal["wechat", "alipay", "card"]
METHODS: tuple[str, ...] = ("wechat", "alipay", "card")

EventType = Literal["payment.succeeded", "payment.failed", "payment.cancelled",
                    "refund.succeeded", "refund.failed"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderIntent(_Model):
    """What a provider answers when asked to create a payment."""

    provider_ref: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(gt=0)
    currency: Literal["CNY"] = "CNY"
    checkout_url: str


class RefundOut(_Model):
    """A refund as a provider (or the API) reports it."""

    provider_ref: str = Field(min_length=1, max_length=64)
    payment_ref: str
    amount_fen: int = Field(gt=0)
    currency: Literal["CNY"] = "CNY"
    status: RefundStatus


class PaymentIntentOut(_Model):
    """A payment as the API shows it to its owner."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    provider: str
    provider_ref: str
    enrollment_id: int
    amount_fen: int = Field(gt=0)
    refunded_fen: int = Field(ge=0)
    currency: Literal["CNY"] = "CNY"
    status: PaymentStatus
    method: Method | None = None
    checkout_url: str | None = None
    created_at: LocalDateTime
    succeeded_at: LocalDateTime | None = None
    expires_at: LocalDateTime | None = None
    refunds: list[RefundOut] = []


class WebhookEvent(_Model):
    """The signed body a provider posts to /payments/webhook/<provider>."""

    event_id: str = Field(min_length=8, max_length=80, pattern=r"^[A-Za-z0-9_\-]+$")
    type: EventType
    intent_ref: str = Field(min_length=1, max_length=64)
    amount_fen: StrictInt = Field(gt=0)  # integer fen: 12.5 or "1250" is refused
    currency: Literal["CNY"] = "CNY"
    timestamp: StrictInt = Field(gt=0, description="Unix seconds when the provider created the event")
    method: Method | None = None
    refund_ref: str | None = Field(default=None, max_length=64)
    reason: str = Field(default="", max_length=300)


TAXPAYER_RE = re.compile(r"^[0-9A-Z]{15,20}$")


class InvoiceDetails(_Model):
    """发票 details a learner may give at payment; NTBase stores them, the base issues."""

    title: str = Field(default="", max_length=200)
    taxpayer_no: str = Field(default="", max_length=20)

    @field_validator("title")
    @classmethod
    def _strip_title(cls, v: str) -> str:
        return v.strip()

    @field_validator("taxpayer_no")
    @classmethod
    def _taxpayer(cls, v: str) -> str:
        v = v.strip().upper().replace(" ", "")
        if v and not TAXPAYER_RE.match(v):
            raise ValueError("taxpayer number: 15 to 20 digits or capital letters")
        return v
