"""The four kinds of rule (semantics.md, "Obligations"), as compiled objects that turn a case
view into obligations.  Plain Python, deterministic, no I/O; statuses are assigned elsewhere
(``status.py``) so that these classes only decide anchor, deadline and what satisfied it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .calendar import Duration, WorkingCalendar, age_on
from .caseview import CaseView, Item, instant, local_day

Predicate = Callable[[Item], bool]


@dataclass(slots=True)
class Obligation:
    """One thing a case must do (or have), with the evidence for its status."""

    rule: str
    anchor: Item
    due: date | None
    unit: str = "days"
    due_at: datetime | None = None
    done_id: str | None = None
    done_day: date | None = None
    done_at: datetime | None = None
    occurrence: int | None = None
    member: str | None = None
    fixed_status: str | None = None  # met / not_met (checks) or insufficient_data
    reason: str | None = None
    clock_day: date | None = None
    limit: Duration | None = None
    evidence: list[str] = field(default_factory=list)
    stops: date | None = None  # schedules: the episode end, after which lateness stops growing

    def satisfy(self, target: Item) -> None:
        self.done_id, self.done_day, self.done_at = target.id, target.day, target.at


# ---------------------------------------------------------------------------------------------
# selection


def compile_where(where: dict[str, Any] | None) -> Predicate | None:
    """A filter on item fields: equality, ``{not: v}``, ``{in: [...]}``, ``{present: bool}``."""
    if not where:
        return None
    tests: list[Predicate] = []
    for name, cond in where.items():
        if isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            if op == "not":
                tests.append(lambda it, n=name, a=arg: it.fields.get(n) != a)
            elif op == "in":
                allowed = tuple(arg)
                tests.append(lambda it, n=name, a=allowed: it.fields.get(n) in a)
            else:
                tests.append(lambda it, n=name, a=arg: (it.fields.get(n) is not None) == a)
        else:
            tests.append(lambda it, n=name, v=cond: it.fields.get(n) == v)
    if len(tests) == 1:
        return tests[0]
    return lambda it: all(t(it) for t in tests)


@dataclass(frozen=True)
class Source:
    """Where items come from: events of a type, starts of episodes, or periods of involvement."""

    event: str | None = None
    episodes: tuple[str, ...] = ()
    period: bool = False
    where: Predicate | None = None

    def items(self, view: CaseView) -> list[Item]:
        if self.event is not None:
            found = view.events(self.event)
        else:
            found = []
            for kind in self.episodes:
                found.extend(view.episodes(kind))
            if len(self.episodes) > 1:
                found.sort(key=lambda it: (it.day, it.id))
        if self.where is not None:
            found = [it for it in found if self.where(it)]
        if self.period:
            found = merge_periods(found)
        return found


def merge_periods(episodes: list[Item]) -> list[Item]:
    """Union of overlapping or touching episodes (next start no later than the day after the
    previous end) as periods of involvement; each period takes its first episode's id."""
    periods: list[Item] = []
    current: Item | None = None
    for ep in sorted(episodes, key=lambda it: (it.day, it.id)):
        if current is not None and (current.end is None or ep.day <= current.end + timedelta(1)):
            if current.end is not None and (ep.end is None or ep.end > current.end):
                current.end = ep.end
            continue
        current = Item(ep.id, "period", ep.day, None, None, {"types": ep.type}, ep.pointer,
                       end=ep.end, order=ep.order)
        periods.append(current)
    return periods


# ---------------------------------------------------------------------------------------------
# rule kinds


class CompiledRule:
    rule_id: str
    kind: str
    event_types: frozenset[str] = frozenset()
    episode_types: frozenset[str] = frozenset()
    can_produce: frozenset[str] = frozenset()

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        raise NotImplementedError


@dataclass
class Clock:
    """Which date on an anchor starts its clock: the first present of a list of fields."""

    fields: tuple[str, ...]

    def start(self, anchor: Item, view: CaseView) -> tuple[date, datetime | None] | None:
        for name in self.fields:
            if name in ("date", "start"):
                return anchor.day, anchor.at
            if name == "ref.date":
                if anchor.ref:
                    ref = view.lookup(anchor.ref)
                    if ref is not None:
                        return ref.day, ref.at
                continue
            if name == "end" and anchor.end is not None:
                return anchor.end, None
            value = anchor.fields.get(name)
            if value is not None:
                return local_day(value), instant(value)
        return None


