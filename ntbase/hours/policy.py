"""The yearly policy table and the public-course round → year table, as data.

A year is judged by the row with the greatest ``effective_year`` ≤ that year, so a new
year's rules are a new row and past years keep their own. Office edits keep history
(PolicyChange: before / after / reason / who).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import gettext as _

from ntbase.hours.engine import PolicyRule, select_policy
from ntbase.hours.events import PolicyChanged
from ntbase.hours.models import Policy, PolicyChange, RoundYear
from ntbase.kernel.cache import memo
from ntbase.kernel.db import db, now
from ntbase.kernel.errors import DomainError
from ntbase.kernel.events import publish

# RULES §2: Art. 16 (2011 measures) and notice §1 (2021 notice, after 人社部令第25号)
DEFAULT_POLICIES = [
    {"effective_year": 2011, "required_total": Decimal("72.0"), "required_public": Decimal("0.0"),
     "public_cap_share": "1/3", "self_study_cap_share": "1/3",
     # no public minimum before 2021: an exemption completes the whole year
     "exemptions_cover_public": True, "source": "Art. 16"},
    {"effective_year": 2021, "required_total": Decimal("90.0"), "required_public": Decimal("24.0"),
     "public_cap_share": "1/3", "self_study_cap_share": "1/3",
     # notice §4 / Art. 27(3): exemptions complete the total only
     "exemptions_cover_public": False, "source": "notice §1"},
]
# notice §4: the 5th-round public-course certificate waives public subjects in 2021
DEFAULT_ROUNDS = {5: 2021}
FIRST_YEAR, LAST_YEAR = 2011, 2100


def parse_share(text: str, field: str) -> Fraction:
    """"1/3" → Fraction(1, 3); a share must lie in (0, 1]."""
    try:
        value = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise DomainError(_("Enter a fraction such as 1/3."), field=field) from None
    if not 0 < value <= 1:
        raise DomainError(_("The share must be more than 0 and at most 1."), field=field)
    return value


def rule_from_row(row: Policy) -> PolicyRule:
    return PolicyRule(
        effective_year=row.effective_year, required_total=Decimal(row.required_total),
        required_public=Decimal(row.required_public),
        public_cap_share=Fraction(row.public_cap_share), self_study_cap_share=Fraction(row.self_study_cap_share),
        exemptions_cover_public=row.exemptions_cover_public, source=row.source,
    )


def default_rules() -> list[PolicyRule]:
    return [PolicyRule(effective_year=p["effective_year"], required_total=p["required_total"],
                       required_public=p["required_public"], public_cap_share=Fraction(p["public_cap_share"]),
                       self_study_cap_share=Fraction(p["self_study_cap_share"]),
                       exemptions_cover_public=p["exemptions_cover_public"], source=p["source"])
            for p in DEFAULT_POLICIES]


def ensure_default_policies() -> None:
    """Insert the seed rows that are missing; never overwrite what the office edited."""
    have = set(db.session.scalars(sa.select(Policy.effective_year)))
    for values in DEFAULT_POLICIES:
        if values["effective_year"] not in have:
            row = Policy(**values)
            db.session.add(row)
            db.session.flush()
            db.session.add(PolicyChange(policy_id=row.id, before=None, after=snapshot(row),
                                        reason="seed: RULES §2"))
    rounds = set(db.session.scalars(sa.select(RoundYear.round)))
    for rnd, year in DEFAULT_ROUNDS.items():
        if rnd not in rounds:
            db.session.add(RoundYear(round=rnd, year=year))
    db.session.flush()


def load_rules() -> tuple[list[PolicyRule], dict[int, int]]:
    """Every policy row and the round table. Read far more than written, so kept per process
    until a committed write to ``policy`` or ``round_year`` bumps the cache version."""
    return memo("policy", "rules", _load_rules)


def _load_rules() -> tuple[list[PolicyRule], dict[int, int]]:
    """Two statements. An empty table falls back to the seed (RULES §2) so a fresh
    installation still answers."""
    rows = db.session.scalars(sa.select(Policy).order_by(Policy.effective_year)).all()
    rounds = {r.round: r.year for r in db.session.scalars(sa.select(RoundYear))}
    rules = [rule_from_row(r) for r in rows] or default_rules()
    return rules, (rounds if rows else (rounds or dict(DEFAULT_ROUNDS)))


DEFAULT_MINUTES_PER_HOUR = 45


def minutes_per_hour(year: int) -> int:
    """Minutes of online study that make one hour (学时) in ``year``: the policy row in force
    (greatest effective year <= year), 45 when there is none."""
    table = memo("policy", "minutes_per_hour", lambda: [
        (y, m) for y, m in db.session.execute(
            sa.select(Policy.effective_year, Policy.minutes_per_hour).order_by(Policy.effective_year))])
    value = DEFAULT_MINUTES_PER_HOUR
    for effective, minutes in table:
        if effective <= year:
            value = minutes
    return value


def policy_for_effective_year(year: int) -> Policy | None:
    return db.session.scalar(sa.select(Policy).where(Policy.effective_year == year))


def rule_for_year(year: int) -> PolicyRule:
    rules, _rounds = load_rules()
    return select_policy(rules, year)


def snapshot(row: Policy) -> dict:
    return {"effective_year": row.effective_year, "required_total": str(row.required_total),
            "required_public": str(row.required_public), "public_cap_share": row.public_cap_share,
            "self_study_cap_share": row.self_study_cap_share,
            "exemptions_cover_public": bool(row.exemptions_cover_public), "source": row.source,
            "minutes_per_hour": row.minutes_per_hour or DEFAULT_MINUTES_PER_HOUR}


def _hours(value, field: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number of hours."), field=field) from None
    if d < 0 or d != d.quantize(Decimal("0.1")) or d > 9999:
        raise DomainError(_("Enter hours between 0 and 9999 with at most one decimal place."), field=field)
    return d


def save_policy(*, effective_year: int, required_total, required_public, public_cap_share: str,
                self_study_cap_share: str, exemptions_cover_public: bool, source: str, reason: str,
                actor_id: int | None, policy_id: int | None = None,
                minutes_per_hour: int | None = None) -> Policy:
    """Create a policy row (policy_id None) or edit one; either way a PolicyChange row."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for this change (e.g. the document number)."), field="reason")
    if not FIRST_YEAR <= int(effective_year) <= LAST_YEAR:
        raise DomainError(_("The year must lie between 2011 and 2100."), field="effective_year")
    total = _hours(required_total, "required_total")
    if total <= 0:
        raise DomainError(_("The required total must be more than 0."), field="required_total")
    public = _hours(required_public, "required_public")
    cap = parse_share(public_cap_share, "public_cap_share")
    parse_share(self_study_cap_share, "self_study_cap_share")
    if Fraction(str(public)) > Fraction(str(total)) * cap:
        raise DomainError(_("The public minimum cannot exceed the public hours that count toward the total."),
                          field="required_public")
    clash = db.session.scalar(sa.select(Policy.id).where(Policy.effective_year == int(effective_year)))
    if clash is not None and clash != policy_id:
        raise DomainError(_("A policy for this year already exists; edit it instead."), field="effective_year")
    if policy_id is None:
        row, before = Policy(), None
        db.session.add(row)
    else:
        row = db.session.get(Policy, policy_id)
        if row is None:
            raise DomainError(_("This policy does not exist."))
        before = snapshot(row)
    row.effective_year = int(effective_year)
    row.required_total, row.required_public = total, public
    row.public_cap_share = str(Fraction(public_cap_share.strip()))
    row.self_study_cap_share = str(Fraction(self_study_cap_share.strip()))
    row.exemptions_cover_public = bool(exemptions_cover_public)
    row.source = (source or "").strip()[:200]
    if minutes_per_hour is not None:
        if not 1 <= int(minutes_per_hour) <= 120:
            raise DomainError(_("Enter between 1 and 120 minutes."), field="minutes_per_hour")
        row.minutes_per_hour = int(minutes_per_hour)
    elif row.minutes_per_hour is None:
        row.minutes_per_hour = DEFAULT_MINUTES_PER_HOUR
    row.updated_by_id, row.updated_at = actor_id, now()
    db.session.flush()
    after = snapshot(row)
    if before != after:
        db.session.add(PolicyChange(policy_id=row.id, before=before, after=after, reason=reason,
                                    actor_id=actor_id))
        db.session.flush()
        publish(PolicyChanged(min(row.effective_year, before["effective_year"] if before else row.effective_year)))
    return row


