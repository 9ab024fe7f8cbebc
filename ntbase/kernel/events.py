"""Domain events: how one domain tells the others that something happened.

A service that changes its own data publishes a fact (``EnrollmentCompleted``,
``PaymentSucceeded``…); the domains that care subscribe and react with their own
services. Publishing is synchronous and in the same unit of work: the reactions write in
the same transaction, so a failure in any of them rolls the whole change back, and the
publisher never needs to know who listens (no import of the listening domain).

Each domain declares its events in ``<domain>/events.py`` (frozen dataclasses of plain
values: ids, amounts, times — never ORM objects, so a handler loads what it needs through
its own services) and its reactions in ``<domain>/handlers.py``::

    from ntbase.enrollment.events import EnrollmentCompleted
    from ntbase.kernel.events import subscribe

    @subscribe(EnrollmentCompleted)
    def issue_certificate_on_completion(event: EnrollmentCompleted) -> None:
        ...

Handlers run in the order their modules were imported (``ntbase.blueprints.HANDLERS``),
once each; a handler that raises stops the publisher too.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Base class of every domain event."""


Handler = Callable[[Event], None]
_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def subscribe(*event_types: type[Event]) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        for event_type in event_types:
            if fn not in _handlers[event_type]:
                _handlers[event_type].append(fn)
        return fn

    return decorator


def publish(event: Event) -> list:
    """Run every handler of ``event``; returns what they returned (most return None; a
    handler may answer with a short outcome the publisher reports, such as a webhook's)."""
    results = []
    for handler in list(_handlers.get(type(event), ())):
        log.debug("%s -> %s.%s", type(event).__name__, handler.__module__, handler.__name__)
        results.append(handler(event))
    return results


def handlers_of(event_type: type[Event]) -> list[Handler]:
    """Who reacts to ``event_type`` (for tests and docs/architecture.md)."""
    return list(_handlers.get(event_type, ()))


@contextmanager
def handlers_replaced(event_type: type[Event], handlers: list[Handler]) -> Iterator[None]:
    """For tests: ``event_type`` reaches only ``handlers`` inside the block."""
    saved = _handlers.get(event_type, [])
    _handlers[event_type] = list(handlers)
    try:
        yield
    finally:
        _handlers[event_type] = saved


__all__ = ["Event", "subscribe", "publish", "handlers_of", "handlers_replaced"]
