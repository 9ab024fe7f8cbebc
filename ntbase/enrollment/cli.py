"""``flask ntbase sweep-holds``: expire unpaid holds and untaken offers (the worker runs it too)."""
from __future__ import annotations

import click

from ntbase.enrollment.services import sweep_expired
from ntbase.kernel.uow import unit_of_work


def register(group) -> None:
    @group.command("sweep-holds")
    def sweep_holds_command():
        """Expire unpaid holds and untaken offers, free their seats, offer them to the waitlist."""
        with unit_of_work():
            res = sweep_expired()
        click.echo(f"expired holds: {res.expired_holds}, expired offers: {res.expired_offers}, "
                   f"offers made: {res.offers_made}")
