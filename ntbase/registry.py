"""What each domain plugs into the app, in one place: a new domain adds its lines here.

Every module listed must exist: a typo or a missing file stops the app at start-up
(``ModuleNotFoundError``) instead of silently dropping a blueprint or a handler.
"""
from __future__ import annotations

import importlib
from types import ModuleType

# Blueprints: each module exposes ``bp`` (or ``blueprints = [...]``); modules that add routes
# to one blueprint expose the same ``bp``, registered once.
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
    # the office's rooms: each adds its routes to the one ``office`` blueprint
    "ntbase.office.console.views",
    "ntbase.office.bulk.views",
    "ntbase.office.person.views",
    "ntbase.office.applicants.views",
    "ntbase.office.bases.views",
    "ntbase.office.complaints.views",
    "ntbase.office.ratings.views",
    "ntbase.office.tokens.views",
    "ntbase.office.stats.views",
    "ntbase.office.auditlog.views",
    "ntbase.notifications.views",
    "ntbase.employers.views",
    "ntbase.employers.office_views",
    "ntbase.media.serving",
    "ntbase.learning.views",
    "ntbase.learning.exam_views",
    "ntbase.learning.staff_views",
    "ntbase.learning.progress_views",
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
    "ntbase.notifications.handlers",
    "ntbase.catalog.handlers",
    "ntbase.enrollment.handlers",
    "ntbase.attendance.handlers",
    "ntbase.certificates.handlers",
    "ntbase.hours.handlers",
    "ntbase.employers.handlers",
    "ntbase.learning.handlers",
    "ntbase.office.complaints.handlers",
]

# Background jobs (``ntbase.kernel.jobs.job``), run by ``flask ntbase worker``.
JOBS = [
    "ntbase.notifications.jobs",
    "ntbase.enrollment.jobs",
    "ntbase.certificates.jobs",
    "ntbase.office.bulk.jobs",
    "ntbase.learning.jobs",
]

# ``register(group)`` adds subcommands to ``flask ntbase``.
CLI = [
    "ntbase.enrollment.cli",
    "ntbase.certificates.cli",
    "ntbase.hours.cli",
    "ntbase.office.bulk.cli",
]

# ``load()``: idempotent demo content, run in this order after the bases and users.
DEMO = [
    "ntbase.hours.demo",
    "ntbase.catalog.demo",
    "ntbase.enrollment.demo",
    "ntbase.attendance.demo",  # a finished course with its certificate, and one left for staff to complete
    "ntbase.learning.demo",    # an online public course at each base, with lessons and an exam
    "ntbase.employers.demo",
    "ntbase.office.complaints.demo",
    "ntbase.office.applicants.demo",
]


def load(paths: list[str]) -> list[ModuleType]:
    return [importlib.import_module(path) for path in paths]


def blueprints() -> list:
    bps = []
    for mod in load(VIEWS):
        for bp in getattr(mod, "blueprints", None) or [mod.bp]:
            if bp not in bps:
                bps.append(bp)
    return bps
