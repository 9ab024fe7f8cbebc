"""`flask ntbase office ...`: housekeeping for the office console."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from ntbase.kernel.uow import unit_of_work
from ntbase.office.bulk import purge_jobs


def register(group) -> None:
    office = AppGroup("office", help="Title office / HR bureau console.")

    @office.command("purge-bulk")
    def purge_bulk():
        """Delete bulk verification files (and their encrypted rows) older than a day."""
        with unit_of_work():
            n = purge_jobs()
        click.echo(f"{n} bulk verification jobs deleted")

    group.add_command(office)
