"""Unit tests for engine/calendar.py against shared/spec/semantics.md, section "Calendar".

The bank holidays below are written out by hand from the gov.uk list for England and Wales, so
that they are an independent check on the `holidays` package the engine relies on.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_DURATION,
    UNITS,
    CalendarRangeError,
    Duration,
    DurationError,
    WorkingCalendar,
    add_months,
    age_on,
    birthday,
    calendar_for,
    england_bank_holidays,
)

D = date.fromisoformat
ONE_DAY = timedelta(days=1)

# Generated tests must never fail on wall-clock time: no deadlines, fixed example budget.
# (Applied per test rather than as a global profile, so other modules are not affected.)
generated = settings(deadline=None, max_examples=200)

# ---------------------------------------------------------------------------------------------
# England and Wales bank holidays 2015-2026, as published on gov.uk/bank-holidays.
# ---------------------------------------------------------------------------------------------

BANK_HOLIDAYS: dict[int, list[str]] = {
    2015: [
        "2015-01-01",  # New Year's Day
        "2015-04-03",  # Good Friday
        "2015-04-06",  # Easter Monday
        "2015-05-04",  # Early May
        "2015-05-25",  # Spring
        "2015-08-31",  # Summer
        "2015-12-25",  # Christmas Day
        "2015-12-28",  # Boxing Day (substitute; 26th is a Saturday)
    ],
    2016: [
        "2016-01-01",
        "2016-03-25",
        "2016-03-28",
        "2016-05-02",
        "2016-05-30",
        "2016-08-29",
        "2016-12-26",  # Boxing Day
        "2016-12-27",  # Christmas Day (substitute; 25th is a Sunday)
    ],
    2017: [
        "2017-01-02",  # New Year's Day (substitute; 1st is a Sunday)
        "2017-04-14",
        "2017-04-17",
        "2017-05-01",
        "2017-05-29",
        "2017-08-28",
        "2017-12-25",
        "2017-12-26",
    ],
    2018: [
        "2018-01-01",
        "2018-03-30",
        "2018-04-02",
        "2018-05-07",
        "2018-05-28",
        "2018-08-27",
        "2018-12-25",
        "2018-12-26",
    ],
    2019: [
        "2019-01-01",
        "2019-04-19",
        "2019-04-22",
        "2019-05-06",
        "2019-05-27",
        "2019-08-26",
        "2019-12-25",
        "2019-12-26",
    ],
    2020: [
        "2020-01-01",
        "2020-04-10",
        "2020-04-13",
        "2020-05-08",  # Early May bank holiday moved to Friday for VE day (4 May is a working day)
        "2020-05-25",
        "2020-08-31",
        "2020-12-25",
        "2020-12-28",  # Boxing Day (substitute)
    ],
    2021: [
        "2021-01-01",
        "2021-04-02",
        "2021-04-05",
        "2021-05-03",
        "2021-05-31",
        "2021-08-30",
        "2021-12-27",  # Christmas Day (substitute; 25th is a Saturday)
        "2021-12-28",  # Boxing Day (substitute; 26th is a Sunday)
    ],
    2022: [
        "2022-01-03",  # New Year's Day (substitute; 1st is a Saturday)
        "2022-04-15",
        "2022-04-18",
        "2022-05-02",
        "2022-06-02",  # Spring bank holiday moved for the Platinum Jubilee (30 May is working)
        "2022-06-03",  # Platinum Jubilee
        "2022-08-29",
        "2022-09-19",  # State funeral of Queen Elizabeth II
        "2022-12-26",  # Boxing Day
        "2022-12-27",  # Christmas Day (substitute; 25th is a Sunday)
    ],
    2023: [
        "2023-01-02",  # New Year's Day (substitute; 1st is a Sunday)
        "2023-04-07",
        "2023-04-10",
        "2023-05-01",
        "2023-05-08",  # Coronation of King Charles III
        "2023-05-29",
        "2023-08-28",
        "2023-12-25",
        "2023-12-26",
    ],
    2024: [
        "2024-01-01",
        "2024-03-29",
        "2024-04-01",
        "2024-05-06",
        "2024-05-27",
        "2024-08-26",
        "2024-12-25",
        "2024-12-26",
    ],
    2025: [
        "2025-01-01",
        "2025-04-18",
        "2025-04-21",
        "2025-05-05",
        "2025-05-26",
        "2025-08-25",
        "2025-12-25",
        "2025-12-26",
    ],
    2026: [
        "2026-01-01",
        "2026-04-03",
        "2026-04-06",
        "2026-05-04",
        "2026-05-25",
        "2026-08-31",
        "2026-12-25",
        "2026-12-28",  # Boxing Day (substitute; 26th is a Saturday)
    ],
}

ALL_BANK_HOLIDAYS = sorted(D(s) for days in BANK_HOLIDAYS.values() for s in days)
KNOWN_FIRST = date(2015, 1, 1)
KNOWN_LAST = date(2026, 12, 31)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


# A module-level calendar for hypothesis tests (function-scoped fixtures and @given don't mix).
CAL = calendar_for()


def _independent_is_working(d: date) -> bool:
    """Working day by the hand-written list above (valid only for 2015-2026)."""
    assert KNOWN_FIRST <= d <= KNOWN_LAST, d
    return d.weekday() < 5 and d not in _HOLIDAY_SET


_HOLIDAY_SET = frozenset(ALL_BANK_HOLIDAYS)


def _naive_add_working_days(d: date, n: int) -> date:
    """The |n|th working day strictly after (n > 0) or before (n < 0) d, by stepping a day at a
    time through the hand-written calendar."""
    step = ONE_DAY if n > 0 else -ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if _independent_is_working(d):
            remaining -= 1
    return d


# ---------------------------------------------------------------------------------------------
# 1. Bank holidays
# ---------------------------------------------------------------------------------------------


def test_hand_written_list_is_sane() -> None:
    assert len(ALL_BANK_HOLIDAYS) == len(_HOLIDAY_SET) == 99
    for year, days in BANK_HOLIDAYS.items():
        assert all(D(s).year == year for s in days)
        # Every year has at least the eight regular bank holidays.
        assert len(days) >= 8
    # Every listed day is a weekday: weekend holidays are replaced by their substitute days.
    assert all(d.weekday() < 5 for d in ALL_BANK_HOLIDAYS)


@pytest.mark.parametrize("holiday", ALL_BANK_HOLIDAYS, ids=lambda d: d.isoformat())
def test_each_bank_holiday_is_not_a_working_day(cal: WorkingCalendar, holiday: date) -> None:
    assert holiday.weekday() < 5
    assert holiday in england_bank_holidays()
    assert cal.is_working_day(holiday) is False


@pytest.mark.parametrize("year", sorted(BANK_HOLIDAYS))
def test_weekday_non_working_days_per_year_match_the_list_exactly(
    cal: WorkingCalendar, year: int
) -> None:
    expected = {D(s) for s in BANK_HOLIDAYS[year]}
    found = set()
    d = date(year, 1, 1)
    while d.year == year:
        if d.weekday() < 5 and not cal.is_working_day(d):
            found.add(d)
        d += ONE_DAY
    assert found - expected == set(), "engine treats these weekdays as holidays; gov.uk does not"
    assert expected - found == set(), "gov.uk bank holidays the engine treats as working days"


@pytest.mark.parametrize(
    "day",
    [
        "2020-05-04",  # first Monday in May 2020: the holiday moved to Friday 8 May
        "2022-05-30",  # last Monday in May 2022: the holiday moved to Thursday 2 June
        "2023-05-02",  # the Tuesday between the two May 2023 holidays
        "2022-09-20",  # the day after the state funeral
        "2021-12-29",  # the day after the two substitute days
        "2022-01-04",
        "2023-01-03",
        "2026-12-29",
    ],
)
def test_days_next_to_moved_or_one_off_holidays_are_working_days(
    cal: WorkingCalendar, day: str
) -> None:
    assert cal.is_working_day(D(day)) is True


@pytest.mark.parametrize(
    "day",
    [
        "2000-01-03",  # New Year's Day 2000 substitute (1 January was a Saturday)
        "2002-06-03",  # Golden Jubilee
        "2002-06-04",  # spring bank holiday moved for the Golden Jubilee
        "2011-04-29",  # royal wedding
        "2012-06-04",  # spring bank holiday moved for the Diamond Jubilee
        "2012-06-05",  # Diamond Jubilee
    ],
)
def test_earlier_one_off_bank_holidays(cal: WorkingCalendar, day: str) -> None:
    assert cal.is_working_day(D(day)) is False


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-01-06", False),  # Saturday
        ("2024-01-07", False),  # Sunday
        ("2024-01-08", True),  # Monday
        ("2024-01-12", True),  # Friday
        ("2021-12-25", False),  # Christmas Day on a Saturday
        ("2021-12-26", False),  # Boxing Day on a Sunday
    ],
)
def test_weekends_are_not_working_days(cal: WorkingCalendar, day: str, expected: bool) -> None:
    assert cal.is_working_day(D(day)) is expected


@generated
@given(st.dates(min_value=KNOWN_FIRST, max_value=KNOWN_LAST))
def test_is_working_day_agrees_with_the_hand_written_calendar(d: date) -> None:
    assert CAL.is_working_day(d) == _independent_is_working(d)


# ---------------------------------------------------------------------------------------------
# 2. N working days after / before D
# ---------------------------------------------------------------------------------------------


def test_spec_example_15_working_days_after_monday(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(D("2024-01-08"), 15) == D("2024-01-29")
    assert cal.add(D("2024-01-08"), Duration.parse("15 working days")) == D("2024-01-29")


@pytest.mark.parametrize(
    ("anchor", "n", "expected"),
    [
        # anchor on a weekend: day 0 is the weekend day, day 1 the next working day
        ("2024-01-13", 1, "2024-01-15"),  # Saturday
        ("2024-01-14", 1, "2024-01-15"),  # Sunday
        ("2024-01-06", 15, "2024-01-26"),  # Saturday: three clean weeks
        ("2024-01-07", 15, "2024-01-26"),  # Sunday
        ("2024-01-12", 1, "2024-01-15"),  # Friday -> Monday
        ("2024-01-12", 5, "2024-01-19"),
        # anchor on a bank holiday
        ("2024-03-29", 1, "2024-04-02"),  # Good Friday -> Tuesday after Easter Monday
        ("2024-04-01", 1, "2024-04-02"),  # Easter Monday
        ("2022-09-19", 1, "2022-09-20"),  # state funeral
        ("2023-05-08", 1, "2023-05-09"),  # coronation
        ("2024-12-25", 1, "2024-12-27"),  # Christmas Day -> after Boxing Day
        # Easter
        ("2024-03-28", 1, "2024-04-02"),
        ("2024-03-28", 2, "2024-04-03"),
        ("2024-03-20", 20, "2024-04-19"),
        ("2025-04-17", 1, "2025-04-22"),
        # Christmas and New Year
        ("2024-12-24", 1, "2024-12-27"),
        ("2024-12-24", 3, "2024-12-31"),
        ("2024-12-24", 4, "2025-01-02"),
        ("2020-12-24", 1, "2020-12-29"),  # 25th Friday, 28th substitute
        ("2021-12-24", 1, "2021-12-29"),  # 27th and 28th substitutes
        ("2021-12-24", 3, "2021-12-31"),
        ("2021-12-24", 4, "2022-01-04"),  # 3 January substitute
        ("2022-12-23", 1, "2022-12-28"),  # 26th, 27th substitute
        ("2022-12-30", 1, "2023-01-03"),  # 2 January substitute
        ("2026-12-24", 1, "2026-12-29"),  # 25th Friday, 28th substitute
        # one-off days
        ("2022-09-16", 1, "2022-09-20"),
        ("2022-09-16", 2, "2022-09-21"),
        ("2023-04-28", 1, "2023-05-02"),  # 1 May bank holiday
        ("2023-04-28", 5, "2023-05-09"),  # ... and 8 May coronation
        ("2023-05-05", 1, "2023-05-09"),
        ("2022-05-27", 1, "2022-05-30"),  # 30 May 2022 was a working day
        ("2022-06-01", 1, "2022-06-06"),  # 2 and 3 June 2022 were not
        ("2020-05-01", 1, "2020-05-04"),  # 4 May 2020 was a working day
        ("2020-05-07", 1, "2020-05-11"),  # 8 May 2020 was not
    ],
)
def test_add_working_days(cal: WorkingCalendar, anchor: str, n: int, expected: str) -> None:
    assert cal.add_working_days(D(anchor), n) == D(expected)
    assert cal.add(D(anchor), Duration(n, "working_days")) == D(expected)


@pytest.mark.parametrize("anchor", ["2024-01-08", "2024-01-13", "2024-03-29", "2022-09-19"])
def test_zero_working_days_is_the_anchor_itself(cal: WorkingCalendar, anchor: str) -> None:
    assert cal.add_working_days(D(anchor), 0) == D(anchor)
    assert cal.add(D(anchor), Duration.parse("0 working days")) == D(anchor)


@pytest.mark.parametrize(
    ("anchor", "n", "expected"),
    [
        ("2024-01-29", 15, "2024-01-08"),
        ("2024-01-15", 1, "2024-01-12"),  # Monday -> Friday
        ("2024-01-13", 1, "2024-01-12"),  # Saturday -> Friday
        ("2024-01-12", 1, "2024-01-11"),  # strictly before: not the anchor itself
        ("2024-04-02", 1, "2024-03-28"),  # over Easter
        ("2024-04-01", 1, "2024-03-28"),  # from Easter Monday
        ("2023-01-03", 1, "2022-12-30"),  # over New Year
        ("2022-01-04", 4, "2021-12-24"),
        ("2022-09-20", 1, "2022-09-16"),  # over the state funeral
        ("2023-05-09", 5, "2023-04-28"),  # over both May 2023 holidays
    ],
)
def test_working_days_before(cal: WorkingCalendar, anchor: str, n: int, expected: str) -> None:
    assert cal.add_working_days(D(anchor), -n) == D(expected)
    assert cal.subtract(D(anchor), Duration(n, "working_days")) == D(expected)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2024-01-08", "2024-01-29", 15),
        ("2024-01-08", "2024-01-08", 0),
        ("2024-01-12", "2024-01-14", 0),  # Friday to Sunday: nothing in (Fri, Sun]
        ("2024-01-12", "2024-01-15", 1),
        ("2024-01-13", "2024-01-15", 1),  # from a Saturday
        ("2024-03-28", "2024-04-02", 1),  # Easter
        ("2021-12-24", "2022-01-04", 4),
        ("2024-01-29", "2024-01-08", -15),  # reversed
        ("2024-12-31", "2024-12-24", -3),
    ],
)
def test_working_days_between(cal: WorkingCalendar, start: str, end: str, expected: int) -> None:
    assert cal.working_days_between(D(start), D(end)) == expected


# Anchors and counts chosen so that every result stays well inside 2015-2026, where the
# hand-written calendar is the oracle.
known_dates = st.dates(min_value=date(2015, 3, 1), max_value=date(2026, 10, 31))
small_n = st.integers(min_value=-40, max_value=40)
# Anywhere in the supported range, with n small enough never to leave it.
any_dates = st.dates(min_value=date(2000, 9, 1), max_value=date(2030, 6, 30))
n_ahead = st.integers(min_value=0, max_value=120)


@generated
@given(known_dates, small_n)
def test_add_working_days_matches_a_naive_day_by_day_count(d: date, n: int) -> None:
    assert CAL.add_working_days(d, n) == _naive_add_working_days(d, n)


@generated
@given(any_dates, n_ahead)
def test_between_inverts_add_for_non_negative_n(d: date, n: int) -> None:
    assert CAL.working_days_between(d, CAL.add_working_days(d, n)) == n


@generated
@given(any_dates, st.integers(min_value=1, max_value=120))
def test_result_is_a_working_day_and_on_the_right_side(d: date, n: int) -> None:
    after = CAL.add_working_days(d, n)
    before = CAL.add_working_days(d, -n)
    assert CAL.is_working_day(after)
    assert CAL.is_working_day(before)
    assert before < d < after


@generated
@given(any_dates, st.integers(min_value=1, max_value=120))
def test_n_before_then_n_after_returns_to_the_first_working_day_on_or_after_d(
    d: date, n: int
) -> None:
    back = CAL.add_working_days(d, -n)
    # n - 1 working days lie strictly between `back` and d
    assert CAL.working_days_between(back, d - ONE_DAY) == n - 1
    forward = CAL.add_working_days(back, n)
    if CAL.is_working_day(d):
        assert forward == d
    else:
        assert forward == CAL.add_working_days(d, 1)


@generated
@given(any_dates, st.integers(min_value=-120, max_value=119))
def test_strictly_monotonic_in_n(d: date, n: int) -> None:
    assert CAL.add_working_days(d, n) < CAL.add_working_days(d, n + 1)


@generated
@given(any_dates, n_ahead)
def test_consecutive_steps_compose(d: date, n: int) -> None:
    # For n >= 1 the result is a working day, so adding one more from it is the (n+1)th.
    step = CAL.add_working_days(d, n)
    if n >= 1:
        assert CAL.add_working_days(step, 1) == CAL.add_working_days(d, n + 1)


@generated
@given(any_dates, any_dates)
def test_between_is_antisymmetric(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == -CAL.working_days_between(b, a)


# ---------------------------------------------------------------------------------------------
# 3. Profile closure days
# ---------------------------------------------------------------------------------------------


def test_closure_day_is_skipped(cal: WorkingCalendar) -> None:
    closed = WorkingCalendar(closure_days=[D("2024-01-10")])
    assert closed.is_working_day(D("2024-01-10")) is False
    assert closed.add_working_days(D("2024-01-08"), 15) == D("2024-01-30")
    assert closed.add_working_days(D("2024-01-09"), 1) == D("2024-01-11")
    assert closed.add_working_days(D("2024-01-11"), -1) == D("2024-01-09")
    assert closed.working_days_between(D("2024-01-08"), D("2024-01-29")) == 14
    # the plain calendar is not affected
    assert cal.is_working_day(D("2024-01-10")) is True
    assert cal.add_working_days(D("2024-01-08"), 15) == D("2024-01-29")


def test_anchor_on_a_closure_day_counts_from_the_next_working_day() -> None:
    closed = WorkingCalendar(closure_days=[D("2024-01-08")])
    assert closed.add_working_days(D("2024-01-08"), 1) == D("2024-01-09")
    assert closed.add_working_days(D("2024-01-05"), 1) == D("2024-01-09")


def test_christmas_closure_run() -> None:
    closed = WorkingCalendar(closure_days=[D("2024-12-27"), D("2024-12-30"), D("2024-12-31")])
    assert closed.add_working_days(D("2024-12-24"), 1) == D("2025-01-02")
    assert closed.add_working_days(D("2025-01-02"), -1) == D("2024-12-24")
    assert closed.lateness(D("2024-12-24"), D("2025-01-03"), "working_days") == 2
    assert closed.lateness(D("2024-12-24"), D("2025-01-03"), "days") == 10


def test_closure_on_a_weekend_or_bank_holiday_changes_nothing(cal: WorkingCalendar) -> None:
    closed = WorkingCalendar(closure_days=[D("2024-01-13"), D("2024-03-29")])
    for anchor, n in [("2024-01-08", 15), ("2024-03-20", 20), ("2024-03-28", 1)]:
        assert closed.add_working_days(D(anchor), n) == cal.add_working_days(D(anchor), n)


def test_closure_days_may_be_any_iterable() -> None:
    closed = WorkingCalendar(closure_days=(D("2024-01-10") + timedelta(days=i) for i in range(2)))
    assert closed.closures == frozenset({D("2024-01-10"), D("2024-01-11")})
    assert closed.add_working_days(D("2024-01-09"), 1) == D("2024-01-12")


def test_calendar_for_applies_closures_and_is_cached() -> None:
    closures = frozenset({D("2024-01-10")})
    closed = calendar_for(closures)
    assert closed.add_working_days(D("2024-01-09"), 1) == D("2024-01-11")
    assert calendar_for(frozenset({D("2024-01-10")})) is closed
    assert calendar_for().add_working_days(D("2024-01-09"), 1) == D("2024-01-10")


@settings(deadline=None, max_examples=50)
@given(
    st.dates(min_value=date(2024, 1, 1), max_value=date(2024, 12, 31)),
    st.sets(st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 6, 30)), max_size=10),
    st.integers(min_value=1, max_value=60),
)
def test_closures_only_ever_push_deadlines_later(d: date, closures: set[date], n: int) -> None:
    closed = WorkingCalendar(closures)
    result = closed.add_working_days(d, n)
    assert result >= CAL.add_working_days(d, n)
    assert result not in closures
    assert closed.working_days_between(d, result) == n


# ---------------------------------------------------------------------------------------------
# 4. Months, years, weeks, days, hours
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-31", 1, "2024-02-29"),  # spec example (leap year)
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2024-05-31", -3, "2024-02-29"),
        ("2024-03-31", 1, "2024-04-30"),
        ("2024-01-15", 1, "2024-02-15"),
        ("2024-02-29", 1, "2024-03-29"),  # no 'end of month stickiness'
        ("2024-12-15", 1, "2025-01-15"),  # across the year end
        ("2024-11-30", 3, "2025-02-28"),
        ("2023-11-30", 3, "2024-02-29"),
        ("2024-08-31", 6, "2025-02-28"),
        ("2024-10-31", 6, "2025-04-30"),
        ("2024-01-15", -1, "2023-12-15"),  # backwards across the year end
        ("2024-01-31", -2, "2023-11-30"),
        ("2024-03-15", -15, "2022-12-15"),
        ("2024-06-30", 0, "2024-06-30"),
        ("2024-12-31", 12, "2025-12-31"),
        ("2024-12-31", 14, "2026-02-28"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(D(start), months) == D(expected)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2024-01-31", "1 month", "2024-02-29"),
        ("2024-01-31", "3 months", "2024-04-30"),
        ("2023-08-31", "6 months", "2024-02-29"),
        ("2024-02-29", "1 year", "2025-02-28"),
        ("2024-02-29", "4 years", "2028-02-29"),
        ("2023-06-15", "2 years", "2025-06-15"),
        ("2024-01-08", "1 week", "2024-01-15"),
        ("2024-01-08", "6 weeks", "2024-02-19"),
        ("2024-12-20", "2 weeks", "2025-01-03"),  # weeks ignore bank holidays
        ("2024-12-30", "5 days", "2025-01-04"),
        ("2024-02-28", "1 day", "2024-02-29"),
        ("2023-02-28", "1 day", "2023-03-01"),
        ("2024-12-24", "0 days", "2024-12-24"),
        ("2024-03-01", "72 hours", "2024-03-04"),  # spec example
        ("2024-03-01", "24 hours", "2024-03-02"),
        ("2024-03-01", "23 hours", "2024-03-01"),  # D + 23/24 days is still date D
        ("2024-03-01", "36 hours", "2024-03-02"),
        ("2024-02-28", "48 hours", "2024-03-01"),
        ("2024-12-31", "72 hours", "2025-01-03"),
    ],
)
def test_add_calendar_units(cal: WorkingCalendar, start: str, duration: str, expected: str) -> None:
    assert cal.add(D(start), Duration.parse(duration)) == D(expected)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2024-03-31", "1 month", "2024-02-29"),
        ("2025-01-15", "1 month", "2024-12-15"),
        ("2025-02-28", "1 year", "2024-02-28"),
        ("2024-02-29", "1 year", "2023-02-28"),
        ("2024-02-19", "6 weeks", "2024-01-08"),
        ("2025-01-04", "5 days", "2024-12-30"),
        ("2024-03-01", "48 hours", "2024-02-28"),
        ("2024-04-02", "1 working day", "2024-03-28"),
    ],
)
def test_subtract_calendar_units(
    cal: WorkingCalendar, start: str, duration: str, expected: str
) -> None:
    assert cal.subtract(D(start), Duration.parse(duration)) == D(expected)


def test_month_clamping_is_not_reversible(cal: WorkingCalendar) -> None:
    there = cal.add(D("2024-01-31"), Duration.parse("1 month"))
    assert there == D("2024-02-29")
    assert cal.subtract(there, Duration.parse("1 month")) == D("2024-01-29")


@generated
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)), st.integers(-60, 60))
def test_add_months_properties(d: date, n: int) -> None:
    result = add_months(d, n)
    assert (result.year * 12 + result.month) - (d.year * 12 + d.month) == n
    assert result.day == d.day or (result.day < d.day and (result + ONE_DAY).day == 1)


@generated
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 400))
def test_days_and_weeks_are_plain_calendar_arithmetic(d: date, n: int) -> None:
    assert CAL.add(d, Duration(n, "days")) == d + timedelta(days=n)
    assert CAL.add(d, Duration(n, "weeks")) == d + timedelta(days=7 * n)
    assert CAL.subtract(d, Duration(n, "days")) == d - timedelta(days=n)
    assert CAL.add(d, Duration(24 * n, "hours")) == d + timedelta(days=n)


def test_hours_after_a_date_time_in_utc(cal: WorkingCalendar) -> None:
    start = datetime(2024, 3, 1, 10, 30, tzinfo=UTC)
    assert cal.add_to_datetime(start, Duration.parse("72 hours")) == datetime(
        2024, 3, 4, 10, 30, tzinfo=UTC
    )


def test_hours_after_a_date_time_without_clock_change(cal: WorkingCalendar) -> None:
    uk = ZoneInfo("Europe/London")
    start = datetime(2024, 6, 1, 22, 0, tzinfo=uk)
    due = cal.add_to_datetime(start, Duration.parse("72 hours"))
    assert due == datetime(2024, 6, 4, 22, 0, tzinfo=uk)
    assert due - start == timedelta(hours=72)


def test_hours_after_a_date_time_are_real_elapsed_time_across_clock_change(
    cal: WorkingCalendar,
) -> None:
    uk = ZoneInfo("Europe/London")
    # Clocks went forward at 01:00 GMT on Sunday 31 March 2024.
    start = datetime(2024, 3, 30, 23, 30, tzinfo=uk)
    due = cal.add_to_datetime(start, Duration.parse("72 hours"))
    elapsed = due.astimezone(UTC) - start.astimezone(UTC)
    assert elapsed == timedelta(hours=72)
    # 72 real hours after 23:30 GMT on 30 March is 00:30 BST on 3 April.
    assert due.astimezone(uk).date() == date(2024, 4, 3)


# ---------------------------------------------------------------------------------------------
# 5. Ages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        ("2019-06-15", "2024-06-15", 5),  # five on the fifth birthday
        ("2019-06-15", "2024-06-14", 4),  # four the day before
        ("2019-06-15", "2024-06-16", 5),
        ("2019-06-15", "2019-06-15", 0),  # day of birth
        ("2019-06-15", "2020-06-14", 0),
        ("2000-12-31", "2001-12-30", 0),
        ("2000-12-31", "2001-12-31", 1),
        ("2000-01-01", "2017-12-31", 17),
        ("2000-01-01", "2018-01-01", 18),
        ("2010-03-01", "2011-02-28", 0),
        ("2010-03-01", "2011-03-01", 1),
        # born 29 February: birthday is 1 March in non-leap years
        ("2008-02-29", "2025-02-28", 16),
        ("2008-02-29", "2025-03-01", 17),
        ("2008-02-29", "2024-02-29", 16),
        ("2008-02-29", "2024-02-28", 15),
        ("2008-02-29", "2024-03-01", 16),
        ("2008-02-29", "2009-02-28", 0),
        ("2008-02-29", "2009-03-01", 1),
        ("2008-02-29", "2026-02-28", 17),
        ("2008-02-29", "2026-03-01", 18),
    ],
)
def test_age_on(born: str, on: str, expected: int) -> None:
    assert age_on(D(born), D(on)) == expected


@pytest.mark.parametrize(("born", "years", "expected"), [
    ("2008-01-09", 16, "2024-01-09"),
    ("2008-02-29", 16, "2024-02-29"),
    ("2008-02-29", 17, "2025-03-01"),
])
def test_birthday_is_the_first_day_of_that_age(born: str, years: int, expected: str) -> None:
    day = birthday(D(born), years)
    assert day == D(expected)
    assert age_on(D(born), day) == years and age_on(D(born), day - ONE_DAY) == years - 1


@generated
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=1, max_value=25),
)
def test_age_changes_exactly_on_the_birthday(born: date, years: int) -> None:
    if (born.month, born.day) == (2, 29):
        try:
            birthday = date(born.year + years, 2, 29)
        except ValueError:
            birthday = date(born.year + years, 3, 1)
    else:
        birthday = born.replace(year=born.year + years)
    assert age_on(born, birthday) == years
    assert age_on(born, birthday - ONE_DAY) == years - 1


@generated
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2025, 12, 31)),
    st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
)
def test_age_is_monotonic(born: date, on: date) -> None:
    if on >= born:
        assert age_on(born, on + ONE_DAY) >= age_on(born, on) >= 0


# ---------------------------------------------------------------------------------------------
# 6. Out of range
# ---------------------------------------------------------------------------------------------


def test_supported_range_constants() -> None:
    assert (FIRST_YEAR, LAST_YEAR) == (2000, 2030)
    assert issubclass(CalendarRangeError, ValueError)


def test_range_edges_are_accepted(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D("2000-01-01")) is False  # a Saturday
    assert cal.is_working_day(D("2000-01-04")) is True
    assert cal.is_working_day(D("2030-12-31")) is True  # a Tuesday
    assert cal.add_working_days(D("2030-12-31"), 0) == D("2030-12-31")
    assert cal.add_working_days(D("2030-12-30"), 1) == D("2030-12-31")
    assert cal.add_working_days(D("2030-12-20"), 5) == D("2030-12-31")
    assert cal.add_working_days(D("2000-01-10"), -4) == D("2000-01-04")
    assert cal.add_working_days(D("2000-01-01"), 1) == D("2000-01-04")


@pytest.mark.parametrize("day", ["1999-12-31", "1999-01-01", "2031-01-01", "2040-06-01"])
def test_dates_outside_the_range_raise(cal: WorkingCalendar, day: str) -> None:
    d = D(day)
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(d)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(d, 1)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(d, -1)
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(d, 0)
    with pytest.raises(CalendarRangeError):
        cal.add(d, Duration.parse("15 working days"))
    with pytest.raises(CalendarRangeError):
        cal.subtract(d, Duration.parse("15 working days"))
    with pytest.raises(CalendarRangeError):
        cal.working_days_between(d, D("2024-01-08"))
    with pytest.raises(CalendarRangeError):
        cal.working_days_between(D("2024-01-08"), d)
    with pytest.raises(CalendarRangeError):
        cal.lateness(D("2024-01-08"), d, "working_days")


@pytest.mark.parametrize(
    ("anchor", "n"),
    [
        ("2030-12-31", 1),
        ("2030-12-20", 6),  # only five working days are left in 2030 after 20 December
        ("2030-06-03", 400),
        ("2000-01-04", -1),  # the first working day: 3 January 2000 was a bank holiday
        ("2000-01-01", -1),
        ("2000-01-10", -5),
        ("2001-01-02", -400),
    ],
)
def test_adding_working_days_off_the_end_raises(cal: WorkingCalendar, anchor: str, n: int) -> None:
    with pytest.raises(CalendarRangeError):
        cal.add_working_days(D(anchor), n)


# ---------------------------------------------------------------------------------------------
# 7. Duration
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("15 working days", 15, "working_days"),
        ("1 working day", 1, "working_days"),
        ("3 months", 3, "months"),
        ("1 month", 1, "months"),
        ("72 hours", 72, "hours"),
        ("1 week", 1, "weeks"),
        ("6 weeks", 6, "weeks"),
        ("90 days", 90, "days"),
        ("1 year", 1, "years"),
        ("0 days", 0, "days"),
        ("15 Working Days", 15, "working_days"),
        ("  3 months  ", 3, "months"),
        ("15 working_days", 15, "working_days"),
    ],
)
def test_duration_parse(text: str, value: int, unit: str) -> None:
    parsed = Duration.parse(text)
    assert parsed == Duration(value, unit)
    assert parsed.counts_working_days is (unit == "working_days")


@pytest.mark.parametrize(
    "text",
    [
        "15 workdays",
        "three months",
        "",
        "   ",
        "-1 days",
        "15",
        "days",
        "1.5 days",
        "15 working days late",
        "15 fortnights",
        "15days",
    ],
)
def test_duration_parse_errors(text: str) -> None:
    with pytest.raises(DurationError):
        Duration.parse(text)


@pytest.mark.parametrize("value", [15, None, 1.5, Duration(15, "days")])
def test_duration_parse_rejects_non_strings(value: object) -> None:
    with pytest.raises(DurationError):
        Duration.parse(value)  # type: ignore[arg-type]


def test_duration_constructor_validates() -> None:
    with pytest.raises(DurationError):
        Duration(1, "fortnights")
    with pytest.raises(DurationError):
        Duration(-1, "days")
    assert issubclass(DurationError, ValueError)


@pytest.mark.parametrize(
    "text",
    [
        "15 working days",
        "1 working day",
        "3 months",
        "1 month",
        "72 hours",
        "1 hour",
        "1 week",
        "6 weeks",
        "1 day",
        "0 days",
        "2 years",
        "1 year",
    ],
)
def test_duration_str_is_canonical_text(text: str) -> None:
    assert str(Duration.parse(text)) == text


@generated
@given(st.data(), st.sampled_from(UNITS))
def test_duration_str_round_trips(data: st.DataObject, unit: str) -> None:
    value = data.draw(st.integers(min_value=0, max_value=MAX_DURATION[unit]))
    d = Duration(value, unit)
    assert Duration.parse(str(d)) == d


@pytest.mark.parametrize("unit", UNITS)
def test_duration_cap_is_100_years_in_every_unit(unit: str) -> None:
    """Each unit's cap is 100 years, within a unit's rounding (docs/decisions/0005)."""
    Duration(MAX_DURATION[unit], unit)
    with pytest.raises(DurationError, match="100 years"):
        Duration(MAX_DURATION[unit] + 1, unit)


# ---------------------------------------------------------------------------------------------
# 8. Lateness
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "done", "unit", "expected"),
    [
        ("2024-01-29", "2024-02-01", "working_days", 3),  # spec JSON example
        ("2024-01-29", "2024-02-01", "days", 3),
        ("2024-01-29", "2024-01-29", "working_days", 0),  # on the deadline: in time
        ("2024-01-29", "2024-01-29", "days", 0),
        ("2024-03-28", "2024-04-02", "working_days", 1),  # (due, done] skips Easter
        ("2024-03-28", "2024-04-02", "days", 5),
        ("2024-01-12", "2024-01-15", "working_days", 1),  # Friday -> Monday
        ("2024-01-12", "2024-01-15", "days", 3),
        ("2024-01-12", "2024-01-14", "working_days", 0),  # Friday -> Sunday: no working day
        ("2024-01-12", "2024-01-14", "days", 2),
        ("2021-12-24", "2022-01-04", "working_days", 4),
        ("2021-12-24", "2022-01-04", "days", 11),
        ("2024-01-13", "2024-01-15", "working_days", 1),  # due on a Saturday: done counts
        ("2024-01-31", "2024-03-31", "months", 60),  # calendar days for any other unit
        ("2024-03-01", "2024-03-05", "hours", 4),
        ("2024-01-08", "2024-02-19", "weeks", 42),
        ("2024-01-10", "2024-01-08", "working_days", -2),  # done early: negative
        ("2024-01-10", "2024-01-08", "days", -2),
    ],
)
def test_lateness(cal: WorkingCalendar, due: str, done: str, unit: str, expected: int) -> None:
    assert cal.lateness(D(due), D(done), unit) == expected


@generated
@given(known_dates, st.integers(min_value=0, max_value=40))
def test_lateness_in_working_days_counts_the_half_open_interval(due: date, k: int) -> None:
    done = due + timedelta(days=k)
    expected = sum(
        1 for i in range(1, k + 1) if _independent_is_working(due + timedelta(days=i))
    )
    assert CAL.lateness(due, done, "working_days") == expected
    assert CAL.lateness(due, done, "days") == k
