"""Comparing bases side by side (notice §3: learners choose a base freely)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ntbase.bases.models import Location, TrainingBase
from ntbase.catalog.models import Course, CourseStatus
from ntbase.kernel.db import db, now
from ntbase.kernel.enums import Category, CertificationStatus


def compare_bases(now_: datetime | None = None) -> list[dict]:
    """Bases side by side for learners choosing one (notice §3): status, public-subject
    price per hour, courses on offer by category, next start dates, locations.

    A fixed number of statements whatever the number of bases and courses.
    """
    now_ = now_ or now()
    bases = db.session.scalars(
        sa.select(TrainingBase).where(TrainingBase.status != CertificationStatus.REVOKED)
        .options(selectinload(TrainingBase.locations).selectinload(Location.rooms))
        .order_by(TrainingBase.id)).all()
    # a suspended base is shown (learners must know) but offers nothing: only certified
    # bases' courses are counted, priced and listed, as in the catalog
    certified = Course.base_id.in_(sa.select(TrainingBase.id).where(
        TrainingBase.status == CertificationStatus.CERTIFIED).scalar_subquery())
    offered = sa.and_(Course.status == CourseStatus.PUBLISHED, Course.last_session_at >= now_, certified)
    counts: dict[int, dict[str, int]] = {}
    for base_id, category, n in db.session.execute(
            sa.select(Course.base_id, Course.category, sa.func.count(Course.id)).where(offered)
            .group_by(Course.base_id, Course.category)):
        counts.setdefault(base_id, {})[category.value] = n
    # public-subject price per hour over the courses of the last year and those to come
    per_hour: dict[int, list[Decimal]] = {}
    for base_id, price_fen, hours in db.session.execute(
            sa.select(Course.base_id, Course.price_fen, Course.hours).where(
                Course.category == Category.PUBLIC, certified,
                Course.status.in_([CourseStatus.PUBLISHED, CourseStatus.CLOSED]),
                Course.first_session_at >= now_ - timedelta(days=365), Course.hours > 0)):
        per_hour.setdefault(base_id, []).append(Decimal(price_fen) / Decimal(hours))
    rank = sa.func.row_number().over(partition_by=Course.base_id,
                                     order_by=(Course.first_session_at, Course.id)).label("rank")
    upcoming = (sa.select(Course.base_id, Course.id, Course.title, Course.first_session_at, rank)
                .where(Course.status == CourseStatus.PUBLISHED, Course.first_session_at >= now_, certified)
                .subquery())
    next_courses: dict[int, list] = {}
    for row in db.session.execute(sa.select(upcoming).where(upcoming.c.rank <= 3)
                                  .order_by(upcoming.c.base_id, upcoming.c.rank)):
        next_courses.setdefault(row.base_id, []).append(row)
    out = []
    for base in bases:
        rates = per_hour.get(base.id, [])
        out.append({
            "base": base,
            "price_per_hour_min_fen": int(min(rates).quantize(Decimal(1))) if rates else None,
            "price_per_hour_avg_fen": int((sum(rates) / len(rates)).quantize(Decimal(1))) if rates else None,
            "public_courses_priced": len(rates),
            "counts": {c.value: counts.get(base.id, {}).get(c.value, 0) for c in Category},
            "next": next_courses.get(base.id, []),
            "locations": [loc for loc in base.locations if loc.active],
        })
    return out
