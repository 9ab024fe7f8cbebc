"""The one way to tell a user something: ``notify(user_id, kind, link=…, **context)``.

- The message comes from ``templates/notifications/<kind>.txt`` (blocks ``title``, ``body``
  and, optionally, ``sms``), rendered in the user's own language (their chosen locale,
  else the platform's), whatever language the person who caused it uses. A context value
  may be a callable: it is called inside that language (a list of translated names…).
- The in-app notice (``accounts``' ``Notice``) is always written, in the caller's unit of
  work: exactly one per call.
- For each channel the user chose (e-mail on by default, SMS off) a ``Delivery`` row is
  written too, and handed to the worker once the unit of work has committed
  (``notifications.deliver``). A send that fails is retried with exponential back-off
  (``DELIVERY_RETRY_SECONDS`` × 2ⁿ, ``DELIVERY_MAX_ATTEMPTS`` attempts); it never blocks or
  fails the request that caused it.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ntbase.accounts import services as accounts
from ntbase.accounts.models import LearnerProfile, Notice, User
from ntbase.kernel.db import db, now
from ntbase.kernel.formatting import public_base_url
from ntbase.kernel.jobs import enqueue_after_commit
from ntbase.kernel.security import mask_mobile
from ntbase.notifications.channels import SENDERS, DeliveryError
from ntbase.notifications.models import (
    Channel,
    Delivery,
    DeliveryState,
    NotificationPreference,
    SandboxSms,
)

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


# ---------------------------------------------------------------- language and preferences

def locale_of(user: User | None) -> str:
    languages = current_app.config["LANGUAGES"]
    loc = user.locale if user is not None else None
    return loc if loc in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class Preferences:
    email: bool = True
    sms: bool = False


def preferences_of(user_id: int) -> Preferences:
    row = db.session.get(NotificationPreference, user_id)
    return Preferences(row.email, row.sms) if row is not None else Preferences()


def set_preferences(user_id: int, *, email: bool, sms: bool) -> Preferences:
    row = db.session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id)
        db.session.add(row)
    row.email, row.sms = bool(email), bool(sms)
    db.session.flush()
    return Preferences(row.email, row.sms)


def _addresses(user: User, mobile: str | None, prefs: Preferences) -> list[tuple[Channel, str]]:
    out = []
    if prefs.email and user.email and user.is_active:
        out.append((Channel.EMAIL, user.email))
    if prefs.sms and mobile and user.is_active:
        out.append((Channel.SMS, mobile))
    return out


# ---------------------------------------------------------------- rendering

@dataclass(frozen=True)
class Message:
    title: str
    body: str
    sms: str
    url: str  # absolute, for what leaves the site ("" when there is no link)


def absolute(link: str | None) -> str:
    if not link:
        return ""
    return link if "://" in link else public_base_url() + link


def render_message(kind: str, locale: str, link: str | None = None, **context) -> Message:
    """``templates/notifications/<kind>.txt`` in ``locale`` (plain text, not HTML-escaped)."""
    template = current_app.jinja_env.get_template(f"notifications/{kind}.txt")
    url = absolute(link)
    with force_locale(locale):
        values = {k: (v() if callable(v) else v) for k, v in context.items()}
        values["url"] = url
        ctx = template.new_context(values)

        def block(name: str) -> str:
            if name not in template.blocks:
                return ""
            return " ".join("".join(template.blocks[name](ctx)).split())  # one line, single spaces

        title, body = block("title"), block("body")
        sms = block("sms") or title
        sms = _("【NTBase】%(text)s", text=sms) + (f" {url}" if url else "")
    return Message(title[:200], body, sms, url)


def _email_parts(message: Message, locale: str) -> tuple[str, str]:
    """(plain text, HTML) of the e-mail for ``message``."""
    prefs_url = absolute("/account/notifications")
    with force_locale(locale):
        lines = [message.title, "", message.body] if message.body else [message.title]
        if message.url:
            lines += ["", _("Open: %(url)s", url=message.url)]
        lines += ["", "--", _("NTBase, Nantong Continuing Education Bases. You receive this because e-mail is "
                               "on in your notification settings: %(url)s", url=prefs_url)]
        html = current_app.jinja_env.get_template("notifications/email.html").render(
            message=message, prefs_url=prefs_url, lang="en" if locale == "en" else "zh-CN")
    return "\n".join(lines), html


# ---------------------------------------------------------------- telling users

def notify(user_id: int, kind: str, *, link: str | None = None, **context) -> Notice | None:
    """One in-app notice for ``user_id`` and a delivery per channel they chose."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    locale = locale_of(user)
    message = render_message(kind, locale, link, **context)
    notice = accounts.notify(user.id, message.title, message.body, link)
    mobile = db.session.scalar(sa.select(LearnerProfile.mobile).where(LearnerProfile.user_id == user.id))
    _queue(user.id, kind, message, locale, _addresses(user, mobile, preferences_of(user.id)))
    return notice


