"""The calendar room: every date calculation casecheck makes (working days, bank holidays,
durations, months, ages, clock changes) lives here and nowhere else.

It is the bottom of the house: it imports nothing from the rest of ``engine``, and everything
else imports it.  One small module (``arithmetic.py``), tested exhaustively, so the
hand-refreshed holiday lists other validators keep are never needed.
"""

from engine.calendar.arithmetic import (
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
    unit_suggestion,
)

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_DURATION",
    "UNITS",
    "CalendarRangeError",
    "Duration",
    "DurationError",
    "WorkingCalendar",
    "add_months",
    "age_on",
    "birthday",
    "calendar_for",
    "england_bank_holidays",
    "unit_suggestion",
]
