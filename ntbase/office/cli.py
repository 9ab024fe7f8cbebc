"""`flask ntbase office ...`: housekeeping for the office console."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ntbase.db import db


def register(group) -> None:
    office = AppGroup("office", help="Title office / HR bureau console.")

    @office.command("purge-bulk")
    def purge_bulk():
        """Delete bulk verification files (and their encrypted rows) older than a day."""
        from ntbase.office.bulk import purge_jobs

        n = purge_jobs()
        db.session.commit()
        click.echo(f"{n} bulk verification jobs deleted")

    group.add_command(office)