def deadline_from(cal: WorkingCalendar, start: date, start_at: datetime | None,
                  limit: Duration) -> tuple[date, datetime | None]:
    """The deadline for a clock started at ``start``; hours from a date-time run in real time."""
    if limit.unit == "hours" and start_at is not None:
        due_at = cal.add_to_datetime(start_at, limit)
        return local_day(due_at), due_at
    return cal.add(start, limit), None


@dataclass
class FollowUp(CompiledRule):
    """Each anchor must be followed by a target within a timescale."""

    rule_id: str
    anchor: Source
    target: Source | None
    target_field: str | None
    clock: Clock
    limit: Duration | None
    schedule_ref: tuple[Schedule, int] | None = None
    superseded: bool = False
    allow_before: Duration | None = None
    cancel_event: Source | None = None
    cancel_on_episode_end: bool = False
    member_min_age: int | None = None
    member_field: str | None = None
    for_each_member: bool = False
    kind: str = "follow-up"

    def _anchors(self, view: CaseView) -> Iterator[tuple[Item, str | None, date | None]]:
        for item in self.anchor.items(view):
            if not self.for_each_member:
                yield item, None, None
                continue
            for member in item.fields.get("household") or []:
                yield item, member["id"], member.get("date_of_birth")

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        anchors = list(self._anchors(view))
        if not anchors:
            return []
        targets = self.target.items(view) if self.target is not None else []
        anchor_ids = {a.id for a, _, _ in anchors}
        by_ref: dict[str, list[Item]] = {}
        loose: list[Item] = []
        for t in targets:
            if t.ref is not None and t.ref in anchor_ids:
                by_ref.setdefault(t.ref, []).append(t)
            elif t.ref is None or not self._names_other_anchor_kind(t.ref, view):
                loose.append(t)
        used: set[int] = set()
        cancels = self.cancel_event.items(view) if self.cancel_event is not None else []
        out: list[Obligation] = []

        for i, (anchor, member, member_dob) in enumerate(anchors):
            unit = self.limit.unit if self.limit else "days"
            ob = Obligation(self.rule_id, anchor, None, unit=unit, member=member, limit=self.limit)
            if member is not None and self.member_min_age is not None:
                if member_dob is None:
                    ob.fixed_status = "insufficient_data"
                    ob.reason = f"household member {member} has no date of birth"
                    out.append(ob)
                    continue
                if age_on(member_dob, anchor.day) < self.member_min_age:
                    continue
            if self.target_field is not None:
                if not self._set_deadline(ob, anchor, view, cal):
                    continue
                value = anchor.fields.get(self.target_field)
                if value is not None:
                    ob.done_id, ob.done_day = anchor.id, local_day(value)
                    ob.done_at = instant(value)
                out.append(ob)
                continue

            earliest = anchor.day
            if self.allow_before is not None:
                earliest = cal.subtract(anchor.day, self.allow_before)
            chosen = self._pick(anchor, member, earliest, by_ref, loose, used)

            if self.superseded and i + 1 < len(anchors):
                nxt = anchors[i + 1][0]
                if chosen is None or nxt.day < chosen.day:
                    # a new anchor before this one was satisfied replaces it; targets that
                    # named the old anchor now count for the new one
                    by_ref.setdefault(nxt.id, [])[:0] = by_ref.pop(anchor.id, [])
                    continue
            if not self._set_deadline(ob, anchor, view, cal):
                continue
            if ob.fixed_status is None and ob.due is not None:
                cancel_day = self._cancel_day(anchor, ob.due, cancels)
                if cancel_day is not None and (chosen is None or cancel_day < chosen.day):
                    continue
            if chosen is not None:
                used.add(id(chosen))
                ob.satisfy(chosen)
            out.append(ob)
        return out

    def _names_other_anchor_kind(self, ref: str, view: CaseView) -> bool:
        """True when ``ref`` names an item of the anchor's kind that is not one of this rule's
        anchors (e.g. an interview naming an 'absent' episode): the target belongs to that item.
        A ref to something of another kind (a core group naming its ICPC) does not bind it."""
        if self.anchor.period:
            return False
        item = view.lookup(ref)
        if item is None:
            return False
        if self.anchor.event is not None:
            return item.type == self.anchor.event
        return item.type in self.anchor.episodes

    def _pick(self, anchor: Item, member: str | None, earliest: date,
              by_ref: dict[str, list[Item]], loose: list[Item], used: set[int]) -> Item | None:
        def fits(t: Item, dated: bool) -> bool:
            if id(t) in used or t is anchor or t.id == anchor.id:
                return False
            if dated and t.day < earliest:
                return False
            return member is None or t.fields.get(self.member_field or "") == member

        # semantics.md: a target that names the obligation by ref satisfies it, whatever its
        # date; only targets matched by date must be dated on or after the anchor
        for t in by_ref.get(anchor.id, ()):
            if fits(t, dated=False):
                return t
        for t in loose:
            if fits(t, dated=True):
                return t
        return None

    def _set_deadline(self, ob: Obligation, anchor: Item, view: CaseView,
                      cal: WorkingCalendar) -> bool:
        """Fill in the clock and deadline; False when the obligation does not arise."""
        if self.schedule_ref is not None:
            schedule, n = self.schedule_ref
            step = schedule.occurrence_deadline(view, cal, anchor, n)
            if step is None:
                return False
            if isinstance(step, str):
                ob.fixed_status, ob.reason = "insufficient_data", step
                return True
            ob.due, ob.clock_day = step, anchor.day
            return True
        started = self.clock.start(anchor, view)
        if started is None:
            return False
        assert self.limit is not None
        ob.clock_day = started[0]
        ob.due, ob.due_at = deadline_from(cal, started[0], started[1], self.limit)
        return True

    def _cancel_day(self, anchor: Item, due: date, cancels: list[Item]) -> date | None:
        """The first cancelling day: on or after the anchor and strictly before the deadline
        (semantics.md: "before the deadline"); on the deadline day the act was still due."""
        days: list[date] = []
        if self.cancel_on_episode_end and anchor.end is not None and anchor.end < due:
            days.append(anchor.end)
        for c in cancels:
            if anchor.day <= c.day < due:
                days.append(c.day)
                break
        return min(days) if days else None


