"""`flask ntbase office purge-bulk`: delete expired bulk verification files."""
from __future__ import annotations

import click

from ntbase.kernel.uow import unit_of_work
from ntbase.office.bulk.services import purge_jobs
from ntbase.office.cli import office_group


@click.command("purge-bulk")
def purge_bulk():
    """Delete bulk verification files (and their encrypted rows) older than a day."""
    with unit_of_work():
        n = purge_jobs()
    click.echo(f"{n} bulk verification jobs deleted")


def register(group) -> None:
    office_group(group).add_command(purge_bulk)
