"""Working days, durations and ages: every date calculation casecheck makes lives here.

Definitions follow ``docs/semantics.md`` ("Calendar"):

* N working days after D is the Nth working day strictly after D (D is day 0 and need not be a
  working day); N working days before D is the Nth working day strictly before D.
* Months are calendar months clamped to the end of the month (31 Jan + 1 month = 29 Feb 2024).
* Age is completed years; a 29 February birthday falls on 1 March in non-leap years.

Working-day arithmetic is done on a precomputed table of working days for the supported years,
so adding N working days is a bisect, not a loop.  A date outside the supported years is a
``CalendarRangeError``: the bank-holiday library can compute any year, but one-off bank holidays
are only known for years it has been told about, so we refuse rather than guess.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

FIRST_YEAR = 2000
LAST_YEAR = 2030

UNITS = ("working_days", "days", "weeks", "months", "years", "hours")

_UNIT_WORDS = {
    "working day": "working_days",
    "working days": "working_days",
    "working_day": "working_days",
    "working_days": "working_days",
    "wd": "working_days",
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
    "hour": "hours",
    "hours": "hours",
}

_DURATION_RE = re.compile(r"^\s*(\d+)\s+([a-z_ ]+?)\s*$")


class CalendarRangeError(ValueError):
    """A working-day calculation reached a year the calendar does not cover."""


# The longest duration a rule or profile may use, by unit: 100 years.  Anything longer is a
# typo, and would run every deadline off the calendar.
MAX_DURATION = {"days": 36525, "working_days": 25300, "weeks": 5218, "months": 1200,
                "years": 100, "hours": 876600}


class DurationError(ValueError):
    """A duration string could not be read."""


@dataclass(frozen=True, slots=True)
class Duration:
    """An amount of time in one unit, e.g. 15 working days or 3 months."""

    value: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise DurationError(f"unknown unit {self.unit!r}; expected one of {', '.join(UNITS)}")
        if self.value < 0:
            raise DurationError("a duration cannot be negative")
        if self.value > MAX_DURATION[self.unit]:
            raise DurationError(f"{self.value} {self.unit.replace('_', ' ')} is longer than the "
                                "longest duration a rule may use (100 years)")

    @classmethod
    def parse(cls, text: str | int) -> Duration:
        """Read ``"15 working days"``, ``"3 months"``, ``"72 hours"``, ``"1 week"``."""
        if not isinstance(text, str):
            raise DurationError(f"expected a duration such as '15 working days', got {text!r}")
        m = _DURATION_RE.match(text.lower())
        if not m:
            raise DurationError(
                f"expected a duration such as '15 working days' or '3 months', got {text!r}"
            )
        unit = _UNIT_WORDS.get(m.group(2).strip())
        if unit is None:
            raise DurationError(f"unknown unit {m.group(2).strip()!r} in {text!r}")
        return cls(int(m.group(1)), unit)

    @property
    def counts_working_days(self) -> bool:
        return self.unit == "working_days"

    def __str__(self) -> str:
        word = self.unit.replace("_", " ")
        if self.value == 1:
            word = word[:-1]
        return f"{self.value} {word}"


def unit_suggestion(word: str) -> list[str]:
    """Known unit spellings close to ``word`` (for did-you-mean messages)."""
    import difflib

    return difflib.get_close_matches(word.lower(), list(_UNIT_WORDS), n=2)


@lru_cache(maxsize=1)
def england_bank_holidays() -> frozenset[date]:
    """Bank holidays in England for the supported years, one-off days included."""
    found = holidays.country_holidays(
        "GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1)
    )
    return frozenset(found.keys())


def add_months(d: date, n: int) -> date:
    """Same day of the month n months on (n may be negative), clamped to the month's end."""
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    day = d.day
    if day > 28:  # every month has the first 28 days: clamp only past them (a hot path)
        day = min(day, _days_in_month(year, month + 1))
    return date(year, month + 1, day)


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years at ``on``; born 29 February, the birthday is 1 March in other years."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < _birthday_in(date_of_birth, on.year):
        years -= 1
    return years


def birthday(date_of_birth: date, years: int) -> date:
    """The day a person born on ``date_of_birth`` turns ``years`` (29 February: 1 March in
    years that are not leap years), so that ``age_on(dob, birthday(dob, n)) == n``."""
    year = date_of_birth.year + years
    return date(year, *_birthday_in(date_of_birth, year))