@dataclass
class IntervalChoice:
    """One line of a schedule's interval table: conditions, then the interval."""

    interval: Duration
    occurrence: int | None = None
    occurrence_at_least: int | None = None
    age_under: int | None = None
    age_at_least: int | None = None
    previous_in_first: Duration | None = None
    previous_after_first: Duration | None = None
    episode: Predicate | None = None

    @property
    def needs_age(self) -> bool:
        return self.age_under is not None or self.age_at_least is not None

    def matches(self, n: int, previous: date, episode: Item, dob: date | None,
                cal: WorkingCalendar) -> bool | None:
        """True/False; None when it needs a date of birth the record lacks."""
        if self.occurrence is not None and n != self.occurrence:
            return False
        if self.occurrence_at_least is not None and n < self.occurrence_at_least:
            return False
        if self.episode is not None and not self.episode(episode):
            return False
        first = self.previous_in_first
        if first is not None and previous >= cal.add(episode.day, first):
            return False
        after = self.previous_after_first
        if after is not None and previous < cal.add(episode.day, after):
            return False
        if self.needs_age:
            if dob is None:
                return None
            age = age_on(dob, previous)
            if self.age_under is not None and age >= self.age_under:
                return False
            if self.age_at_least is not None and age < self.age_at_least:
                return False
        return True