def set_round_year(round_no: int, year: int, reason: str, actor_id: int | None) -> RoundYear:
    """Record which year a public-course round's certificate waives (notice §4). The change
    is kept in the history of the policy in force that year."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for this change (e.g. the document number)."), field="reason")
    if not 1 <= int(round_no) <= 100:
        raise DomainError(_("Enter a round between 1 and 100."), field="round")
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise DomainError(_("The year must lie between 2011 and 2100."), field="year")
    policy = db.session.scalar(sa.select(Policy).where(Policy.effective_year <= int(year))
                               .order_by(Policy.effective_year.desc()).limit(1))
    if policy is None:
        raise DomainError(_("No policy is in force for that year."), field="year")
    row = db.session.get(RoundYear, int(round_no))
    before = {"round": row.round, "year": row.year} if row is not None else None
    if row is None:
        row = RoundYear(round=int(round_no), year=int(year))
        db.session.add(row)
    row.year = int(year)
    db.session.add(PolicyChange(policy_id=policy.id, before=before,
                                after={"round": int(round_no), "year": int(year)}, reason=reason,
                                actor_id=actor_id))
    db.session.flush()
    publish(PolicyChanged(policy.effective_year))
    return row


def policy_overview() -> tuple[list[Policy], list[RoundYear], dict[int, list[PolicyChange]]]:
    """Rows, rounds and each policy's history, newest first (three statements)."""
    rows = db.session.scalars(sa.select(Policy).order_by(Policy.effective_year)).all()
    rounds = db.session.scalars(sa.select(RoundYear).order_by(RoundYear.round)).all()
    history: dict[int, list[PolicyChange]] = {}
    for ch in db.session.scalars(sa.select(PolicyChange).order_by(PolicyChange.id.desc())):
        history.setdefault(ch.policy_id, []).append(ch)
    return rows, rounds, history
