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

from engine.records.models import EVENT_DATE_FIELDS, SHORT_BREAK_STATUSES

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


# Meetings that may be recorded as cancelled (``cancelled: true``): such a meeting did not take
# place, so it neither satisfies an obligation nor starts one (docs/format.md).
MEETING_TYPES = frozenset({"icpc", "rcpc", "cin_review", "cla_review", "core_group", "ppm"})
# A health assessment counts only when completed (or when no status is recorded).
_COUNTING_HEALTH = (None, "completed")
# the only types ``did_not_happen`` can be true of
_MAYBE_NOT_HAPPENED = MEETING_TYPES | {"health_assessment"}


def did_not_happen(ev: dict[str, Any]) -> bool:
    """A cancelled meeting, or a health assessment planned, refused or cancelled."""
    kind = ev["type"]
    if kind in MEETING_TYPES:
        return ev.get("cancelled") is True
    if kind == "health_assessment":
        return ev.get("status") not in _COUNTING_HEALTH
    return False


@dataclass(slots=True)
class ShortBreak:
    """A period of short-break care (legal status V3/V4) left out of the rules: the whole
    ``looked_after`` episode (``until`` None), or its short-break start up to ``until``."""

    id: str
    pointer: str
    start: date
    end: date | None
    until: date | None = None


