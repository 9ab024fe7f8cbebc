"""The list of blueprints, in one place so adding a domain touches one line."""
from __future__ import annotations

import importlib

# module path -> attribute; a domain whose views module is absent is skipped
_VIEWS = [
    "ntbase.main.views",
    "ntbase.accounts.views",
    "ntbase.bases.views",
    "ntbase.catalog.views",
    "ntbase.enrollment.views",
    "ntbase.payments.views",
    "ntbase.attendance.views",
    "ntbase.certificates.views",
    "ntbase.hours.views",
    "ntbase.office.views",
    "ntbase.api.views",
]


def BLUEPRINTS():  # noqa: N802
    bps = []
    for path in _VIEWS:
        try:
            mod = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name and path.startswith(exc.name):
                continue
            raise
        bps.extend(getattr(mod, "blueprints", [mod.bp]))
    return bps