def _birthday_in(date_of_birth: date, year: int) -> tuple[int, int]:
    if date_of_birth.month == 2 and date_of_birth.day == 29:
        try:
            date(year, 2, 29)
        except ValueError:
            return (3, 1)
    return (date_of_birth.month, date_of_birth.day)


class WorkingCalendar:
    """England's working days, less any closure days a profile adds."""

    def __init__(self, closure_days: Iterable[date] = ()) -> None:
        self.first = date(FIRST_YEAR, 1, 1)
        self.last = date(LAST_YEAR, 12, 31)
        self.closures = frozenset(closure_days)
        self.non_working = england_bank_holidays() | self.closures
        days: list[int] = []
        d = self.first
        one = timedelta(days=1)
        while d <= self.last:
            if d.weekday() < 5 and d not in self.non_working:
                days.append(d.toordinal())
            d += one
        self._working = days

    def _check(self, d: date) -> None:
        if not (self.first <= d <= self.last):
            raise CalendarRangeError(
                f"{d.isoformat()} is outside the working-day calendar "
                f"({FIRST_YEAR}-{LAST_YEAR}); bank holidays for that year are not known"
            )

    def is_working_day(self, d: date) -> bool:
        self._check(d)
        return d.weekday() < 5 and d not in self.non_working

    def add_working_days(self, d: date, n: int) -> date:
        """The nth working day strictly after d (n > 0), strictly before d (n < 0); d if n = 0."""
        if not self.first <= d <= self.last:
            self._check(d)
        if n == 0:
            return d
        working = self._working
        if n > 0:
            i = bisect.bisect_right(working, d.toordinal()) + n - 1
        else:
            i = bisect.bisect_left(working, d.toordinal()) + n
        if not (0 <= i < len(working)):
            raise CalendarRangeError(
                f"{abs(n)} working days from {d.isoformat()} leaves the working-day calendar "
                f"({FIRST_YEAR}-{LAST_YEAR})"
            )
        return date.fromordinal(self._working[i])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        self._check(start)
        self._check(end)
        if end < start:
            return -self.working_days_between(end, start)
        lo = bisect.bisect_right(self._working, start.toordinal())
        hi = bisect.bisect_right(self._working, end.toordinal())
        return hi - lo

    def add(self, d: date, duration: Duration) -> date:
        """The deadline ``duration`` after the date d (hours: d + n/24 days, by date)."""
        # a hot path (every deadline): positional timedeltas, the common units first
        unit, n = duration.unit, duration.value
        if unit == "working_days":
            return self.add_working_days(d, n)
        if unit == "months":
            return add_months(d, n)
        if unit == "days":
            return d + timedelta(n)
        if unit == "weeks":
            return d + timedelta(7 * n)
        if unit == "years":
            return add_months(d, 12 * n)
        # hours from a date-only anchor: D + N/24 days, compared by date
        return d + timedelta(n // 24)

    def subtract(self, d: date, duration: Duration) -> date:
        """The date ``duration`` before d."""
        unit, n = duration.unit, duration.value
        if unit == "working_days":
            return self.add_working_days(d, -n)
        if unit == "days":
            return d - timedelta(days=n)
        if unit == "weeks":
            return d - timedelta(weeks=n)
        if unit == "months":
            return add_months(d, -n)
        if unit == "years":
            return add_months(d, -12 * n)
        return d - timedelta(days=n // 24)

    def add_to_datetime(self, at: datetime, duration: Duration) -> datetime:
        """Hours after an instant, in real elapsed time: arithmetic on an aware datetime in a
        zone with clock changes moves the wall clock, not the instant, so go through UTC."""
        if duration.unit != "hours":
            raise DurationError(f"only hours are added to a date-time, not {duration.unit}")
        if at.tzinfo is None:
            raise ValueError("add_to_datetime needs an aware datetime")
        return (at.astimezone(UTC) + timedelta(hours=duration.value)).astimezone(at.tzinfo)

    def lateness(self, due: date, done: date, unit: str) -> int:
        """How late ``done`` is after ``due``, in working days or calendar days."""
        if unit == "working_days":
            return self.working_days_between(due, done)
        return (done - due).days


@lru_cache(maxsize=8)
def calendar_for(closure_days: frozenset[date] = frozenset()) -> WorkingCalendar:
    """One calendar per set of closure days, built once per process."""
    return WorkingCalendar(closure_days)
