"""Ledger rows as the pure engine's inputs (``engine.Activity``, ``engine.Exemption``, ``engine.Period``)."""
from __future__ import annotations

from decimal import Decimal

from ntbase.hours import engine
from ntbase.hours.engine import Activity, Exemption, Period
from ntbase.hours.models import ExemptionEvent, LedgerEntry


def entry_activity(entry: LedgerEntry) -> Activity:
    return Activity(kind=entry.kind, days=entry.days, hours=entry.hours, category=entry.category,
                    level=entry.level, region=entry.region, title=entry.title)


def event_exemption(event: ExemptionEvent) -> Exemption:
    return Exemption(kind=event.kind, year=event.year, level=event.level, grade=event.grade,
                     characters=event.characters, provincial=event.papers_provincial or 0,
                     city=event.papers_city or 0, county=event.papers_county or 0, round=event.round)


def entry_hours(entry: LedgerEntry) -> Decimal:
    """What an entry is worth under Art. 17 (before the yearly caps)."""
    hours, _rate = engine.activity_hours(entry_activity(entry))
    return engine.round1(hours)


def period_for(periods, year: int) -> Period | None:
    """The recorded appointment period holding ``year`` (the latest, if several)."""
    best = None
    for p in periods:
        if p.start_year <= year <= p.end_year and (best is None or p.start_year > best.start_year):
            best = p
    return Period(best.start_year, best.end_year) if best is not None else None
