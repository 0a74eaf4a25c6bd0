"""A case as it stood on the as-of date, in plain Python for the evaluator.

Built once per case: events and episodes dated after the as-of date are dropped, episode ends and
date fields after it are treated as not yet happened, and events are sorted once and bucketed by
type.  Only the types the rule set names are converted, so unrelated events cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.records.models import EVENT_DATE_FIELDS

UK = ZoneInfo("Europe/London")


def local_day(value: date | datetime) -> date:
    """The UK calendar date of a date or date-time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UK).date()
        return value.date()
    return value


def instant(value: date | datetime | None) -> datetime | None:
    """An aware instant for a date-time (UK local time when no offset); None for a date."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UK)
    return None


@dataclass(slots=True)
class Item:
    """An event, an episode, or a period of involvement, as rules see it."""

    id: str
    type: str
    day: date
    at: datetime | None
    ref: str | None
    fields: dict[str, Any]
    pointer: str
    end: date | None = None
    order: int = 0

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    def day_of(self, name: str) -> date | None:
        """The local date of a date field (None when absent, or not a date: an undeclared
        field keeps whatever the extract put there)."""
        value = self.fields.get(name)
        if not isinstance(value, date):
            return None
        return local_day(value)


_NO_FIELDS: frozenset[str] = frozenset()


def _trimmed(fields: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Date fields after the as-of date have not happened yet (copy only when needed)."""
    late = [key for key in EVENT_DATE_FIELDS.get(fields["type"], _NO_FIELDS)
            if (v := fields.get(key)) is not None and local_day(v) > as_of]
    if not late:
        return fields
    fields = dict(fields)
    for key in late:
        fields[key] = None
    return fields


class CaseView:
    def __init__(self, record: dict[str, Any], as_of: date, event_types: frozenset[str],
                 episode_types: frozenset[str]) -> None:
        self.record = record
        self.case_id: str = record["case_id"]
        self.as_of = as_of
        child = record["child"]
        self.date_of_birth: date | None = child.get("date_of_birth")
        self.child_fields: dict[str, Any] = child
        self._events: dict[str, list[Item]] = {t: [] for t in event_types}
        self._episodes: dict[str, list[Item]] = {t: [] for t in episode_types}
        self._ids: dict[str, tuple[str, int]] | None = None

        events = self._events
        for i, ev in enumerate(record["events"]):
            bucket = events.get(ev["type"])
            if bucket is None:
                continue
            when = ev["date"]
            if type(when) is date:  # the common case, without the date-time conversions
                day, at = when, None
            else:
                day, at = local_day(when), instant(when)
            if day > as_of:
                continue
            bucket.append(Item(ev["id"], ev["type"], day, at, ev.get("ref"),
                               _trimmed(ev, as_of), f"/events/{i}", order=i))
        for bucket in events.values():
            if len(bucket) > 1:
                bucket.sort(key=_event_key)

        for i, ep in enumerate(record["episodes"]):
            bucket = self._episodes.get(ep["type"])
            if bucket is None or ep["start"] > as_of:
                continue
            end = ep.get("end")
            if end is not None and end > as_of:
                end = None
                ep = {**ep, "end": None}
            bucket.append(Item(ep["id"], ep["type"], ep["start"], None, None, ep,
                               f"/episodes/{i}", end=end, order=i))
        for bucket in self._episodes.values():
            bucket.sort(key=lambda it: (it.day, it.id))

    def events(self, event_type: str) -> list[Item]:
        return self._events.get(event_type, [])

    def episodes(self, episode_type: str) -> list[Item]:
        return self._episodes.get(episode_type, [])

    def lookup(self, item_id: str) -> Item | None:
        """Any event or episode by id, as it stood on the as-of date (for clocks that start at
        what an event refers to, and for what a ``ref`` names)."""
        if self._ids is None:
            ids: dict[str, tuple[str, int]] = {}
            for i, ev in enumerate(self.record["events"]):
                ids[ev["id"]] = ("events", i)
            for i, ep in enumerate(self.record["episodes"]):
                ids[ep["id"]] = ("episodes", i)
            self._ids = ids
        found = self._ids.get(item_id)
        if found is None:
            return None
        kind, i = found
        data = self.record[kind][i]
        if kind == "events":
            day = local_day(data["date"])
            if day > self.as_of:
                return None
            return Item(data["id"], data["type"], day, instant(data["date"]), data.get("ref"),
                        data, f"/events/{i}", order=i)
        if data["start"] > self.as_of:
            return None
        return Item(data["id"], data["type"], data["start"], None, None, data,
                    f"/episodes/{i}", order=i)


def _event_key(it: Item) -> tuple[date, float, str]:
    # date-only events sort before timed events of the same day; ties go by id, so the order
    # of events in the file never changes a result
    return (it.day, it.at.timestamp() if it.at else 0.0, it.id)