def short_break(ep: dict[str, Any], as_of: date) -> date | bool:
    """For a ``looked_after`` episode: False when it is not short-break care, True when it is
    short-break care throughout (as it stood on the as-of date), or the date its care stops
    being short breaks (the first legal status that is not V3/V4, when it started with some)."""
    statuses = ep.get("legal_statuses")
    if statuses:
        known = sorted((s for s in statuses if s["start"] <= as_of), key=lambda s: s["start"])
    elif ep.get("legal_status"):
        known = [{"code": ep["legal_status"], "start": ep["start"]}]
    else:
        return False
    if not known or known[0]["code"] not in SHORT_BREAK_STATUSES:
        return False
    for status in known:
        if status["code"] not in SHORT_BREAK_STATUSES:
            return status["start"] if status["start"] > ep["start"] else False
    return True


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
        self.short_breaks: list[ShortBreak] = []
        # what evaluation derives from the view more than once (selections of items), kept
        # for the case's other rules; the view never changes once built
        self.memo: dict[Any, Any] = {}

        # the first date after as-of that anything in the record bears: on that day the case
        # view (and so possibly a finding) changes by the passing of time alone
        future: date | None = None
        events = self._events
        date_fields = EVENT_DATE_FIELDS
        # a hot loop (every event of every case): locals, positional Items, and the
        # did-not-happen test only for the types it concerns
        maybe_not = _MAYBE_NOT_HAPPENED
        timed: set[str] = set()  # the types with an event that carries a time
        for i, ev in enumerate(record["events"]):
            when = ev["date"]
            if type(when) is date:  # the common case, without the date-time conversions
                day = when
                at = None
            else:
                day = local_day(when)
                at = instant(when)
            if day > as_of:
                if future is None or day < future:
                    future = day
                continue
            kind = ev["type"]
            bucket = events.get(kind)
            if bucket is None or (kind in maybe_not and did_not_happen(ev)):
                continue
            fields = ev
            later = None
            for key in date_fields.get(kind, _NO_FIELDS):
                v = ev.get(key)
                if v is not None:
                    vday = v if type(v) is date else local_day(v)
                    if vday > as_of:
                        if future is None or vday < future:
                            future = vday
                        if later is None:
                            later = []
                        later.append(key)
            if later is not None:
                fields = dict(ev)
                for key in later:
                    fields[key] = None
            if at is not None:
                timed.add(kind)
            bucket.append(Item(ev["id"], kind, day, at, ev.get("ref"), fields,
                               _POINTERS[i] if i < _N_POINTERS else f"/events/{i}", None, i))
        # untimed events sort by (day, id): the same order as ``_event_key``, cheaper to key
        for kind, bucket in events.items():
            if len(bucket) > 1:
                bucket.sort(key=_event_key if kind in timed else _day_id)

        episodes = record["episodes"]
        for ep in episodes:
            for value in (ep["start"], ep.get("end")):
                if value is not None and value > as_of and (future is None or value < future):
                    future = value
            for status in ep.get("legal_statuses") or ():
                value = status["start"]
                if value > as_of and (future is None or value < future):
                    future = value
        died = child.get("date_of_death")
        if died is not None and died > as_of and (future is None or died < future):
            future = died
        self.next_change: date | None = future

        excluded = self._short_breaks(episodes, as_of)
        for i, ep in enumerate(episodes):
            bucket = self._episodes.get(ep["type"])
            if bucket is None or ep["start"] > as_of:
                continue
            if excluded:
                ep = self._without_short_breaks(ep, excluded)
                if ep is None:
                    continue
            end = ep.get("end")
            if end is not None and end > as_of:
                end = None
                ep = {**ep, "end": None}
            bucket.append(Item(ep["id"], ep["type"], ep["start"], None, None, ep,
                               f"/episodes/{i}", end=end, order=i))
        for bucket in self._episodes.values():
            if len(bucket) > 1:
                bucket.sort(key=lambda it: (it.day, it.id))
        # the types with at least one item, for skipping rules that cannot start a clock
        self.present = frozenset([t for t, b in events.items() if b]
                                 + [t for t, b in self._episodes.items() if b])

    def notice(self, day: date) -> None:
        """A rule's result will change on ``day`` (after as-of) by time alone: a birthday."""
        if day > self.as_of and (self.next_change is None or day < self.next_change):
            self.next_change = day

    def _short_breaks(self, episodes: list[dict[str, Any]], as_of: date
                      ) -> dict[str, ShortBreak]:
        """Short-break care, left out of every rule until the catalogue has rules for it
        (docs/decisions/0006-real-data-in.md); listed in ``short_breaks`` to be reported."""
        found: dict[str, ShortBreak] = {}
        for i, ep in enumerate(episodes):
            if ep["type"] != "looked_after" or ep["start"] > as_of:
                continue
            verdict = short_break(ep, as_of)
            if verdict is False:
                continue
            until = None if verdict is True else verdict
            end = ep.get("end")
            found[ep["id"]] = ShortBreak(ep["id"], f"/episodes/{i}", ep["start"],
                                         end if end is None or end <= as_of else None, until)
        self.short_breaks = list(found.values())
        return found

    @staticmethod
    def _without_short_breaks(ep: dict[str, Any], excluded: dict[str, ShortBreak]
                              ) -> dict[str, Any] | None:
        """The episode with its short-break care left out; None when it is all short breaks."""
        kind = ep["type"]
        if kind == "looked_after":
            gap = excluded.get(ep["id"])
            if gap is None:
                return ep
            return None if gap.until is None else {**ep, "start": gap.until}
        if kind != "placement":
            return ep
        parent = ep.get("parent")
        if parent is not None:
            gap = excluded.get(parent)
        else:  # a placement with no parent belongs to the period it starts in
            gap = next((g for g in excluded.values() if g.start <= ep["start"]
                        and (g.end is None or ep["start"] <= g.end)), None)
        if gap is None:
            return ep
        end = ep.get("end")
        if gap.until is None or (end is not None and end < gap.until):
            return None
        return {**ep, "start": gap.until} if ep["start"] < gap.until else ep

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


# the pointers of the first events, made once rather than for every event of every case
_N_POINTERS = 1024
_POINTERS = tuple(f"/events/{i}" for i in range(_N_POINTERS))


def _day_id(it: Item) -> tuple[date, str]:
    return (it.day, it.id)


def _event_key(it: Item) -> tuple[date, float, str]:
    # date-only events sort before timed events of the same day; ties go by id, so the order
    # of events in the file never changes a result
    return (it.day, it.at.timestamp() if it.at else 0.0, it.id)