def notify_many(user_ids, kind: str, *, link: str | None = None, **context) -> int:
    """``notify`` for many users at once: rendered once per language, a fixed number of
    statements whatever the number of users. Returns the number of notices written."""
    ids = sorted(set(user_ids))
    if not ids:
        return 0
    rows = db.session.execute(
        sa.select(User, LearnerProfile.mobile, NotificationPreference)
        .outerjoin(LearnerProfile, LearnerProfile.user_id == User.id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.id.in_(ids))).all()
    by_locale: dict[str, list] = defaultdict(list)
    for user, mobile, pref in rows:
        by_locale[locale_of(user)].append((user, mobile, pref))
    sent = 0
    for locale, members in sorted(by_locale.items()):
        message = render_message(kind, locale, link, **context)
        sent += accounts.notify_many([u.id for u, _m, _p in members], message.title, message.body, link)
        for user, mobile, pref in members:
            prefs = Preferences(pref.email, pref.sms) if pref is not None else Preferences()
            _queue(user.id, kind, message, locale, _addresses(user, mobile, prefs))
    return sent


def email(address: str, kind: str, *, locale: str, user_id: int | None = None, link: str | None = None,
          **context) -> Delivery:
    """An e-mail only, whatever the settings, with no in-app notice (a password reset link)."""
    message = render_message(kind, locale, link, **context)
    return _queue(user_id, kind, message, locale, [(Channel.EMAIL, address)])[0]


def _queue(user_id, kind, message: Message, locale: str, addresses) -> list[Delivery]:
    made = []
    for channel, address in addresses:
        if channel == Channel.EMAIL:
            text, html = _email_parts(message, locale)
            d = Delivery(user_id=user_id, kind=kind, channel=channel, recipient=address, subject=message.title,
                         body=text, html=html)
        else:
            d = Delivery(user_id=user_id, kind=kind, channel=channel, recipient=address, subject="",
                         body=message.sms)
        d.next_attempt_at = now()
        db.session.add(d)
        made.append(d)
    if made:
        db.session.flush()
        for d in made:
            enqueue_after_commit("notifications.deliver", d.id)
    return made


# ---------------------------------------------------------------- delivering (the worker)

def retry_delay(attempt: int) -> timedelta:
    """How long after the ``attempt``-th failed try the next one comes: doubling each time."""
    base = timedelta(seconds=float(current_app.config.get("DELIVERY_RETRY_SECONDS", 60)))
    return min(base * (2 ** max(0, attempt - 1)), MAX_BACKOFF)


@dataclass(frozen=True)
class Outgoing:
    """A claimed attempt: what a channel needs, read before the claim is committed."""

    id: int
    channel: Channel
    recipient: str
    subject: str
    body: str
    html: str
    attempts: int