@dataclass
class Schedule(CompiledRule):
    """While an episode is open, a target recurs within an interval of the previous one."""

    rule_id: str
    over: Source
    target: Source
    intervals: list[IntervalChoice]
    start_event: Source | None = None
    kind: str = "schedule"

    def _interval(self, n: int, previous: date, episode: Item, dob: date | None,
                  cal: WorkingCalendar) -> Duration | str | None:
        for choice in self.intervals:
            ok = choice.matches(n, previous, episode, dob, cal)
            if ok is None:
                return "the child's date of birth is not recorded"
            if ok:
                return choice.interval
        return None

    def _walk(self, view: CaseView, cal: WorkingCalendar, episode: Item,
              project_to: int | None = None) -> Iterator[Obligation]:
        """The obligations of one episode in order.  With ``project_to``, carry on past an
        unmet occurrence as if it were held on its due date, up to that occurrence."""
        last_day = episode.end
        start: Item = episode
        if self.start_event is not None:
            firsts = [e for e in self.start_event.items(view)
                      if e.day >= episode.day and (last_day is None or e.day <= last_day)]
            if not firsts:
                return
            start = firsts[0]
        targets = [t for t in self.target.items(view)
                   if t.day >= start.day and (last_day is None or t.day <= last_day)
                   and t is not start]
        dob = view.date_of_birth
        previous, prev_id, n, idx = start.day, start, 1, 0
        while True:
            interval = self._interval(n, previous, episode, dob, cal)
            if interval is None:
                return
            anchor = Item(prev_id.id, prev_id.type, previous, prev_id.at, None, {},
                          prev_id.pointer, end=episode.end)
            if isinstance(interval, str):
                yield Obligation(self.rule_id, anchor, None, occurrence=n,
                                 fixed_status="insufficient_data", reason=interval)
                return
            due = cal.add(previous, interval)
            if last_day is not None and due > last_day:
                return  # the episode ended before this one fell due
            ob = Obligation(self.rule_id, anchor, due, unit=interval.unit, occurrence=n,
                            clock_day=previous, limit=interval, stops=last_day)
            if idx < len(targets):
                ob.satisfy(targets[idx])
                previous, prev_id = targets[idx].day, targets[idx]
                idx += 1
                yield ob
            else:
                yield ob
                if project_to is None or n >= project_to:
                    return
                previous = due
                prev_id = Item(f"{episode.id}#projected-{n}", "projected", due, None, None, {},
                               episode.pointer)
            n += 1

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        out: list[Obligation] = []
        for episode in self.over.items(view):
            out.extend(self._walk(view, cal, episode))
        return out

    def occurrence_deadline(self, view: CaseView, cal: WorkingCalendar, episode: Item,
                            n: int) -> date | str | None:
        """The date occurrence n was held if it has been, else its (projected) due date;
        a reason string when it cannot be decided; None when the episode ended first."""
        for ob in self._walk(view, cal, episode, project_to=n):
            if ob.fixed_status == "insufficient_data":
                return ob.reason or "insufficient data"
            if ob.occurrence == n:
                return ob.done_day if ob.done_day is not None else ob.due
        return None


@dataclass
class Threshold(CompiledRule):
    """When N anchors fall within a window, a target is due within a timescale of the Nth."""

    rule_id: str
    anchor: Source
    target: Source
    count: int
    window: Duration
    limit: Duration
    clock: Clock
    kind: str = "threshold"

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        anchors = self.anchor.items(view)
        if len(anchors) < self.count:
            return []
        targets = self.target.items(view)
        out: list[Obligation] = []
        counted: list[Item] = []
        pending: Obligation | None = None
        ti = 0
        for a in anchors:
            while ti < len(targets) and targets[ti].day < a.day:
                if pending is not None:
                    pending.satisfy(targets[ti])
                    out.append(pending)
                    pending = None
                counted = []  # after a target the count starts again
                ti += 1
            if pending is not None:
                continue  # one open obligation at a time
            counted.append(a)
            counted = [x for x in counted if a.day <= cal.add(x.day, self.window)]
            if len(counted) >= self.count:
                started = self.clock.start(a, view) or (a.day, a.at)
                due, due_at = deadline_from(cal, started[0], started[1], self.limit)
                pending = Obligation(self.rule_id, a, due, unit=self.limit.unit, due_at=due_at,
                                     clock_day=started[0], limit=self.limit,
                                     evidence=[x.id for x in counted])
                counted = []
        if pending is not None:
            if ti < len(targets):
                pending.satisfy(targets[ti])
            out.append(pending)
        return out


@dataclass
class Check(CompiledRule):
    """A condition on the record: each matching event, or the case while an episode is open."""

    rule_id: str
    subject: Source | None
    open_episodes: tuple[str, ...]
    require: Predicate
    require_child: dict[str, Any]
    kind: str = "check"

    def evaluate(self, view: CaseView, cal: WorkingCalendar) -> list[Obligation]:
        out: list[Obligation] = []
        if self.subject is not None:
            for item in self.subject.items(view):
                ok = self.require(item)
                ob = Obligation(self.rule_id, item, None, fixed_status="met" if ok else "not_met")
                if ok:
                    ob.satisfy(item)
                out.append(ob)
            return out
        open_now = [ep for kind in self.open_episodes for ep in view.episodes(kind)
                    if ep.end is None]
        if not open_now:
            return out
        open_now.sort(key=lambda it: (it.day, it.id))
        child = Item(view.case_id, "child", open_now[0].day, None, None, view.child_fields,
                     "/child")
        ok = compile_where(self.require_child)(child)  # type: ignore[misc]
        out.append(Obligation(self.rule_id, open_now[0], None,
                              fixed_status="met" if ok else "not_met"))
        return out
