"""Pure rules of the employer domain: no database, no Flask request.

- the unified social credit code (统一社会信用代码, GB 32100-2015) and its check character;
- Art. 10: which training is "long" (consent and a written service contract first);
- when a yearly report is late (Art. 9 asks employers to report; the date is NTBase's
  reading, kept here as one parameter).
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

# Art. 10: more than 3 months full-time (脱产) or more than 6 months part-time (在职)
LONG_FULL_TIME_MONTHS = 3
LONG_PART_TIME_MONTHS = 6
# NTBase's reading of "full-time": sessions on at least 4 of every 7 days the course spans
FULL_TIME_DAYS_PER_WEEK = 4
# Art. 9: the yearly statistics report is due by this day of the following year (NTBase's reading)
REPORT_DUE_MONTH, REPORT_DUE_DAY = 3, 31

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRTUWXY346789"  # no look-alikes (0/O, 1/I/L, 2/Z, 5/S, V)
JOIN_CODE_LENGTH = 8


class UsccError(ValueError):
    """Which problem a credit code has: 'length', 'format' or 'checksum'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalize_uscc(raw: str) -> str:
    return "".join((raw or "").split()).upper().replace("-", "")


def validate_uscc(raw: str) -> str:
    """The 18-character code, or ``UsccError`` (python-stdnum ``cn.uscc``: length, the
    character set that excludes I, O, Z, S, V, and the check character)."""
    value = normalize_uscc(raw)
    try:
        return _uscc.validate(value)
    except InvalidLength as exc:
        raise UsccError("length") from exc
    except InvalidChecksum as exc:
        raise UsccError("checksum") from exc
    except (InvalidFormat, ValidationError) as exc:
        raise UsccError("format") from exc


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(raw: str) -> str:
    return "".join((raw or "").split()).upper()


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (the 31st becomes the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


@dataclass(frozen=True)
class LongTraining:
    """Whether Art. 10 applies to a course, and why (for the page)."""

    applies: bool
    full_time: bool
    first_day: date | None
    last_day: date | None
    months_limit: int


def long_training(first_day: date | None, last_day: date | None, session_days: Iterable[date]) -> LongTraining:
    """Art. 10: training lasting more than 3 months full-time, or more than 6 months
    part-time. A course counts as full-time when its sessions fall on at least 4 of
    every 7 days it spans; a course without dates is never long."""
    if first_day is None or last_day is None or last_day < first_day:
        return LongTraining(False, False, first_day, last_day, LONG_PART_TIME_MONTHS)
    span = (last_day - first_day).days + 1
    days = len(set(session_days))
    full_time = days * 7 >= FULL_TIME_DAYS_PER_WEEK * span
    limit = LONG_FULL_TIME_MONTHS if full_time else LONG_PART_TIME_MONTHS
    return LongTraining(last_day > add_months(first_day, limit), full_time, first_day, last_day, limit)


def report_due(year: int) -> date:
    """The last day to submit the report on ``year``."""
    return date(year + 1, REPORT_DUE_MONTH, REPORT_DUE_DAY)


def report_late(year: int, first_submitted_on: date | None, today: date) -> bool:
    """Late: not submitted by the due date (submitted after it, or not yet and it has passed)."""
    due = report_due(year)
    if first_submitted_on is None:
        return today > due
    return first_submitted_on > due
