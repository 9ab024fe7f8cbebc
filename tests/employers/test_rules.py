"""The pure rules: credit codes, Art. 10 long training, late reports."""
from datetime import date, timedelta

import pytest

from ntbase.employers.rules import (
    UsccError,
    add_months,
    long_training,
    new_join_code,
    report_due,
    report_late,
    validate_uscc,
)
from tests.employers.helpers import valid_uscc, wrong_check


def test_a_valid_code_passes_normalised():
    code = valid_uscc(7)
    assert validate_uscc(" " + code.lower()[:9] + " " + code[9:] + " ") == code
    assert validate_uscc("91110000600037341L") == "91110000600037341L"  # a published real-world example


@pytest.mark.parametrize("raw, reason", [
    ("9111000060003734", "length"),
    ("91110000600037341M", "checksum"),
    ("9111000O600037341L", "format"),  # a letter among the first eight digits
    ("91110000I00037341L", "format"),  # I is never used
])
def test_bad_codes_say_why(raw, reason):
    with pytest.raises(UsccError) as exc:
        validate_uscc(raw)
    assert exc.value.reason == reason


def test_wrong_check_character_is_refused():
    code = valid_uscc(11)
    with pytest.raises(UsccError) as exc:
        validate_uscc(wrong_check(code))
    assert exc.value.reason == "checksum"


def test_add_months_keeps_the_end_of_month():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2025, 3, 15), 6) == date(2025, 9, 15)


def _days(first: date, last: date, every: int = 1):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=every)


def test_art_10_full_time_over_three_months():
    first = date(2025, 3, 1)
    just = add_months(first, 3)
    assert not long_training(first, just, _days(first, just)).applies  # exactly 3 months: not more
    over = just + timedelta(days=1)
    rule = long_training(first, over, _days(first, over))
    assert rule.applies and rule.full_time and rule.months_limit == 3


def test_art_10_part_time_needs_over_six_months():
    first = date(2025, 3, 1)
    last = add_months(first, 5)
    weekly = list(_days(first, last, 7))  # one day a week: part-time
    rule = long_training(first, last, weekly)
    assert not rule.full_time and not rule.applies
    last = add_months(first, 6) + timedelta(days=1)
    assert long_training(first, last, _days(first, last, 7)).applies


def test_a_course_without_dates_is_not_long():
    assert not long_training(None, None, []).applies


def test_reports_are_late_after_31_march():
    assert report_due(2025) == date(2026, 3, 31)
    assert not report_late(2025, None, date(2026, 3, 31))
    assert report_late(2025, None, date(2026, 4, 1))
    assert not report_late(2025, date(2026, 3, 30), date(2027, 1, 1))
    assert report_late(2025, date(2026, 4, 2), date(2026, 4, 2))


def test_join_codes_avoid_look_alikes():
    codes = {new_join_code() for _ in range(50)}
    assert len(codes) == 50
    assert all(len(c) == 8 and not set(c) & set("0O1IL2Z5SV") for c in codes)
