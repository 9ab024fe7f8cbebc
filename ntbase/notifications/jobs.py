"""Delivery of what leaves the site, retried with back-off; overdue ones re-queued every
minute; sent ones purged after 30 days."""
from __future__ import annotations

from ntbase.kernel.jobs import every_minute, hourly, job
from ntbase.kernel.uow import unit_of_work
from ntbase.notifications import services


@job("notifications.deliver")
def deliver(delivery_id: int) -> None:
    """Claim, send, record. The claim is committed before the send (an inner unit of work),
    so no transaction, and no SQLite write lock, is held while a mail server is slow; the
    outcome is written by the job's own unit of work."""
    with unit_of_work():
        outgoing = services.claim_delivery(delivery_id)
    if outgoing is None:
        return
    services.record_attempt(outgoing, services.send(outgoing))


@job("notifications.resend_overdue", periodic=every_minute)
def resend_overdue() -> None:
    services.resend_overdue()


@job("notifications.purge_sent", periodic=hourly)
def purge_sent() -> None:
    services.purge_sent()
