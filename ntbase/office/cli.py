"""`flask ntbase office ...`: the group the rooms' commands join."""
from __future__ import annotations

from flask.cli import AppGroup


def office_group(group) -> AppGroup:
    """The ``office`` subgroup of ``flask ntbase``, created by the first room that needs it."""
    office = group.commands.get("office")
    if office is None:
        office = AppGroup("office", help="Title office / HR bureau console.")
        group.add_command(office)
    return office
