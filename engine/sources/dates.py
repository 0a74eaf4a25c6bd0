"""Adapter-side date normalisation.

The case-record format is strict (``YYYY-MM-DD``, ISO date-times) so that a wrong date is an
error rather than a guess.  Extracts are not: the SSDA903 return writes ``dd/mm/YYYY``, SQL
Server exports DATETIME as ``2024-12-10 00:00:00.000`` and some systems store ``1900-01-01`` for
"no date".  Adapters normalise those here, count each kind, and refuse anything ambiguous
(an Excel serial such as ``45321`` or a two-digit year such as ``1/2/24``) rather than guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from .report import shape

Note = Callable[[str], None]

DMY = "dd/mm/YYYY → ISO date"
DATETIME_DATE = "DATETIME at midnight → date"
DATETIME_ISO = "DATETIME → ISO date-time"
TIME_DROPPED = "DATETIME → date (time of day dropped where only a date is allowed)"
PLACEHOLDER = "placeholder 1900-01-01 → null"

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DMY = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,7})?)?"
    r"(Z|[+-]\d{2}:?\d{2})?")
_PLACEHOLDER_YEAR = 1900


class BadValue(ValueError):
    """A cell that cannot be used; the message describes its shape, never its value."""


def _real(y: str, m: str, d: str, raw: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise BadValue(f"not a real calendar date ({shape(raw)})") from None


def _ambiguous(raw: str) -> BadValue:
    text = raw.strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return BadValue(f"{shape(text)}, which looks like an Excel serial date; "
                        "export dates as text")
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2}", text):
        return BadValue(f"{shape(text)}: a two-digit year (often Excel reformatting); "
                        "export dates as dd/mm/YYYY or YYYY-MM-DD")
    if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", text):
        return BadValue(f"{shape(text)}: day or month without a leading zero "
                        "(often Excel reformatting); export dates as dd/mm/YYYY")
    return BadValue(f"not a date ({shape(text)})")


def parse_date(raw: str | None, note: Note) -> str | None:
    """An ISO date, or None for blank or the 1900-01-01 placeholder.  A time of day on a
    date-only field (an episode boundary) is dropped and counted."""
    value = _parse(raw, note, keep_time=False)
    return value


def parse_when(raw: str | None, note: Note) -> str | None:
    """An ISO date, or an ISO date-time when the source carries a time other than midnight."""
    return _parse(raw, note, keep_time=True)


def _parse(raw: str | None, note: Note, *, keep_time: bool) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if m := _ISO.fullmatch(text):
        day = _real(*m.groups(), raw=text)
        return _placeholder(day, note)
    if m := _DMY.fullmatch(text):
        d, mo, y = m.groups()
        day = _real(y, mo, d, raw=text)
        if day.year == _PLACEHOLDER_YEAR:
            return _placeholder(day, note)
        note(DMY)
        return day.isoformat()
    if m := _DATETIME.fullmatch(text):
        y, mo, d, hh, mm, ss, tz = m.groups()
        day = _real(y, mo, d, raw=text)
        if day.year == _PLACEHOLDER_YEAR:
            return _placeholder(day, note)
        try:
            moment = datetime(day.year, day.month, day.day, int(hh), int(mm), int(ss or 0))
        except ValueError:
            raise BadValue(f"not a real time of day ({shape(text)})") from None
        if moment.time() == datetime.min.time() and not tz:
            if text != day.isoformat():
                note(DATETIME_DATE)
            return day.isoformat()
        if not keep_time:
            note(TIME_DROPPED)
            return day.isoformat()
        note(DATETIME_ISO)
        iso = moment.isoformat(timespec="seconds")
        if tz:
            iso += "+00:00" if tz == "Z" else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
        return iso
    raise _ambiguous(text)


def _placeholder(day: date, note: Note) -> str | None:
    if day == date(_PLACEHOLDER_YEAR, 1, 1):
        note(PLACEHOLDER)
        return None
    if day.year <= _PLACEHOLDER_YEAR:
        raise BadValue("a date in or before 1900, taken for a placeholder")
    return day.isoformat()
