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

from .records import CaseRecord

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
        """The local date of a date field (None when absent)."""
        value = self.fields.get(name)
        if value is None:
            return None
        return local_day(value)


def _fields(model: Any) -> dict[str, Any]:
    data = dict(model.__dict__)
    extra = model.__pydantic_extra__
    if extra:
        data.update(extra)
    return data


def _trim(fields: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Date fields after the as-of date have not happened yet."""
    for key, value in fields.items():
        if isinstance(value, date) and local_day(value) > as_of:
            fields[key] = None
    return fields


class CaseView:
    def __init__(self, record: CaseRecord, as_of: date, event_types: frozenset[str],
                 episode_types: frozenset[str]) -> None:
        self.record = record
        self.case_id = record.case_id
        self.as_of = as_of
        self.date_of_birth: date | None = record.child.date_of_birth
        self.child_fields = _fields(record.child)
        self._events: dict[str, list[Item]] = {t: [] for t in event_types}
        self._episodes: dict[str, list[Item]] = {t: [] for t in episode_types}
        self._ref_index: dict[str, Item] | None = None

        for i, ev in enumerate(record.events):
            bucket = self._events.get(ev.type)
            if bucket is None:
                continue
            day = local_day(ev.date)
            if day > as_of:
                continue
            bucket.append(Item(ev.id, ev.type, day, instant(ev.date), ev.ref,
                               _trim(_fields(ev), as_of), f"/events/{i}", order=i))
        for bucket in self._events.values():
            bucket.sort(key=_event_key)

        for i, ep in enumerate(record.episodes):
            bucket = self._episodes.get(ep.type)
            if bucket is None or ep.start > as_of:
                continue
            end = ep.end if ep.end is not None and ep.end <= as_of else None
            fields = _trim(_fields(ep), as_of)
            bucket.append(Item(ep.id, ep.type, ep.start, None, None, fields, f"/episodes/{i}",
                               end=end, order=i))
        for bucket in self._episodes.values():
            bucket.sort(key=lambda it: (it.day, it.id))

    def events(self, event_type: str) -> list[Item]:
        return self._events.get(event_type, [])

    def episodes(self, episode_type: str) -> list[Item]:
        return self._episodes.get(episode_type, [])

    def lookup(self, item_id: str) -> Item | None:
        """Any event or episode by id (for clocks that start at what an event refers to)."""
        if self._ref_index is None:
            index: dict[str, Item] = {}
            for i, ev in enumerate(self.record.events):
                day = local_day(ev.date)
                if day <= self.as_of:
                    index[ev.id] = Item(ev.id, ev.type, day, instant(ev.date), ev.ref, {},
                                        f"/events/{i}", order=i)
            for i, ep in enumerate(self.record.episodes):
                if ep.start <= self.as_of:
                    index[ep.id] = Item(ep.id, ep.type, ep.start, None, None, {},
                                        f"/episodes/{i}", order=i)
            self._ref_index = index
        return self._ref_index.get(item_id)


def _event_key(it: Item) -> tuple[date, float, str]:
    # date-only events sort before timed events of the same day; ties go by id, so the order
    # of events in the file never changes a result
    return (it.day, it.at.timestamp() if it.at else 0.0, it.id)
