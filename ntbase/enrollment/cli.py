"""``flask ntbase sweep-holds``: expire unpaid holds and untaken offers (run it from cron)."""
from __future__ import annotations

import click

from ntbase.db import db


def register(group) -> None:
    @group.command("sweep-holds")
    def sweep_holds_command():
        """Expire unpaid holds and untaken offers, free their seats, offer them to the waitlist."""
        from ntbase.enrollment.services import sweep_expired

        res = sweep_expired()
        db.session.commit()
        click.echo(f"expired holds: {res.expired_holds}, expired offers: {res.expired_offers}, "
                   f"offers made: {res.offers_made}")
