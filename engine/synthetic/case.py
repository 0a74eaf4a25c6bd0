"""One case being built: the ``_Case`` builder with its ledger, the intervals and their bounds,
the date and time tables, the settling of follow-up obligations and the walking of schedules.

* Acts are placed with bounds that are independent of the engine's calendar (``Gap``): an act
  meant to be on time falls inside a conservative lower bound of its limit and a late one
  beyond a conservative upper bound.  Where the bounds cannot decide, the exact deadline comes
  from ``engine.calendar`` (``_Case.due``, ``_Case.after``).
* Follow-up obligations (``_Case.oblige``, ``_Case.target``) are settled once the case is
  complete, as semantics.md words it (``_Case.settle``).
* Schedules are walked as the spec describes (``_walk``, ``_schedule``).

Speed matters, so the work is done on date ordinals and quarter-hours (``QH``), and date strings
come from a precomputed table (``_Case.iso``, ``_TIMES``).  The cohort modules build on this one;
it imports none of them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, NamedTuple

from engine.calendar import CalendarRangeError, add_months, age_on, calendar_for

from .rules import PLAN_AFTER

Gap = tuple[int, int]
"""(latest offset in days that is surely in time, earliest offset that is surely late)."""

Event = dict[str, Any]


def _wd(n: int) -> Gap:
    """N working days: at least N plus a weekend per five after the first, at most N plus a
    weekend per five begun plus bank holidays (Christmas and New Year add three)."""
    return n + 2 * ((n - 1) // 5), n + 2 * ((n + 4) // 5) + 8


def _months(m: int) -> Gap:
    """M calendar months: 1 month is 28 to 31 days, 3 months 89 to 92, 6 months 181 to 184."""
    return int(m * 30.4) - 3, math.ceil(m * 31) + 2


def _weeks(w: int) -> Gap:
    return 7 * w, 7 * w + 1


WD1, WD5, WD7, WD10, WD15, WD20, WD45 = (_wd(n) for n in (1, 5, 7, 10, 15, 20, 45))
W1, W6, W8, W12 = (_weeks(n) for n in (1, 6, 8, 12))
M1, M3, M6, M12 = (_months(n) for n in (1, 3, 6, 12))


class _Iv(NamedTuple):
    """A rule's interval: its exact unit and amount (for deadlines) and its bounds (to place
    acts).  Units: ``wd`` working days, ``d`` calendar days, ``m`` months."""

    unit: str
    n: int
    gap: Gap


IV_WD1, IV_WD5, IV_WD7, IV_WD10, IV_WD15, IV_WD20, IV_WD45 = (
    _Iv("wd", n, _wd(n)) for n in (1, 5, 7, 10, 15, 20, 45))
IV_W1, IV_W6, IV_W12 = (_Iv("d", 7 * n, _weeks(n)) for n in (1, 6, 12))
IV_M1, IV_M3, IV_M6, IV_M12 = (_Iv("m", n, _months(n)) for n in (1, 3, 6, 12))

QH = 96  # quarter-hours per day: date-times are kept as ordinal * 96 + quarter
MISSING_SHARE = 0.3  # of breaches, the share where the act never happens (the rest are late)
# The rulings on matching (semantics.md), planted at modest shares (see the module docstring of
# cohort.py): of the acts that can carry one, the share whose ``ref`` binds nothing (Ruling 2:
# the id of an item of another kind or of a non-anchor, or an id not in the record), and of the
# breaches that can show it, the share with an act the same day that does not count (Ruling 1)
ODD_REF_SHARE = 0.08
SAME_DAY_SHARE = 0.3
DANGLING = "0"  # a dangling ref is a prefix and this ("sd-0"): generated ids count from 1

# the calendar's years: every date of a cohort falls within them
FIRST_DAY = date(2001, 1, 1).toordinal()
LAST_DAY = date(2030, 12, 31).toordinal()
_NEVER = date.max.toordinal()  # a deadline beyond the calendar: never before as-of

_PLAN_TYPES = ("cin_plan", "cp_plan", "looked_after")  # what PRC-PLAN-AFTER-ASSESSMENT accepts


class _FollowUp(NamedTuple):
    """A follow-up obligation waiting to be settled against the targets of its rule: its
    deadline is ``iv`` after ``day``, or the exact ``due`` when given."""

    day: int
    id: str
    iv: _Iv | None
    due: int | None
    earliest: int
    member: str | None
    cancel: int | None  # the episode end that cancels it (if before the deadline)


Walk = tuple[list[int], list[tuple[int, int, str]]]
"""A schedule's act days and its breaches (index of the anchoring act or -1 for the start,
occurrence, status)."""


class _Case:
    """One case being built: events as (day ordinal, dict), episodes likewise, and the ledger."""

    __slots__ = ("breach", "dob", "end", "episodes", "events", "first", "follow", "iso",
                 "iso_base", "n", "planted", "rand", "rates", "rng")

    def __init__(self, rng: random.Random, iso: list[str], iso_base: int, first: int, end: int,
                 breach: float, rates: Mapping[str, float]) -> None:
        self.rng = rng
        self.rand: Callable[[], float] = rng.random
        self.iso = iso
        self.iso_base = iso_base
        self.first = first  # earliest day any event may have (the case's first contact)
        self.end = end  # events and episode boundaries fall strictly before this day (as-of)
        self.breach = breach
        self.rates = rates
        self.events: list[tuple[int, Event]] = []
        self.episodes: list[tuple[int, int | None, dict[str, Any]]] = []
        self.n = 0
        self.dob: int | None = None
        # ledger: (rule, anchor id, status, occurrence, member)
        self.planted: list[tuple[str, str, str, int | None, str | None]] = []
        self.follow: dict[str, tuple[list[_FollowUp], list[tuple[int, str, str | None]]]] = {}

    # -- recording -------------------------------------------------------------------------

    def day(self, o: int) -> str:
        return self.iso[o - self.iso_base]

    def when(self, q: int) -> str:
        """A date-time ``YYYY-MM-DDTHH:MM`` from quarter-hours."""
        return self.iso[q // QH - self.iso_base] + _TIMES[q % QH]

    def add(self, o: int, prefix: str, kind: str,
            extra: dict[str, Any] | None = None) -> str | None:
        """Record an event on day o; None (and nothing recorded) if it falls on or after as-of."""
        if o >= self.end:
            return None
        if o < self.first:
            o = self.first
        self.n += 1
        eid = f"{prefix}{self.n}"
        ev: Event = {"id": eid, "type": kind, "date": self.iso[o - self.iso_base]}
        if extra:
            ev.update(extra)
        self.events.append((o, ev))
        return eid

    def add_target(self, rule: str, o: int, prefix: str, kind: str,
                   extra: dict[str, Any] | None = None, member: str | None = None) -> str | None:
        """Record an event that is a target of a follow-up rule, and register it as one."""
        eid = self.add(o, prefix, kind, extra)
        if eid is not None:
            self.target(rule, max(o, self.first), eid, member)
        return eid

    def add_at(self, q: int, prefix: str, kind: str, extra: dict[str, Any]) -> str | None:
        """Record an event at a date-time (quarter-hours)."""
        o = q // QH
        if o >= self.end:
            return None
        self.n += 1
        eid = f"{prefix}{self.n}"
        ev: Event = {"id": eid, "type": kind, "date": self.when(q)}
        ev.update(extra)
        self.events.append((o, ev))
        return eid

    def retime(self, eid: str, q: int) -> None:
        """Give the recorded event ``eid`` a time of day (quarter-hours ``q``, on its own day)."""
        for o, ev in reversed(self.events):
            if ev["id"] == eid:
                assert o == q // QH
                ev["date"] = self.when(q)
                return
        raise KeyError(eid)

    def odd_ref(self, foreign: list[str | None], prefix: str,
                share: float = ODD_REF_SHARE) -> dict[str, str]:
        """With chance ``share``, a ``ref`` that binds nothing (Ruling 2): one of ``foreign``
        (recorded ids of another kind, or of items of the kind that are not anchors) or, as
        often, an id not in the record (``prefix`` + ``DANGLING``).  Otherwise no ref."""
        rand = self.rand
        if rand() >= share:
            return {}
        ids = [f for f in foreign if f is not None]
        if ids and rand() < 0.5:
            return {"ref": ids[int(rand() * len(ids))]}
        return {"ref": prefix + DANGLING}

    def episode(self, prefix: str, kind: str, start: int, end: int | None,
                extra: dict[str, Any] | None = None) -> tuple[str, int, int | None] | None:
        """Record an episode: (id, start, end as the engine will see it: None while open on the
        as-of date); None if it starts on or after as-of."""
        if start >= self.end:
            return None
        start = max(start, self.first)
        self.n += 1
        eid = f"{prefix}{self.n}"
        if end is not None and end >= self.end:
            end = None
        elif end is not None:
            end = max(end, start)
        ep: dict[str, Any] = {"id": eid, "type": kind, "start": self.day(start),
                              "end": None if end is None else self.day(end)}
        if extra:
            ep.update(extra)
        self.episodes.append((start, end, ep))
        if kind in _PLAN_TYPES:
            self.target(PLAN_AFTER, start, eid)
        return eid, start, end

    # -- rates and timing --------------------------------------------------------------------

    def rate(self, rule: str | None) -> float:
        return self.breach if rule is None else self.rates.get(rule, self.breach)

    def gap(self, g: Gap, lo: int) -> int:
        """Days to the next act of a schedule no rule checks: in time or late."""
        rand = self.rand
        if rand() >= self.breach:
            return lo + int(rand() * (g[0] - lo + 1))
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def act(self, rule: str | None, g: Gap, lo: int = 0) -> int | None:
        """Days to a one-off act: in time, late, or (a share of breaches) never done."""
        rand = self.rand
        rate = self.rate(rule)
        r = rand()
        if r >= rate:
            return lo + int(rand() * (g[0] - lo + 1))
        if r < rate * MISSING_SHARE:
            return None
        return g[1] + int(rand() * (g[1] // 2 + 5))

    def due(self, o: int, iv: _Iv) -> int:
        """The exact deadline ``iv`` after day o (engine/calendar arithmetic)."""
        if o >= _NEVER - 400:
            return _NEVER  # from a deadline already beyond the calendar
        if iv.unit == "d":
            return o + iv.n
        d = date.fromordinal(o)
        if iv.unit == "m":
            return add_months(d, iv.n).toordinal()
        try:
            return calendar_for().add_working_days(d, iv.n).toordinal()
        except CalendarRangeError:
            return _NEVER

    def age(self, o: int) -> int:
        assert self.dob is not None
        return age_on(date.fromordinal(self.dob), date.fromordinal(o))

    def age_days(self, o: int) -> int | None:
        return None if self.dob is None else o - self.dob

    # -- the ledger ------------------------------------------------------------------------

    def plant(self, rule: str, anchor: str, status: str, occurrence: int | None = None,
              member: str | None = None) -> None:
        self.planted.append((rule, anchor, status, occurrence, member))

    def plant_walk(self, rule: str, anchor: str, ids: list[str],
                   breaches: list[tuple[int, int, str]]) -> None:
        """Resolve a schedule's breaches once its acts have ids."""
        for idx, n, status in breaches:
            self.plant(rule, anchor if idx < 0 else ids[idx], status, n)

    def after(self, a: int, iv: _Iv | None, due: int | None, t: int) -> bool:
        """Whether day t is after the deadline: ``due``, or ``iv`` after day a (the bounds
        decide most cases, the calendar the rest).  Day ``self.end`` (the as-of date) is after
        it exactly when an obligation not yet satisfied is overdue."""
        if due is None:
            assert iv is not None
            g0, g1 = iv.gap
            if t - a <= g0:
                return False
            if t - a >= g1:
                return True
            due = self.due(a, iv)
        return t > due

    def field(self, rule: str, anchor: str, a: int, iv: _Iv, done: int | None) -> None:
        """A follow-up due ``iv`` after day a whose target is a date field on the anchor, or
        one act made for it (``done``: the day it was recorded, None if not recorded)."""
        if done is not None:
            if self.after(a, iv, None, done):
                self.plant(rule, anchor, "late")
        elif self.after(a, iv, None, self.end):
            self.plant(rule, anchor, "overdue")

    def oblige(self, rule: str, anchor: str, day: int, iv: _Iv | None = None,
               due: int | None = None, earliest: int | None = None, member: str | None = None,
               cancel: int | None = None) -> None:
        """A follow-up obligation on a recorded anchor, settled when the case is complete."""
        self.follow.setdefault(rule, ([], []))[0].append(
            _FollowUp(day, anchor, iv, due, day if earliest is None else earliest, member,
                      cancel))

    def target(self, rule: str, day: int, tid: str, member: str | None = None) -> None:
        self.follow.setdefault(rule, ([], []))[1].append((day, tid, member))

    def settle(self) -> None:
        """Settle follow-ups as semantics.md words it: taking obligations in anchor order, each
        takes the earliest unused target dated on or after its anchor (or its ``earliest``)."""
        stop = self.end
        for rule, (obligations, targets) in self.follow.items():
            if not obligations:
                continue
            targets.sort()
            used = [False] * len(targets)
            for ob in sorted(obligations, key=lambda f: (f.day, f.id)):
                k = next((k for k, (day, tid, member) in enumerate(targets)
                          if not used[k] and day >= ob.earliest and tid != ob.id
                          and member == ob.member), None)
                if ob.cancel is not None and (k is None or ob.cancel < targets[k][0]) and (
                        not self.after(ob.day, ob.iv, ob.due, ob.cancel + 1)):
                    continue  # cancelled before the deadline, and before any target
                if k is None:
                    if self.after(ob.day, ob.iv, ob.due, stop):
                        self.plant(rule, ob.id, "overdue", member=ob.member)
                    continue
                used[k] = True
                if self.after(ob.day, ob.iv, ob.due, targets[k][0]):
                    self.plant(rule, ob.id, "late", member=ob.member)


