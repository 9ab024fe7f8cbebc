"""What each domain plugs into the app, in one place: a new domain adds its lines here.

Every module listed must exist: a typo or a missing file stops the app at start-up
(``ModuleNotFoundError``) instead of silently dropping a blueprint or a handler.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# Blueprints: each module exposes ``bp`` (or ``blueprints = [...]``).
VIEWS = [
    "ntbase.main.views",
    "ntbase.accounts.views",
    "ntbase.bases.views",
    "ntbase.bases.seal_views",
    "ntbase.catalog.views",
    "ntbase.enrollment.views",
    "ntbase.payments.views",
    "ntbase.attendance.views",
    "ntbase.certificates.views",
    "ntbase.certificates.openbadges_views",
    "ntbase.verification.views",
    "ntbase.hours.views",
    "ntbase.office.views",
    "ntbase.api.views",
]

# JSON routes on the shared /api/v1 blueprint (``ntbase.kernel.api.bp``).
APIS = [
    "ntbase.catalog.api",
    "ntbase.enrollment.api",
    "ntbase.verification.api",
    "ntbase.hours.api",
    "ntbase.office.api",
]

# Domain event handlers (``ntbase.kernel.events.subscribe``), in the order they react.
HANDLERS = [
    "ntbase.catalog.handlers",
    "ntbase.enrollment.handlers",
    "ntbase.attendance.handlers",
    "ntbase.certificates.handlers",
    "ntbase.hours.handlers",
]

# ``register(group)`` adds subcommands to ``flask ntbase``.
CLI = [
    "ntbase.enrollment.cli",
    "ntbase.certificates.cli",
    "ntbase.hours.cli",
    "ntbase.office.cli",
]

# ``load()``: idempotent demo content, run in this order after the bases and users.
DEMO = [
    "ntbase.hours.demo",
    "ntbase.catalog.demo",
    "ntbase.enrollment.demo",
    "ntbase.certificates.demo",
    "ntbase.attendance.demo",  # after certificates: an ended course left for staff to complete
    "ntbase.office.demo",
]


def load(paths: list[str]) -> list[ModuleType]:
    return [importlib.import_module(path) for path in paths]


def blueprints() -> list:
    bps = []
    for mod in load(VIEWS):
        bps.extend(getattr(mod, "blueprints", None) or [mod.bp])
    return bps