def claim_delivery(delivery_id: int, at: datetime | None = None) -> Outgoing | None:
    """Claim the next attempt of a due, pending delivery (a conditional UPDATE), so the
    retry the queue scheduled and the overdue sweep never send one message twice at once.
    The claim moves ``next_attempt_at`` to when a retry would be due: if the worker dies
    mid-send, the sweep tries again then."""
    at = at or now()
    row = db.session.execute(
        sa.select(Delivery.attempts).where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING,
                                           Delivery.next_attempt_at <= at)).first()
    if row is None:
        return None  # sent, given up, gone or not due yet
    attempt = row.attempts + 1
    claimed = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING,
               Delivery.attempts == row.attempts)
        .values(attempts=attempt, next_attempt_at=at + retry_delay(attempt))
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return None  # another worker took this attempt
    d = db.session.get(Delivery, delivery_id)
    db.session.refresh(d)
    return Outgoing(d.id, d.channel, d.recipient, d.subject, d.body, d.html, d.attempts)


def send(outgoing: Outgoing) -> str:
    """Hand ``outgoing`` to its channel; "" when it went, else the error (never raises)."""
    try:
        SENDERS[outgoing.channel](outgoing)
    except DeliveryError as exc:
        return str(exc)[:500] or "failed"
    return ""


def record_attempt(outgoing: Outgoing, error: str, at: datetime | None = None) -> DeliveryState:
    """Sent, or the error kept and the next attempt scheduled (given up after the last)."""
    d = db.session.get(Delivery, outgoing.id)
    if d is None:
        return DeliveryState.FAILED
    if not error:
        d.state, d.sent_at, d.last_error = DeliveryState.SENT, at or now(), ""
        log.info("delivery id=%s (%s, %s) sent on attempt %s", d.id, d.channel.value, d.kind, d.attempts)
        return d.state
    d.last_error = error
    if d.attempts >= int(current_app.config.get("DELIVERY_MAX_ATTEMPTS", 8)):
        d.state = DeliveryState.FAILED
        log.error("delivery id=%s (%s) given up after %s attempts: %s", d.id, d.channel.value, d.attempts, error)
    else:
        log.warning("delivery id=%s (%s) attempt %s failed, next at %s: %s", d.id, d.channel.value,
                    d.attempts, d.next_attempt_at, error)
        enqueue_after_commit("notifications.deliver", d.id, at=d.next_attempt_at)
    return d.state


def resend_overdue(at: datetime | None = None, grace: timedelta = timedelta(minutes=2)) -> int:
    """Hand the queue again what should have been tried by now (a queue that lost a job,
    a worker that died mid-send). Run every minute."""
    at = at or now()
    ids = db.session.scalars(sa.select(Delivery.id).where(
        Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at < at - grace)
        .order_by(Delivery.next_attempt_at).limit(500)).all()
    for delivery_id in ids:
        enqueue_after_commit("notifications.deliver", delivery_id)
    return len(ids)


def purge_sent(before: datetime | None = None) -> int:
    """Sent messages hold addresses and texts: kept 30 days for questions, then deleted."""
    before = before or (now() - timedelta(days=30))
    db.session.execute(sa.update(SandboxSms).where(SandboxSms.delivery_id.in_(
        sa.select(Delivery.id).where(Delivery.state == DeliveryState.SENT, Delivery.sent_at < before)))
        .values(delivery_id=None).execution_options(synchronize_session=False))
    return db.session.execute(sa.delete(Delivery).where(
        Delivery.state == DeliveryState.SENT, Delivery.sent_at < before)
        .execution_options(synchronize_session=False)).rowcount


# ---------------------------------------------------------------- the sandbox SMS inbox

@dataclass(frozen=True)
class SandboxText:
    id: int
    mobile_masked: str
    text: str
    created_at: datetime


def sandbox_texts(limit: int = 200) -> list[SandboxText]:
    """What the sandbox provider kept, newest first, numbers masked (staff read these)."""
    rows = db.session.scalars(sa.select(SandboxSms).order_by(SandboxSms.id.desc()).limit(limit)).all()
    return [SandboxText(r.id, mask_mobile(r.mobile), r.text, r.created_at) for r in rows]