def _build_times() -> tuple[str, ...]:
    return tuple(f"T{q // 4:02d}:{(q % 4) * 15:02d}" for q in range(QH))


_TIMES = _build_times()


def _walk(c: _Case, rule: str, start: int, end: int | None,
          plan: Callable[[int, int], tuple[_Iv, int]]) -> Walk:
    """A schedule from ``start`` over an episode ending ``end`` (None: open on the as-of date).
    ``plan(n, previous day)`` gives occurrence n's interval and the earliest offset for its act.
    Returns the days of the acts to record (all within the episode and before as-of) and the
    breaches, as the engine walks the schedule."""
    limit = c.end if end is None else min(end + 1, c.end)
    rate = c.rate(rule)
    rand = c.rand
    days: list[int] = []
    out: list[tuple[int, int, str]] = []
    prev, n, live = start, 1, True  # live: the engine's walk has not stopped
    while True:
        iv, lo = plan(n, prev)
        g0, g1 = iv.gap
        late = live and rand() < rate
        if late:
            o = prev + g1 + int(rand() * (g1 // 2 + 5))
        else:
            o = prev + lo + int(rand() * (g0 - lo + 1))
        if o >= limit:
            # not recorded: the schedule ends here, overdue if it arose and fell due
            if late:
                due = c.due(prev, iv)
                if (end is None or due <= end) and due < c.end:
                    out.append((len(days) - 1, n, "overdue"))
            return days, out
        if late:
            out.append((len(days) - 1, n, "late"))  # due before the act, so within the episode
        elif live and end is not None and prev + g1 > end and c.due(prev, iv) > end:
            live = False  # due after the episode ended: dropped, and the engine stops here
        days.append(o)
        prev, n = o, n + 1


def _schedule(c: _Case, rule: str, anchor: str, start: int, end: int | None,
              plan: Callable[[int, int], tuple[_Iv, int]], prefix: str, kind: str,
              extra: Callable[[], dict[str, Any] | None] | None = None) -> list[str]:
    """Walk a schedule and record its acts (plain events, or with ``extra()`` fields)."""
    days, out = _walk(c, rule, start, end, plan)
    ids = [c.add(o, prefix, kind, extra() if extra else None) or "" for o in days]
    c.plant_walk(rule, anchor, ids, out)
    return ids


def _first_then(first: _Iv, then: _Iv) -> Callable[[int, int], tuple[_Iv, int]]:
    lo1, lo2 = max(1, first.gap[0] // 2), max(1, then.gap[0] // 2)
    return lambda n, prev: (first, lo1) if n == 1 else (then, lo2)


def _months_on(c: _Case, start: int, months: tuple[int, int]) -> int:
    """A planned end between ``months[0]`` and ``months[1]`` months after start."""
    return start + months[0] * 30 + int(c.rand() * (months[1] - months[0]) * 30)


def _years_days(years: int) -> int:
    """Days that surely make ``years`` completed years (leap days included)."""
    return 365 * years + (years + 3) // 4
