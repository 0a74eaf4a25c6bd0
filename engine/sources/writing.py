"""What the writers share: CSV tables written a record at a time, and date forms.

The writers turn case records (the synthetic cohort) into extracts of each source, so that an
import can be compared with the records it came from (tests/sources/test_round_trip.py) and
imports can be benchmarked at scale (bench/import_scale.py).  They stream: every table is open
at once and each record adds its rows, so memory does not grow with the cohort.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any


class Tables:
    """One CSV file per table in ``folder``, headers written on opening."""

    def __init__(self, folder: Path, columns: Mapping[str, Sequence[str]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._stack = ExitStack()
        self._writers: dict[str, Any] = {}
        for name, cols in columns.items():
            fh = self._stack.enter_context((folder / name).open("w", newline="",
                                                                 encoding="utf-8"))
            writer = csv.writer(fh)
            writer.writerow(cols)
            self._writers[name] = writer

    def row(self, table: str, *cells: Any) -> None:
        self._writers[table].writerow(["" if c is None else c for c in cells])

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Tables:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def day(value: Any) -> str:
    """The ISO date of a date or date-time string ('' for none)."""
    return "" if not value else str(value)[:10]


def dmy(value: Any) -> str:
    """dd/mm/YYYY, as the SSDA903 return writes dates ('' for none)."""
    if not value:
        return ""
    y, m, d = str(value)[:10].split("-")
    return f"{d}/{m}/{y}"


def flag(value: Any) -> str:
    return "" if value is None else ("Y" if value else "N")


def by_type(record: Mapping[str, Any], part: str, kind: str) -> list[dict[str, Any]]:
    return [item for item in record.get(part, ()) if item["type"] == kind]


def open_on(episodes: list[dict[str, Any]], when: str) -> dict[str, Any] | None:
    """The episode open on a date (the latest to start), if any."""
    found = None
    for ep in episodes:
        if (ep["start"] <= when and (ep.get("end") is None or when <= ep["end"])
                and (found is None or ep["start"] >= found["start"])):
            found = ep
    return found


def involvement_end(episodes: list[dict[str, Any]], on: str) -> str | None:
    """Where a record has no CIN episode of its own, an extract's CIN episode (referral to
    closure) closes when the involvement governing the referral does: the end of the touching
    episodes holding it, or of the first involvement after it (None while open or when there
    is none), as the engine reads a period of involvement (decision 0004), so that the extract
    says no more about how long the case was open than the record did."""
    spans = sorted(((ep["start"], ep.get("end")) for ep in episodes
                    if ep["type"] != "cin_episode"), key=lambda span: span[0])
    periods: list[list[str | None]] = []
    for s, e in spans:
        last = periods[-1] if periods else None
        if last is not None and (last[1] is None or s <= _next_day(last[1])):
            if last[1] is not None and (e is None or e > last[1]):
                last[1] = e
            continue
        periods.append([s, e])
    for _start, end in periods:
        if end is None or end >= on:
            return end
    return None


def _next_day(text: str) -> str:
    return (date.fromisoformat(text) + timedelta(days=1)).isoformat()
