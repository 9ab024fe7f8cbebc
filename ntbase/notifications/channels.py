"""How a message leaves the site (each sender takes a ``services.Outgoing``): e-mail over SMTP (Flask-Mailman) and SMS through a
provider. A channel raises on failure; the delivery service records it and retries.

SMS providers implement ``SmsProvider``; ``SMS_PROVIDER`` names one: ``sandbox`` (the
built-in provider that keeps each text for staff to read on /office/sms) or
``package.module:ClassName`` for a real gateway (constructed with the app config).
"""
from __future__ import annotations

import importlib
from typing import Protocol

from flask import current_app
from flask_mailman import EmailMultiAlternatives

from ntbase.kernel.db import db
from ntbase.notifications.models import Channel, SandboxSms


class DeliveryError(RuntimeError):
    """A channel could not hand the message over (the server refused or was unreachable)."""


class SmsProvider(Protocol):
    def send(self, mobile: str, text: str, *, delivery_id: int | None = None) -> str:
        """Send ``text`` to ``mobile``; return the provider's message id, or raise."""


class SandboxSmsProvider:
    """Keeps every text in ``sandbox_sms`` instead of sending it (no gateway needed)."""

    def __init__(self, config=None):
        self.config = config

    def send(self, mobile: str, text: str, *, delivery_id: int | None = None) -> str:
        row = SandboxSms(mobile=mobile, text=text, delivery_id=delivery_id)
        db.session.add(row)
        db.session.flush()
        return f"sandbox-{row.id}"


def sms_provider() -> SmsProvider:
    name = current_app.config.get("SMS_PROVIDER", "sandbox")
    if name == "sandbox":
        return SandboxSmsProvider(current_app.config)
    module, _, cls = name.partition(":")
    return getattr(importlib.import_module(module), cls)(current_app.config)


def send_email(delivery) -> None:
    msg = EmailMultiAlternatives(subject=delivery.subject, body=delivery.body,
                                 from_email=current_app.config["MAIL_DEFAULT_SENDER"], to=[delivery.recipient])
    if delivery.html:
        msg.attach_alternative(delivery.html, "text/html")
    try:
        sent = msg.send()
    except Exception as exc:  # noqa: BLE001 - smtplib and socket errors alike: the delivery retries
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if not sent:
        raise DeliveryError("the mail backend sent nothing")


def send_sms(delivery) -> None:
    try:
        sms_provider().send(delivery.recipient, delivery.body, delivery_id=delivery.id)
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - a gateway's own errors: the delivery retries
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


SENDERS = {Channel.EMAIL: send_email, Channel.SMS: send_sms}
